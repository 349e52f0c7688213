import { Context, CompleteAsyncError } from '@temporalio/activity';
import { ActivityNotFoundError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, waitFor } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import {
  activityTimeout,
  asyncCompletion,
  cancelActivity,
  cancelActivitySignal,
  cancelAsyncActivity,
  cancelUnstartedActivity,
  failingActivity,
  heartbeatResume,
  retryFlaky,
} from './workflows';

const TASK_QUEUE = 'devserver-activities';
/** A task queue no worker polls. */
const IDLE_TASK_QUEUE = 'devserver-activities-idle';

/** Milliseconds of a protobuf Duration or Timestamp. */
const msOf = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6);

/** What the activities observed, per workflow id. */
interface Observed {
  attemptTimes: number[];
  /** Per retry, as the server describes the running attempt: the backoff it applied, and the time from the last attempt's end to this attempt's schedule. */
  retries: { intervalMs: number; waitedMs: number }[];
  firstTaskToken?: Uint8Array;
  staleTokenErrors: unknown[];
  asyncInfo?: { workflowId: string; activityId: string };
  /** A heartbeating activity is running. */
  heartbeating?: boolean;
}

describe('dev server: activities', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  const observed = new Map<string, Observed>();

  function observe(): Observed {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    let entry = observed.get(workflowId);
    if (!entry) {
      entry = { attemptTimes: [], retries: [], staleTokenErrors: [] };
      observed.set(workflowId, entry);
    }
    return entry;
  }

  const activities: TestActivities = {
    echo: (value) => Promise.resolve(`echo:${value}`),
    async flaky(failuresBeforeSuccess) {
      const { attempt, taskToken, workflowExecution } = Context.current().info;
      const seen = observe();
      seen.attemptTimes.push(Date.now());
      if (attempt === 1) seen.firstTaskToken = taskToken;
      if (attempt > 1) {
        const { raw } = await env.client.workflow.getHandle(workflowExecution?.workflowId ?? '').describe();
        const pending = raw.pendingActivities?.[0];
        seen.retries.push({
          intervalMs: msOf(pending?.currentRetryInterval),
          waitedMs: msOf(pending?.scheduledTime) - msOf(pending?.lastAttemptCompleteTime),
        });
      }
      if (attempt <= failuresBeforeSuccess) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, 'Transient');
      if (seen.firstTaskToken && attempt > 1) {
        // A late answer for attempt 1 must be refused while this attempt runs.
        await env.client.activity.complete(seen.firstTaskToken, 'late').catch((err: unknown) => seen.staleTokenErrors.push(err));
        await env.client.activity.heartbeat(seen.firstTaskToken).catch((err: unknown) => seen.staleTokenErrors.push(err));
      }
      return `succeeded on attempt ${attempt}`;
    },
    failWith(type, nonRetryable) {
      observe().attemptTimes.push(Date.now());
      return Promise.reject(ApplicationFailure.create({ message: `always ${type}`, type, nonRetryable }));
    },
    async heartbeatThenFail() {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) {
        ctx.heartbeat({ progress: 42 });
        await ctx.sleep(200);
        throw ApplicationFailure.retryable('crashed after a heartbeat');
      }
      return `attempt ${ctx.info.attempt} resumed from ${JSON.stringify(ctx.info.heartbeatDetails)}`;
    },
    async waitForCancellation() {
      const ctx = Context.current();
      observe().heartbeating = true;
      for (;;) {
        ctx.heartbeat();
        await ctx.sleep(100);
      }
    },
    async sleepFor(ms) {
      observe().attemptTimes.push(Date.now());
      await Context.current().sleep(ms);
      return 'slept';
    },
    completeLater() {
      const { workflowExecution, activityId } = Context.current().info;
      observe().asyncInfo = { workflowId: workflowExecution?.workflowId ?? '', activityId };
      return Promise.reject(new CompleteAsyncError());
    },
    signalSelf: () => Promise.resolve('unused'),
  };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  async function activityFailureOf(run: Promise<unknown>): Promise<ActivityFailure> {
    const error = await run.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    return cause as ActivityFailure;
  }

  it('retries a failing activity server-side with exponential backoff until it succeeds', async () => {
    // GIVEN an activity that fails twice, with a 100 ms initial interval doubling each retry
    const workflowId = uniqueId('retry');

    // WHEN the workflow runs
    const result = await withWorker(() =>
      env.client.workflow.execute(retryFlaky, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [2, { initialIntervalMs: 100, backoffCoefficient: 2 }],
      }),
    );

    // THEN the third attempt succeeds after 100 ms and 200 ms backoffs (as the server recorded them,
    // each attempt scheduled no earlier than its backoff after the previous one ended), and the
    // retries left no events
    expect(result).toBe('succeeded on attempt 3');
    expect(observed.get(workflowId)?.attemptTimes).toHaveLength(3);
    const retries = observed.get(workflowId)?.retries ?? [];
    expect(retries.map((r) => r.intervalMs)).toEqual([100, 200]);
    for (const { intervalMs, waitedMs } of retries) expect(waitedMs).toBeGreaterThanOrEqual(intervalMs);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const started = eventsOfType(history, 'ACTIVITY_TASK_STARTED')[0].activityTaskStartedEventAttributes;
    expect(started?.attempt).toBe(3);
    expect(started?.lastFailure?.message).toBe('attempt 2 failed');
    const completed = eventsOfType(history, 'ACTIVITY_TASK_COMPLETED')[0].activityTaskCompletedEventAttributes;
    expect(Number(completed?.scheduledEventId)).toBe(5);
    expect(Number(completed?.startedEventId)).toBe(6);
    // The scheduled event carries the policy with the server's defaults filled in.
    const scheduled = eventsOfType(history, 'ACTIVITY_TASK_SCHEDULED')[0].activityTaskScheduledEventAttributes;
    expect(scheduled?.retryPolicy?.backoffCoefficient).toBe(2);
    expect(Number(scheduled?.scheduleToCloseTimeout?.seconds ?? 0)).toBe(0);
    expect(Number(scheduled?.startToCloseTimeout?.seconds)).toBe(10);
  });

  it('caps the backoff at the maximum interval', async () => {
    // GIVEN a coefficient of 10 (100 ms, then 1 s) capped at 150 ms
    const workflowId = uniqueId('max-interval');

    // WHEN the activity fails twice
    await withWorker(() =>
      env.client.workflow.execute(retryFlaky, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [2, { initialIntervalMs: 100, backoffCoefficient: 10, maximumIntervalMs: 150 }],
      }),
    );

    // THEN the second retry's backoff was 150 ms, not 1 s
    expect(observed.get(workflowId)?.attemptTimes).toHaveLength(3);
    const retries = observed.get(workflowId)?.retries ?? [];
    expect(retries.map((r) => r.intervalMs)).toEqual([100, 150]);
    for (const { intervalMs, waitedMs } of retries) expect(waitedMs).toBeGreaterThanOrEqual(intervalMs);
  });

  it('stops after maximum attempts and reports MAXIMUM_ATTEMPTS_REACHED', async () => {
    // GIVEN an activity that always fails, with 3 attempts allowed
    const workflowId = uniqueId('max-attempts');

    // WHEN the workflow runs
    const failure = await withWorker(() =>
      activityFailureOf(
        env.client.workflow.execute(failingActivity, { taskQueue: TASK_QUEUE, workflowId, args: ['Boom', false, { maximumAttempts: 3 }] }),
      ),
    );

    // THEN it ran three times and failed with the last attempt's failure
    expect(observed.get(workflowId)?.attemptTimes).toHaveLength(3);
    expect(failure.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failure.cause).toBeInstanceOf(ApplicationFailure);
    expect((failure.cause as ApplicationFailure).type).toBe('Boom');
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(eventTypes(history)).toContain('ACTIVITY_TASK_FAILED');
    expect(eventsOfType(history, 'ACTIVITY_TASK_STARTED')[0].activityTaskStartedEventAttributes?.attempt).toBe(3);
  });

  it('does not retry non-retryable error types or non-retryable failures', async () => {
    // GIVEN one failure whose type is listed as non-retryable and one flagged non-retryable
    const byTypeId = uniqueId('non-retryable-type');
    const byFlagId = uniqueId('non-retryable-flag');

    // WHEN both workflows run
    const [byType, byFlag] = await withWorker(() =>
      Promise.all([
        activityFailureOf(
          env.client.workflow.execute(failingActivity, {
            taskQueue: TASK_QUEUE,
            workflowId: byTypeId,
            args: ['Fatal', false, { nonRetryableErrorTypes: ['Fatal'] }],
          }),
        ),
        activityFailureOf(
          env.client.workflow.execute(failingActivity, { taskQueue: TASK_QUEUE, workflowId: byFlagId, args: ['Whatever', true, {}] }),
        ),
      ]),
    );

    // THEN each ran once and failed as NON_RETRYABLE_FAILURE
    expect(observed.get(byTypeId)?.attemptTimes).toHaveLength(1);
    expect(observed.get(byFlagId)?.attemptTimes).toHaveLength(1);
    expect(byType.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect(byFlag.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
  });

  it('carries heartbeat details to the next attempt', async () => {
    // GIVEN an activity that heartbeats {progress: 42} and then crashes
    const workflowId = uniqueId('heartbeat-details');

    // WHEN it is retried
    const result = await withWorker(() => env.client.workflow.execute(heartbeatResume, { taskQueue: TASK_QUEUE, workflowId }));

    // THEN the retry sees the details of the last heartbeat
    expect(result).toBe('attempt 2 resumed from {"progress":42}');
  });

  it('times out attempts at start-to-close and retries them until maximum attempts', async () => {
    // GIVEN an activity that outlasts its 300 ms start-to-close timeout, 2 attempts allowed
    const workflowId = uniqueId('start-to-close');

    // WHEN the workflow runs
    const failure = await withWorker(() =>
      activityFailureOf(
        env.client.workflow.execute(activityTimeout, { taskQueue: TASK_QUEUE, workflowId, args: ['startToClose', IDLE_TASK_QUEUE] }),
      ),
    );

    // THEN both attempts ran and the activity timed out with a START_TO_CLOSE timeout
    expect(observed.get(workflowId)?.attemptTimes).toHaveLength(2);
    expect(failure.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.START_TO_CLOSE);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(eventTypes(history)).toContain('ACTIVITY_TASK_TIMED_OUT');
    expect(eventsOfType(history, 'ACTIVITY_TASK_STARTED')[0].activityTaskStartedEventAttributes?.attempt).toBe(2);
  });

  it('times out an activity that stops heartbeating', async () => {
    // GIVEN an activity with a 300 ms heartbeat timeout that never heartbeats
    const workflowId = uniqueId('heartbeat-timeout');

    // WHEN the workflow runs
    const failure = await withWorker(() =>
      activityFailureOf(
        env.client.workflow.execute(activityTimeout, { taskQueue: TASK_QUEUE, workflowId, args: ['heartbeat', IDLE_TASK_QUEUE] }),
      ),
    );

    // THEN it times out with a HEARTBEAT timeout
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.HEARTBEAT);
  });

  it('times out at schedule-to-close, also when a retry would start past it', async () => {
    // GIVEN one activity whose 500 ms budget ends during its attempt, and one whose retry would start after its budget
    const duringId = uniqueId('schedule-to-close');
    const retryId = uniqueId('retry-past-schedule-to-close');

    // WHEN both workflows run
    const [during, pastRetry] = await withWorker(() =>
      Promise.all([
        activityFailureOf(
          env.client.workflow.execute(activityTimeout, { taskQueue: TASK_QUEUE, workflowId: duringId, args: ['scheduleToClose', IDLE_TASK_QUEUE] }),
        ),
        activityFailureOf(
          env.client.workflow.execute(activityTimeout, {
            taskQueue: TASK_QUEUE,
            workflowId: retryId,
            args: ['retryPastScheduleToClose', IDLE_TASK_QUEUE],
          }),
        ),
      ]),
    );

    // THEN both fail with a SCHEDULE_TO_CLOSE timeout: not retryable itself, and the retry's budget exceeded
    for (const failure of [during, pastRetry]) {
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.SCHEDULE_TO_CLOSE);
    }
    expect(during.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect(pastRetry.retryState).toBe(RetryState.TIMEOUT);
    expect(observed.get(retryId)?.attemptTimes).toHaveLength(1);
  });

  it('times out a task nobody picks up at schedule-to-start, without a started event', async () => {
    // GIVEN an activity on a task queue no worker polls, with a 300 ms schedule-to-start timeout
    const workflowId = uniqueId('schedule-to-start');

    // WHEN the workflow runs
    const failure = await withWorker(() =>
      activityFailureOf(
        env.client.workflow.execute(activityTimeout, { taskQueue: TASK_QUEUE, workflowId, args: ['scheduleToStart', IDLE_TASK_QUEUE] }),
      ),
    );

    // THEN it times out with SCHEDULE_TO_START and the history has no ACTIVITY_TASK_STARTED
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.SCHEDULE_TO_START);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(eventTypes(history)).toContain('ACTIVITY_TASK_TIMED_OUT');
    expect(eventTypes(history)).not.toContain('ACTIVITY_TASK_STARTED');
  });

  it('delivers a cancellation through the heartbeat response', async () => {
    // GIVEN a heartbeating activity
    const workflowId = uniqueId('cancel-activity');

    // WHEN the workflow cancels it once it runs
    const result = await withWorker(async () => {
      const handle = await env.client.workflow.start(cancelActivity, { taskQueue: TASK_QUEUE, workflowId });
      await waitFor(() => Promise.resolve(observed.get(workflowId)?.heartbeating), 60_000, 'activity start');
      await handle.signal(cancelActivitySignal);
      return await handle.result();
    });

    // THEN the activity was cancelled and the history records request and acknowledgement
    expect(result).toBe('activity canceled');
    const types = eventTypes(await env.client.workflow.getHandle(workflowId).fetchHistory());
    const requested = types.indexOf('ACTIVITY_TASK_CANCEL_REQUESTED');
    expect(requested).toBeGreaterThan(0);
    // The lazily written start comes right before the cancellation, after the request.
    const started = types.indexOf('ACTIVITY_TASK_STARTED');
    expect(started).toBeGreaterThan(requested);
    expect(types[started + 1]).toBe('ACTIVITY_TASK_CANCELED');
  });

  it('cancels an activity that no worker has started at once', async () => {
    // GIVEN an activity on a task queue nobody polls
    const workflowId = uniqueId('cancel-unstarted');

    // WHEN the workflow cancels it
    const result = await withWorker(() =>
      env.client.workflow.execute(cancelUnstartedActivity, { taskQueue: TASK_QUEUE, workflowId, args: [IDLE_TASK_QUEUE] }),
    );

    // THEN the cancel request and the cancellation are written together, without a start
    expect(result).toBe('activity canceled');
    const types = eventTypes(await env.client.workflow.getHandle(workflowId).fetchHistory());
    const requested = types.indexOf('ACTIVITY_TASK_CANCEL_REQUESTED');
    expect(types[requested + 1]).toBe('ACTIVITY_TASK_CANCELED');
    expect(types).not.toContain('ACTIVITY_TASK_STARTED');
  });

  it('refuses late answers for an attempt that already failed', async () => {
    // GIVEN an activity whose second attempt answers with the first attempt's task token
    const workflowId = uniqueId('stale-token');

    // WHEN the workflow runs
    const result = await withWorker(() =>
      env.client.workflow.execute(retryFlaky, { taskQueue: TASK_QUEUE, workflowId, args: [1, { initialIntervalMs: 50 }] }),
    );

    // THEN the stale completion and heartbeat were rejected as not found, and attempt 2's result counts
    expect(result).toBe('succeeded on attempt 2');
    const errors = observed.get(workflowId)?.staleTokenErrors ?? [];
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(ActivityNotFoundError);
  });

  it('completes, heartbeats and fails activities by id from outside the worker', async () => {
    // GIVEN two workflows whose activities complete asynchronously
    const completeId = uniqueId('complete-by-id');
    const failId = uniqueId('fail-by-id');
    await withWorker(async () => {
      const completing = await env.client.workflow.start(asyncCompletion, { taskQueue: TASK_QUEUE, workflowId: completeId });
      const failing = await env.client.workflow.start(asyncCompletion, { taskQueue: TASK_QUEUE, workflowId: failId });
      const completeInfo = await waitFor(() => Promise.resolve(observed.get(completeId)?.asyncInfo), 10_000, 'activity start');
      const failInfo = await waitFor(() => Promise.resolve(observed.get(failId)?.asyncInfo), 10_000, 'activity start');

      // WHEN a client heartbeats and completes the first by id, and fails the second by id
      await env.client.activity.heartbeat(completeInfo, 'halfway');
      const pending = (await completing.describe()).raw.pendingActivities ?? [];
      await env.client.activity.complete(completeInfo, 'done by id');
      await env.client.activity.fail(failInfo, ApplicationFailure.nonRetryable('failed by id', 'External'));

      // THEN describe showed the started activity with its heartbeat, and both outcomes reached the workflows
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        activityId: completeInfo.activityId,
        activityType: { name: 'completeLater' },
        state: temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        attempt: 1,
      });
      expect(pending[0].heartbeatDetails?.payloads).toHaveLength(1);
      expect(await completing.result()).toBe('done by id');
      const failure = await activityFailureOf(failing.result());
      expect(failure.cause).toMatchObject({ message: 'failed by id', type: 'External' });
    });
  });

  it('accepts a cancellation acknowledged by id', async () => {
    // GIVEN an asynchronously completed activity that the workflow cancels
    const workflowId = uniqueId('cancel-by-id');
    const result = await withWorker(async () => {
      const handle = await env.client.workflow.start(cancelAsyncActivity, { taskQueue: TASK_QUEUE, workflowId });
      const info = await waitFor(() => Promise.resolve(observed.get(workflowId)?.asyncInfo), 60_000, 'activity start');
      await handle.signal(cancelActivitySignal);
      await waitFor(async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const state = pending[0]?.state;
        return state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED ? true : undefined;
      });

      // WHEN the cancellation is reported by id
      await env.client.activity.reportCancellation(info);
      return await handle.result();
    });

    // THEN the workflow sees the activity canceled
    expect(result).toBe('activity canceled');
    const types = eventTypes(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(types).toContain('ACTIVITY_TASK_CANCELED');
  });
});
