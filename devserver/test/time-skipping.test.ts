/**
 * Time skipping on the dev server's `temporal-dev <port>` form, through the unmodified SDK's
 * `TestWorkflowEnvironment.createTimeSkipping` (via `createTimeSkippingTestEnvironment`). Every
 * assertion is on virtual time (the workflow clock, history event times, `env.currentTimeMs()`),
 * never on wall time; wall time is only printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { defineSearchAttributeKey, SearchAttributeType, TimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import Long from 'long';
import { createTimeSkippingTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import {
  conditionWithTimeout,
  dailyContinueAsNew,
  dailyTimers,
  heartbeatTimesOut,
  longSleep,
  parallelTimers,
  parentAndSleepyChild,
  proceed,
  slowRetries,
  timersAroundActivities,
  type TimeSkippingActivities,
} from './workflows';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const TASK_QUEUE = 'devserver-time-skipping';
const CellId = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function eventTimeMs(event: HistoryEvent | undefined): number {
  const t = event?.eventTime;
  if (!t) throw new Error('event has no time');
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

function only(history: History, type: string): HistoryEvent {
  const events = eventsOfType(history, type);
  if (events.length !== 1) throw new Error(`expected one ${type} event, found ${events.length}`);
  return events[0];
}

describe('dev server: time skipping', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  const histories: { workflowId: string; history: History }[] = [];
  /** Virtual attempt-scheduled times seen by `failTimes`, per workflow id. */
  const attemptTimes = new Map<string, number[]>();

  const activities: TimeSkippingActivities = {
    async busyFor(ms) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return `busy for ${ms} ms`;
    },
    async heartbeatThenHang(heartbeatMs, hangMs) {
      const ctx = Context.current();
      for (const until = Date.now() + heartbeatMs; Date.now() < until; ) {
        ctx.heartbeat('alive');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await ctx.sleep(hangMs).catch(() => undefined);
      return 'hung up';
    },
    failTimes(failures) {
      const { attempt, currentAttemptScheduledTimestampMs, workflowExecution } = Context.current().info;
      const workflowId = workflowExecution?.workflowId ?? '';
      const seen = attemptTimes.get(workflowId) ?? [];
      seen.push(currentAttemptScheduledTimestampMs);
      attemptTimes.set(workflowId, seen);
      if (attempt <= failures) return Promise.reject(new Error(`attempt ${attempt} fails`));
      return Promise.resolve(attempt);
    },
  };

  beforeAll(async () => {
    // Activity failures are expected here; keep the worker's warnings out of the output.
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR', searchAttributes: [CellId] });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle,
      activities,
      // Heartbeats reach the server within 200 ms instead of 80% of the heartbeat timeout, so a
      // loaded machine cannot make a heartbeating activity time out.
      maxHeartbeatThrottleInterval: 200,
    });
    return await worker.runUntil(fn);
  }

  async function keepHistory(workflowId: string): Promise<History> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    histories.push({ workflowId, history });
    return history;
  }

  it('runs a workflow with a 30-day sleep to completion on the virtual clock', async () => {
    // GIVEN a workflow that sleeps 30 days
    const workflowId = uniqueId('thirty-days');
    const wallStart = Date.now();

    // WHEN the test waits for its result
    const result = await withWorker(() =>
      env.client.workflow.execute(longSleep, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [30 * DAY],
        typedSearchAttributes: [{ key: CellId, value: workflowId }],
      }),
    );
    console.log(`30-day sleep: ${Date.now() - wallStart} ms of wall time`);

    // THEN the workflow clock moved 30 days, and the history's timer fired 30 days after it started
    expect(result.after - result.before).toBeGreaterThanOrEqual(30 * DAY);
    expect(result.after - result.before).toBeLessThan(30 * DAY + HOUR);
    const history = await keepHistory(workflowId);
    const started = only(history, 'TIMER_STARTED');
    const fired = only(history, 'TIMER_FIRED');
    expect(eventTimeMs(fired) - eventTimeMs(started)).toBeGreaterThanOrEqual(30 * DAY);
    const completed = only(history, 'WORKFLOW_EXECUTION_COMPLETED');
    expect(eventTimeMs(completed) - eventTimeMs(only(history, 'WORKFLOW_EXECUTION_STARTED'))).toBeGreaterThanOrEqual(30 * DAY);
    // and the server clock is now at least 30 days ahead of the workflow's start
    expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(result.startTime + 30 * DAY);
    // and visibility recorded the same virtual start and close times
    const description = await env.client.workflow.getHandle(workflowId).describe();
    // (one transaction, one time: the run's start time is its Started event's time)
    expect(description.startTime.getTime()).toBe(result.startTime);
    expect(description.startTime.getTime()).toBe(eventTimeMs(only(history, 'WORKFLOW_EXECUTION_STARTED')));
    expect((description.closeTime?.getTime() ?? 0) - description.startTime.getTime()).toBeGreaterThanOrEqual(30 * DAY);
    // (found through the search attribute the helper registered)
    const closedLate = `CellId = "${workflowId}" AND CloseTime > "${new Date(result.startTime + 29 * DAY).toISOString()}"`;
    const listed: string[] = [];
    for await (const execution of env.client.workflow.list({ query: closedLate })) listed.push(execution.workflowId);
    expect(listed).toEqual([workflowId]);
  });

  it('skips time for concurrent result waits, and locks again once they are all done', async () => {
    await withWorker(async () => {
      // GIVEN two workflows sleeping 10 and 20 days, waited for at the same time
      const [ten, twenty] = await Promise.all([
        env.client.workflow.execute(longSleep, { workflowId: uniqueId('concurrent-10d'), taskQueue: TASK_QUEUE, args: [10 * DAY] }),
        env.client.workflow.execute(longSleep, { workflowId: uniqueId('concurrent-20d'), taskQueue: TASK_QUEUE, args: [20 * DAY] }),
      ]);

      // THEN both completed on the virtual clock
      expect(ten.after - ten.before).toBeGreaterThanOrEqual(10 * DAY);
      expect(twenty.after - twenty.before).toBeGreaterThanOrEqual(20 * DAY);

      // WHEN a workflow with a one-hour timer is started afterwards, without waiting for it
      const workflowId = uniqueId('locked-again');
      const handle = await env.client.workflow.start(longSleep, { workflowId, taskQueue: TASK_QUEUE, args: [HOUR] });
      await waitFor(async () => (eventsOfType(await handle.fetchHistory(), 'TIMER_STARTED').length > 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));

      // THEN time skipping is locked again: the timer has not fired until the test waits for it
      expect(eventsOfType(await handle.fetchHistory(), 'TIMER_FIRED')).toHaveLength(0);
      const result = await handle.result();
      expect(result.after - result.before).toBeGreaterThanOrEqual(HOUR);
      await keepHistory(workflowId);
    });
  });

  it('completes a month of daily timers, one day apart on the virtual clock', async () => {
    // GIVEN a workflow with 30 sequential one-day sleeps
    const workflowId = uniqueId('daily-timers');
    const wallStart = Date.now();

    // WHEN it runs to completion
    const times = await withWorker(() =>
      env.client.workflow.execute(dailyTimers, { workflowId, taskQueue: TASK_QUEUE, args: [30] }),
    );
    console.log(`30 daily timers: ${Date.now() - wallStart} ms of wall time`);

    // THEN every wake-up is a day (plus task latency) after the previous one
    expect(times).toHaveLength(30);
    for (let i = 1; i < times.length; i++) {
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(DAY);
      expect(times[i] - times[i - 1]).toBeLessThan(DAY + 60_000);
    }
    const history = await keepHistory(workflowId);
    expect(eventsOfType(history, 'TIMER_FIRED')).toHaveLength(30);
  });

  it('holds the clock while an activity runs and skips the timers around it', async () => {
    // GIVEN a day's sleep, an activity taking real time beside a one-hour timer, another day's sleep
    const workflowId = uniqueId('timers-activities');

    // WHEN it runs
    const [start, afterFirstDay, afterActivity, afterHourTimer, end] = await withWorker(() =>
      env.client.workflow.execute(timersAroundActivities, { workflowId, taskQueue: TASK_QUEUE, args: [1500] }),
    );

    // THEN the days were skipped, but the activity's run did not let the hour timer fire early:
    // the activity finished (in about its real duration) before the timer, which fired an hour in
    expect(afterFirstDay - start).toBeGreaterThanOrEqual(DAY);
    expect(afterActivity - afterFirstDay).toBeGreaterThanOrEqual(1500);
    expect(afterActivity - afterFirstDay).toBeLessThan(HOUR);
    expect(afterHourTimer - afterFirstDay).toBeGreaterThanOrEqual(HOUR);
    expect(end - afterHourTimer).toBeGreaterThanOrEqual(DAY);
    const history = await keepHistory(workflowId);
    const activityCompleted = only(history, 'ACTIVITY_TASK_COMPLETED');
    const activityStarted = only(history, 'ACTIVITY_TASK_STARTED');
    const hourTimerFired = eventsOfType(history, 'TIMER_FIRED')[1];
    expect(eventTimeMs(activityCompleted) - eventTimeMs(activityStarted)).toBeLessThan(HOUR);
    expect(Number(activityCompleted.eventId)).toBeLessThan(Number(hourTimerFired.eventId));
  });

  it('times an activity out on its heartbeat timeout in virtual time, not skipping past it', async () => {
    // GIVEN an activity with a 1.5 s heartbeat timeout that heartbeats for 2 s of real time and
    // then hangs, beside a one-hour timer
    const workflowId = uniqueId('heartbeat-timeout');

    // WHEN the workflow runs
    const outcome = await withWorker(() =>
      env.client.workflow.execute(heartbeatTimesOut, { workflowId, taskQueue: TASK_QUEUE, args: [1500, 2000, 3000] }),
    );

    // THEN the heartbeats kept it alive while they came (skipping during the run would have
    // timed it out at 1.5 s), and it timed out on its heartbeat once they stopped, before the
    // hour was up
    expect(outcome).toBe(`timed out: ${TimeoutType.HEARTBEAT}`);
    const history = await keepHistory(workflowId);
    const timedOut = only(history, 'ACTIVITY_TASK_TIMED_OUT');
    const elapsed = eventTimeMs(timedOut) - eventTimeMs(only(history, 'ACTIVITY_TASK_STARTED'));
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(HOUR);
    expect(eventsOfType(history, 'TIMER_FIRED')).toHaveLength(0);
    expect(timedOut.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType).toBe(
      temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
    );
  });

  it('skips activity retry backoffs', async () => {
    // GIVEN an activity failing 3 times under a retry policy of 1 h, 2 h, 4 h backoffs
    const workflowId = uniqueId('slow-retries');

    // WHEN the workflow runs
    const attempt = await withWorker(() =>
      env.client.workflow.execute(slowRetries, { workflowId, taskQueue: TASK_QUEUE, args: [3, HOUR] }),
    );

    // THEN attempt 4 succeeded, each attempt scheduled a full backoff after the previous one
    expect(attempt).toBe(4);
    const times = attemptTimes.get(workflowId) ?? [];
    expect(times).toHaveLength(4);
    [HOUR, 2 * HOUR, 4 * HOUR].forEach((backoff, i) => {
      expect(times[i + 1] - times[i]).toBeGreaterThanOrEqual(backoff);
      expect(times[i + 1] - times[i]).toBeLessThan(backoff + 60_000);
    });
    const history = await keepHistory(workflowId);
    expect(only(history, 'ACTIVITY_TASK_STARTED').activityTaskStartedEventAttributes?.attempt).toBe(4);
  });

  it('ends a condition on its timeout, or on the signal before it', async () => {
    await withWorker(async () => {
      // GIVEN a workflow waiting 7 days for a signal that never comes
      const timeoutId = uniqueId('condition-timeout');
      const timedOut = await env.client.workflow.execute(conditionWithTimeout, {
        workflowId: timeoutId,
        taskQueue: TASK_QUEUE,
        args: [7 * DAY],
      });
      // THEN the condition gave up after the 7 virtual days
      expect(timedOut.signalled).toBe(false);
      expect(timedOut.after - timedOut.before).toBeGreaterThanOrEqual(7 * DAY);
      await keepHistory(timeoutId);

      // GIVEN the same wait, with the signal sent after one virtual day
      const signalId = uniqueId('condition-signal');
      const handle = await env.client.workflow.start(conditionWithTimeout, {
        workflowId: signalId,
        taskQueue: TASK_QUEUE,
        args: [7 * DAY],
      });
      await env.sleep('1 day');
      await handle.signal(proceed);
      const signalled = await handle.result();
      // THEN the condition was met about a day in, well before its timeout
      expect(signalled.signalled).toBe(true);
      expect(signalled.after - signalled.before).toBeGreaterThanOrEqual(DAY);
      expect(signalled.after - signalled.before).toBeLessThan(7 * DAY);
      await keepHistory(signalId);
    });
  });

  it('advances the clock with env.sleep and fires the timers that come due', async () => {
    await withWorker(async () => {
      // GIVEN a started workflow whose two-hour timer is running
      const workflowId = uniqueId('env-sleep');
      const handle = await env.client.workflow.start(longSleep, { workflowId, taskQueue: TASK_QUEUE, args: [2 * HOUR] });
      await waitFor(async () => (eventsOfType(await handle.fetchHistory(), 'TIMER_STARTED').length > 0 ? true : undefined));
      const before = await env.currentTimeMs();

      // WHEN the test sleeps one hour
      await env.sleep('1 hour');

      // THEN the clock moved an hour and the timer has not fired
      const afterOneHour = await env.currentTimeMs();
      expect(afterOneHour - before).toBeGreaterThanOrEqual(HOUR);
      expect(afterOneHour - before).toBeLessThan(2 * HOUR);
      expect(eventsOfType(await handle.fetchHistory(), 'TIMER_FIRED')).toHaveLength(0);

      // WHEN it sleeps another hour
      await env.sleep('1 hour');

      // THEN the timer fired on the way and the workflow completes
      expect(eventsOfType(await handle.fetchHistory(), 'TIMER_FIRED')).toHaveLength(1);
      const result = await handle.result();
      expect(result.after - result.before).toBeGreaterThanOrEqual(2 * HOUR);
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(before + 2 * HOUR);
      await keepHistory(workflowId);
    });
  });

  it('counts locks: skipping waits until every lock is released', async () => {
    const testService = env.connection.testService;
    if (!testService) throw new Error('the time-skipping environment has no TestService');
    await withWorker(async () => {
      // GIVEN a running workflow with a one-hour timer, and two extra locks on top of the initial one
      const workflowId = uniqueId('lock-counting');
      const handle = await env.client.workflow.start(longSleep, { workflowId, taskQueue: TASK_QUEUE, args: [HOUR] });
      const timerStart = await waitFor(async () => {
        const [started] = eventsOfType(await handle.fetchHistory(), 'TIMER_STARTED');
        return started ? eventTimeMs(started) : undefined;
      });
      await testService.lockTimeSkipping({});
      await testService.lockTimeSkipping({});

      // WHEN two of the three locks are released
      await testService.unlockTimeSkipping({});
      await testService.unlockTimeSkipping({});
      await new Promise((resolve) => setTimeout(resolve, 300));

      // THEN time still runs at real pace: the timer has not fired
      expect((await env.currentTimeMs()) - timerStart).toBeLessThan(HOUR);
      expect(eventsOfType(await handle.fetchHistory(), 'TIMER_FIRED')).toHaveLength(0);

      // WHEN the last lock is released
      await testService.unlockTimeSkipping({});

      // THEN the clock jumps to the timer and the workflow completes (watched without unlocking)
      const status = await waitFor(async () => {
        const { status } = await handle.describe();
        return status.name === 'RUNNING' ? undefined : status.name;
      });
      await testService.lockTimeSkipping({});
      expect(status).toBe('COMPLETED');
      expect((await env.currentTimeMs()) - timerStart).toBeGreaterThanOrEqual(HOUR);
      await keepHistory(workflowId);
    });
  });

  it('answers Sleep and SleepUntil on the virtual clock without unlocking, and refuses bad requests', async () => {
    const testService = env.connection.testService;
    if (!testService) throw new Error('the time-skipping environment has no TestService');
    // GIVEN the locked server's current time
    const before = await env.currentTimeMs();

    // WHEN the test sleeps 200 ms, sleeps until a time already past, and sends a Sleep without duration
    await testService.sleep({ duration: { seconds: Long.fromNumber(0), nanos: 200_000_000 } });
    const afterSleep = await env.currentTimeMs();
    await testService.sleepUntil({ timestamp: { seconds: Long.fromNumber(Math.floor(before / 1000) - 60), nanos: 0 } });
    const bad = testService.sleep({});

    // THEN time moved at real pace (locked: no skipping) and the bad request is INVALID_ARGUMENT
    expect(afterSleep - before).toBeGreaterThanOrEqual(200);
    expect(afterSleep - before).toBeLessThan(HOUR);
    await expect(bad).rejects.toMatchObject({ code: 3, details: 'Duration is not set on request.' });
  });

  it('reports the virtual time: env.currentTimeMs moves by what env.sleep skipped', async () => {
    // GIVEN the current virtual time
    const before = await env.currentTimeMs();

    // WHEN the test sleeps 5 days with nothing else scheduled
    await env.sleep('5 days');

    // THEN the server clock moved by the 5 days (the sleep alone drives it)
    const after = await env.currentTimeMs();
    expect(after - before).toBeGreaterThanOrEqual(5 * DAY);
    expect(after - before).toBeLessThan(5 * DAY + 60_000);
  });

  it('skips the timers of child workflows as well as their parent', async () => {
    // GIVEN a parent sleeping a week beside a child sleeping 3 days
    const workflowId = uniqueId('parent-child');

    // WHEN the parent runs to completion
    const result = await withWorker(() =>
      env.client.workflow.execute(parentAndSleepyChild, { workflowId, taskQueue: TASK_QUEUE, args: [3] }),
    );

    // THEN the child woke 3 virtual days in, the parent saw it then, and finished at its week
    expect(result.child - result.start).toBeGreaterThanOrEqual(3 * DAY);
    expect(result.childDone - result.start).toBeGreaterThanOrEqual(3 * DAY);
    expect(result.childDone - result.start).toBeLessThan(7 * DAY);
    expect(result.end - result.start).toBeGreaterThanOrEqual(7 * DAY);
    const history = await keepHistory(workflowId);
    const childCompleted = only(history, 'CHILD_WORKFLOW_EXECUTION_COMPLETED');
    expect(Number(childCompleted.eventId)).toBeLessThan(Number(only(history, 'TIMER_FIRED').eventId));
    await keepHistory(`${workflowId}-child`);
  });

  it('skips the timers of every run of a continue-as-new chain', async () => {
    // GIVEN a workflow that sleeps a day per run, over 5 runs
    const workflowId = uniqueId('continue-as-new');

    // WHEN the result is awaited (following the chain)
    const starts = await withWorker(() =>
      env.client.workflow.execute(dailyContinueAsNew, { workflowId, taskQueue: TASK_QUEUE, args: [5] }),
    );

    // THEN each run started a virtual day after the previous one
    expect(starts).toHaveLength(5);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(DAY);
    await keepHistory(workflowId);
  });

  it('produces histories that replay cleanly', async () => {
    expect(histories.length).toBeGreaterThanOrEqual(10);
    for (const { workflowId, history } of histories) {
      await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
    }
  });
});

