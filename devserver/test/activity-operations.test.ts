import { status } from '@grpc/grpc-js';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import Long from 'long';
import { uniqueId, useTestWorkflows, waitFor } from './helpers';
import { pausableActivity, type OperatorActivities } from './workflows';

const TASK_QUEUE = 'devserver-activity-operations';
const PendingActivityState = temporal.api.enums.v1.PendingActivityState;

/** What the activity saw, per workflow id. */
interface Seen {
  attempts: number[];
  cancellations: { paused: boolean; reset: boolean; cancelled: boolean }[];
  released: boolean;
}
const seen = new Map<string, Seen>();
function seenFor(workflowId: string): Seen {
  let entry = seen.get(workflowId);
  if (!entry) {
    entry = { attempts: [], cancellations: [], released: false };
    seen.set(workflowId, entry);
  }
  return entry;
}

const activities: OperatorActivities = {
  async heartbeatUntilReleased() {
    const ctx = Context.current();
    const mine = seenFor(ctx.info.workflowExecution?.workflowId ?? '');
    mine.attempts.push(ctx.info.attempt);
    try {
      for (;;) {
        if (mine.released) return `done on attempt ${ctx.info.attempt}`;
        ctx.heartbeat();
        await ctx.sleep(50);
      }
    } catch (err) {
      if (err instanceof CancelledFailure) {
        const details = ctx.cancellationDetails;
        mine.cancellations.push({ paused: details?.paused === true, reset: details?.reset === true, cancelled: details?.cancelRequested === true });
      }
      throw err;
    }
  },
};

/** The gRPC status code of a rejected call. */
async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('dev server: activity pause, unpause, reset and options', () => {
  const fixture = useTestWorkflows(TASK_QUEUE);

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({
      connection: fixture.env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: fixture.workflowBundle,
      activities,
    });
    return await worker.runUntil(fn);
  }

  it('pauses a running activity: the SDK cancels it as paused, no attempt runs until it is unpaused', async () => {
    const workflowId = uniqueId('pause');
    const { client } = fixture.env;
    const service = client.workflowService;
    const execution = { workflowId };
    await withWorker(async () => {
      // GIVEN an activity running its first attempt
      const handle = await client.workflow.start(pausableActivity, { taskQueue: TASK_QUEUE, workflowId });
      const mine = seenFor(workflowId);
      await waitFor(() => Promise.resolve(mine.attempts.length > 0 || undefined), 10_000, 'the first attempt');

      // WHEN an operator pauses it
      await service.pauseActivity({ namespace: 'default', execution, id: 'op', identity: 'operator', reason: 'investigating' });

      // THEN the running attempt is cancelled with the pause as cause and the activity shows paused, not retried
      await waitFor(() => Promise.resolve(mine.cancellations.length > 0 || undefined), 10_000, 'the cancellation');
      expect(mine.cancellations[0]).toEqual({ paused: true, reset: false, cancelled: false });
      const paused = await waitFor(async () => {
        const info = (await handle.describe()).raw.pendingActivities?.[0];
        return info?.state === PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED ? info : undefined;
      });
      expect(paused).toMatchObject({ paused: true, attempt: 2, pauseInfo: { manual: { identity: 'operator', reason: 'investigating' } } });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(mine.attempts).toEqual([1]);

      // WHEN its options are changed while paused, then it is unpaused
      const updated = await service.updateActivityOptions({
        namespace: 'default',
        execution,
        id: 'op',
        activityOptions: { startToCloseTimeout: { seconds: Long.fromNumber(30) }, retryPolicy: { maximumAttempts: 5 } },
        updateMask: { paths: ['start_to_close_timeout', 'retry_policy.maximum_attempts'] },
      });
      const described = (await handle.describe()).raw.pendingActivities?.[0];
      mine.released = true;
      await service.unpauseActivity({ namespace: 'default', execution, id: 'op' });

      // THEN the new options are in force, and the next attempt runs and completes the workflow
      expect(Number(updated.activityOptions?.startToCloseTimeout?.seconds)).toBe(30);
      expect(updated.activityOptions?.retryPolicy?.maximumAttempts).toBe(5);
      expect(described?.activityOptions?.retryPolicy?.maximumAttempts).toBe(5);
      expect(described?.maximumAttempts).toBe(5);
      expect(await handle.result()).toBe('done on attempt 2');
      expect(mine.attempts).toEqual([1, 2]);
    });
  });

  it('resets a running activity: the SDK cancels it as reset and it runs again from attempt 1', async () => {
    const workflowId = uniqueId('reset-activity');
    const { client } = fixture.env;
    await withWorker(async () => {
      // GIVEN an activity running its first attempt
      const handle = await client.workflow.start(pausableActivity, { taskQueue: TASK_QUEUE, workflowId });
      const mine = seenFor(workflowId);
      await waitFor(() => Promise.resolve(mine.attempts.length > 0 || undefined), 10_000, 'the first attempt');

      // WHEN an operator resets it (and the next attempt is let finish once the first is cancelled)
      await client.workflowService.resetActivity({ namespace: 'default', execution: { workflowId }, id: 'op', identity: 'operator' });
      await waitFor(() => Promise.resolve(mine.cancellations.length > 0 || undefined), 10_000, 'the cancellation');
      mine.released = true;

      // THEN the attempt was cancelled as reset, and attempt 1 ran again
      const result = await handle.result();
      expect(mine.cancellations).toEqual([{ paused: false, reset: true, cancelled: false }]);
      expect(mine.attempts).toEqual([1, 1]);
      expect(result).toBe('done on attempt 1');
    });
  });

  it('answers requests naming no pending activity NOT_FOUND, and without a selector INVALID_ARGUMENT', async () => {
    const workflowId = uniqueId('no-activity');
    const { client } = fixture.env;
    await withWorker(async () => {
      // GIVEN a workflow with activity `op` running
      await client.workflow.start(pausableActivity, { taskQueue: TASK_QUEUE, workflowId });
      const mine = seenFor(workflowId);
      await waitFor(() => Promise.resolve(mine.attempts.length > 0 || undefined), 10_000, 'the first attempt');

      // WHEN operators name another activity, or none
      const service = client.workflowService;
      const unknown = await codeOf(service.pauseActivity({ namespace: 'default', execution: { workflowId }, id: 'nope' }));
      const noSelector = await codeOf(service.unpauseActivity({ namespace: 'default', execution: { workflowId } }));
      mine.released = true;

      // THEN
      expect(unknown).toBe(status.NOT_FOUND);
      expect(noSelector).toBe(status.INVALID_ARGUMENT);
      await client.workflow.getHandle(workflowId).result();
    });
  });
});
