/**
 * `env.sleep` while an activity runs, on the dev server's time-skipping form through the
 * unmodified SDK: as on Temporal's Java test server, the sleep takes one lock away for its
 * duration, so it moves the clock past the running activity, fires the timers that come due and
 * returns. Assertions are on virtual time only.
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createTimeSkippingTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import { timerBesideActivity, type ActivitySleepActivities } from './workflows';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const TASK_QUEUE = 'devserver-activity-sleep';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function eventTimeMs(event: HistoryEvent | undefined): number {
  const t = event?.eventTime;
  if (!t) throw new Error('event has no time');
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

describe('dev server: env.sleep while an activity runs', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let release: () => void = () => undefined;
  let released = Promise.resolve();

  const activities: ActivitySleepActivities = {
    async sleepOnServer(ms) {
      await env.sleep(ms);
    },
    async untilReleased() {
      await released;
    },
  };

  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  it('lets an activity sleep on the server: the clock moves by the sleep and the earlier timer fires first', async () => {
    await withWorker(async () => {
      // GIVEN an activity sleeping 1,000,000 ms on the server beside a 1,500,000 ms timer
      const activityFirst = await env.client.workflow.execute(timerBesideActivity, {
        workflowId: uniqueId('activity-sleeps-less'),
        taskQueue: TASK_QUEUE,
        args: [1_500_000, 1_000_000],
      });
      // THEN the activity's sleep returned after its virtual duration, before the timer
      expect(activityFirst.winner).toBe('activity');
      expect(activityFirst.activityDone - activityFirst.start).toBeGreaterThanOrEqual(1_000_000);
      expect(activityFirst.activityDone - activityFirst.start).toBeLessThan(1_500_000);
      expect(activityFirst.timerDone - activityFirst.start).toBeGreaterThanOrEqual(1_500_000);

      // GIVEN the durations the other way round
      const workflowId = uniqueId('activity-sleeps-more');
      const timerFirst = await env.client.workflow.execute(timerBesideActivity, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [1_000_000, 1_500_000],
      });
      // THEN the timer fired while the activity slept, and the sleep returned at its own end
      expect(timerFirst.winner).toBe('timer');
      expect(timerFirst.timerDone - timerFirst.start).toBeGreaterThanOrEqual(1_000_000);
      expect(timerFirst.activityDone - timerFirst.start).toBeGreaterThanOrEqual(1_500_000);
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const [fired] = eventsOfType(history, 'TIMER_FIRED');
      const [completed] = eventsOfType(history, 'ACTIVITY_TASK_COMPLETED');
      expect(Number(fired.eventId)).toBeLessThan(Number(completed.eventId));
      const [activityStarted] = eventsOfType(history, 'ACTIVITY_TASK_STARTED');
      expect(eventTimeMs(completed) - eventTimeMs(activityStarted)).toBeGreaterThanOrEqual(1_500_000 - MINUTE);
    });
  });

  it('lets the test sleep while it waits for a result: the timer fires past the running activity, the sleep returns', async () => {
    released = new Promise((resolve) => {
      release = resolve;
    });
    await withWorker(async () => {
      // GIVEN a workflow whose activity runs until the test releases it, beside a 30-minute timer
      const workflowId = uniqueId('test-sleeps');
      const handle = await env.client.workflow.start(timerBesideActivity, { workflowId, taskQueue: TASK_QUEUE, args: [30 * MINUTE, 0] });
      await waitFor(async () => (eventsOfType(await handle.fetchHistory(), 'TIMER_STARTED').length > 0 ? true : undefined));
      const before = await env.currentTimeMs();

      // WHEN the test waits for the result and meanwhile sleeps an hour
      const result = handle.result();
      await env.sleep('1 hour');

      // THEN the sleep returned an hour later on the server's clock, the timer fired on the way
      // and the activity is still running
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(HOUR);
      const history = await handle.fetchHistory();
      expect(eventsOfType(history, 'TIMER_FIRED')).toHaveLength(1);
      expect(eventsOfType(history, 'ACTIVITY_TASK_COMPLETED')).toHaveLength(0);

      // WHEN the activity is released
      release();
      const outcome = await result;

      // THEN the workflow saw the timer end first, 30 minutes in
      expect(outcome.winner).toBe('timer');
      expect(outcome.timerDone - outcome.start).toBeGreaterThanOrEqual(30 * MINUTE);
      expect(outcome.activityDone - outcome.start).toBeGreaterThanOrEqual(HOUR);
    });
  });
});
