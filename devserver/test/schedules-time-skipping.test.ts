/**
 * Schedules under time skipping (`temporal-dev <port>`, `TestWorkflowEnvironment.createTimeSkipping`):
 * a month of daily actions in seconds of wall time, weekday-only schedules with jitter, and
 * limited actions. Every assertion is on virtual time (workflow ids, search attributes, start
 * times of the runs), never on wall time.
 */
import type { ScheduleHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createTimeSkippingTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, SETUP_TIMEOUT_MS, uniqueId } from './helpers';
import { countScheduledRuns, greet } from './workflows';

const TASK_QUEUE = 'devserver-schedules-time-skipping';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface StartedRun {
  workflowId: string;
  startMs: number;
  scheduledMs: number;
}

describe('dev server: schedules under time skipping', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  /** Lets virtual time run for `ms` with a worker polling. */
  async function skip(ms: number): Promise<void> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
    await worker.runUntil(env.sleep(ms));
  }

  async function startedBy(scheduleId: string): Promise<StartedRun[]> {
    const runs: StartedRun[] = [];
    for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` })) {
      const scheduled = wf.searchAttributes.TemporalScheduledStartTime as Date[] | undefined;
      runs.push({ workflowId: wf.workflowId, startMs: wf.startTime.getTime(), scheduledMs: scheduled?.[0]?.getTime() ?? 0 });
    }
    return runs.sort((a, b) => a.scheduledMs - b.scheduledMs);
  }

  async function create(scheduleId: string, options: Partial<Parameters<TestWorkflowEnvironment['client']['schedule']['create']>[0]>): Promise<ScheduleHandle> {
    return await env.client.schedule.create({
      scheduleId,
      spec: {},
      action: { type: 'startWorkflow', workflowType: greet, workflowId: scheduleId, args: ['tick'], taskQueue: TASK_QUEUE },
      ...options,
    });
  }

  it('runs a month of daily actions, each once at its time, and keeps the next ones in Describe', async () => {
    // GIVEN a schedule at 09:00 UTC every day
    const scheduleId = uniqueId('daily');
    const handle = await create(scheduleId, { spec: { cronExpressions: ['0 9 * * *'] } });
    const createdMs = await env.currentTimeMs();

    // WHEN thirty days of virtual time pass
    await skip(30 * DAY);

    // THEN thirty workflows ran, one per day at 09:00
    const runs = await startedBy(scheduleId);
    expect(runs).toHaveLength(30);
    for (const [i, run] of runs.entries()) {
      expect(new Date(run.scheduledMs).toISOString().slice(11)).toBe('09:00:00.000Z');
      if (i > 0) expect(run.scheduledMs - runs[i - 1].scheduledMs).toBe(DAY);
      // Started at its time (the server takes a moment of virtual time, which runs with real time, to start it)
      expect(run.startMs - run.scheduledMs).toBeGreaterThanOrEqual(0);
      expect(run.startMs - run.scheduledMs).toBeLessThan(MINUTE);
      expect(run.workflowId).toBe(`${scheduleId}-${new Date(run.scheduledMs).toISOString().replace('.000Z', 'Z')}`);
    }
    expect(runs[0].scheduledMs).toBeGreaterThan(createdMs);
    expect(runs[0].scheduledMs).toBeLessThanOrEqual(createdMs + DAY);

    // AND Describe counts them and lists the next days
    const d = await handle.describe();
    expect(d.info.numActionsTaken).toBe(30);
    expect(d.info.recentActions).toHaveLength(10);
    expect(d.info.nextActionTimes[0].getTime()).toBe(runs[29].scheduledMs + DAY);
    await handle.delete();
  });

  it('takes weekday times only, each jittered within the jitter, and stops after its limited actions', async () => {
    // GIVEN a weekday schedule with an hour of jitter, and another limited to three actions
    const weekdays = uniqueId('weekdays');
    const limited = uniqueId('limited');
    const weekdaysHandle = await create(weekdays, { spec: { cronExpressions: ['0 6 * * MON-FRI'], jitter: HOUR } });
    const limitedHandle = await create(limited, { spec: { intervals: [{ every: '1 day' }] }, state: { remainingActions: 3 } });

    // WHEN two weeks pass
    await skip(14 * DAY);

    // THEN the weekday schedule ran on ten weekdays, each within the hour after 06:00
    const runs = await startedBy(weekdays);
    expect(runs).toHaveLength(10);
    for (const run of runs) {
      expect([1, 2, 3, 4, 5]).toContain(new Date(run.scheduledMs).getUTCDay());
      expect(run.startMs - run.scheduledMs).toBeGreaterThanOrEqual(0);
      expect(run.startMs - run.scheduledMs).toBeLessThan(HOUR + MINUTE);
    }
    expect(new Set(runs.map((r) => r.startMs - r.scheduledMs)).size).toBeGreaterThan(1);

    // AND the limited schedule took three actions and has none left
    expect(await startedBy(limited)).toHaveLength(3);
    const d = await limitedHandle.describe();
    expect(d.state.remainingActions).toBe(0);
    expect(d.info.nextActionTimes).toEqual([]);

    // AND a trigger still runs (manual actions are not limited)
    await limitedHandle.trigger();
    await skip(HOUR);
    expect(await startedBy(limited)).toHaveLength(4);
    await weekdaysHandle.delete();
    await limitedHandle.delete();
  });

  it("hands each run the previous run's result", async () => {
    // GIVEN a daily schedule whose workflow returns its last result plus one
    const scheduleId = uniqueId('counting');
    const handle = await env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: countScheduledRuns, workflowId: scheduleId, taskQueue: TASK_QUEUE },
    });

    // WHEN three days pass
    await skip(3 * DAY);

    // THEN the runs counted 1, 2, 3
    const runs = await startedBy(scheduleId);
    const results = await Promise.all(runs.map(async (r) => (await env.client.workflow.getHandle(r.workflowId).result()) as number));
    expect(results).toEqual([1, 2, 3]);
    await handle.delete();
  });

  it('does not catch up the times that passed while paused', async () => {
    // GIVEN an hourly schedule, paused
    const scheduleId = uniqueId('paused');
    const handle = await create(scheduleId, { spec: { intervals: [{ every: '1 hour' }] }, state: { paused: true } });

    // WHEN a day passes, then it is unpaused and three more hours pass
    await skip(DAY);
    expect(await startedBy(scheduleId)).toHaveLength(0);
    await handle.unpause('back');
    await skip(3 * HOUR);

    // THEN only the three hours after the unpause ran
    expect(await startedBy(scheduleId)).toHaveLength(3);
    await handle.delete();
  });
});