describe('dev server: started with --enable-time-skipping', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR', extraArgs: ['--enable-time-skipping'] });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('skips time from the start, without any result wait unlocking it', async () => {
    const workflowBundle = await bundleTestWorkflows();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
    await worker.runUntil(async () => {
      // GIVEN a workflow with a 10-day sleep, started but not waited for
      const workflowId = uniqueId('unlocked-from-start');
      const handle = await env.client.workflow.start(longSleep, { workflowId, taskQueue: TASK_QUEUE, args: [10 * DAY] });

      // WHEN the test only watches it (describe does not touch the locks)
      const status = await waitFor(async () => {
        const { status } = await handle.describe();
        return status.name === 'RUNNING' ? undefined : status.name;
      });

      // THEN it completed on its own, 10 virtual days in
      expect(status).toBe('COMPLETED');
      const history = await handle.fetchHistory();
      const fired = eventsOfType(history, 'TIMER_FIRED')[0];
      expect(eventTimeMs(fired) - eventTimeMs(eventsOfType(history, 'TIMER_STARTED')[0])).toBeGreaterThanOrEqual(10 * DAY);
    });
  });
});

describe('dev server: time skipping with --db-filename', () => {
  let env: TestWorkflowEnvironment;
  const dir = mkdtempSync(path.join(tmpdir(), 'cellops-time-skipping-'));

  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR', extraArgs: ['--db-filename', path.join(dir, 'state.db')] });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('skips the same way when every change is published only once durable', async () => {
    const workflowBundle = await bundleTestWorkflows();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
    // GIVEN a workflow with a one-day and a two-day timer running at once, on a persisted server
    const workflowId = uniqueId('persisted-parallel');

    // WHEN it runs
    const { start, first, second } = await worker.runUntil(() =>
      env.client.workflow.execute(parallelTimers, { workflowId, taskQueue: TASK_QUEUE, args: [DAY, 2 * DAY] }),
    );

    // THEN the first timer's workflow task ran at day one: the clock did not jump on to day two
    // while that task was outstanding (not yet durable, hence not yet handed out)
    expect(first - start).toBeGreaterThanOrEqual(DAY);
    expect(first - start).toBeLessThan(DAY + 60_000);
    expect(second - start).toBeGreaterThanOrEqual(2 * DAY);
  });
});
