/**
 * @module Workflows exercising server-side activity behaviour: retries, timeouts, heartbeats,
 * cancellation and async completion.
 */
import { ActivityCancellationType, CancellationScope, condition, defineSignal, isCancellation, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

/** Tells a workflow to cancel its running activity (sent once the test saw the activity start). */
export const cancelActivitySignal = defineSignal('cancelActivity');

/** Resolves when {@link cancelActivitySignal} arrives. */
function cancelRequested(): Promise<void> {
  let requested = false;
  setHandler(cancelActivitySignal, () => void (requested = true));
  return condition(() => requested);
}

/** Retry policy options a test passes in. */
export interface RetryOptions {
  maximumAttempts?: number;
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maximumIntervalMs?: number;
  nonRetryableErrorTypes?: string[];
}

/** Calls `flaky`, which fails a number of times before succeeding, under the given retry policy. */
export async function retryFlaky(failuresBeforeSuccess: number, retry: RetryOptions): Promise<string> {
  const { flaky } = proxyActivities<TestActivities>({
    startToCloseTimeout: '10s',
    retry: {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalMs ?? 100,
      backoffCoefficient: retry.backoffCoefficient ?? 1,
      maximumInterval: retry.maximumIntervalMs,
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  });
  return await flaky(failuresBeforeSuccess);
}

/** Calls `failWith`, which always throws an ApplicationFailure of the given type. */
export async function failingActivity(type: string, nonRetryable: boolean, retry: RetryOptions): Promise<string> {
  const { failWith } = proxyActivities<TestActivities>({
    startToCloseTimeout: '10s',
    retry: {
      maximumAttempts: retry.maximumAttempts ?? 5,
      initialInterval: retry.initialIntervalMs ?? 50,
      backoffCoefficient: 1,
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  });
  return await failWith(type, nonRetryable);
}

/** An activity that heartbeats, fails once, and reads its last heartbeat on the retry. */
export async function heartbeatResume(): Promise<string> {
  const { heartbeatThenFail } = proxyActivities<TestActivities>({
    startToCloseTimeout: '10s',
    heartbeatTimeout: '5s',
    retry: { initialInterval: 50, maximumAttempts: 3 },
  });
  return await heartbeatThenFail();
}

/** Which activity timeout a test provokes. */
export type TimeoutCase = 'startToClose' | 'heartbeat' | 'scheduleToClose' | 'retryPastScheduleToClose' | 'scheduleToStart';

/** Provokes one activity timeout; the activity (`sleepFor`) outlasts it. */
export async function activityTimeout(which: TimeoutCase, taskQueue: string): Promise<string> {
  switch (which) {
    case 'startToClose':
      return await proxyActivities<TestActivities>({ startToCloseTimeout: 300, retry: { maximumAttempts: 2, initialInterval: 50 } }).sleepFor(5_000);
    case 'heartbeat':
      return await proxyActivities<TestActivities>({
        startToCloseTimeout: '10s',
        heartbeatTimeout: 300,
        retry: { maximumAttempts: 1 },
      }).sleepFor(5_000);
    case 'scheduleToClose':
      // The schedule-to-close deadline passes during the first attempt.
      return await proxyActivities<TestActivities>({ scheduleToCloseTimeout: 500, startToCloseTimeout: '10s' }).sleepFor(5_000);
    case 'retryPastScheduleToClose':
      // The first attempt times out 300 ms after it starts (within the 5 s budget however late a busy
      // worker starts it); a retry 10 s later would start past the budget.
      return await proxyActivities<TestActivities>({
        scheduleToCloseTimeout: 5_000,
        startToCloseTimeout: 300,
        retry: { initialInterval: 10_000, backoffCoefficient: 1 },
      }).sleepFor(60_000);
    case 'scheduleToStart':
      // Nobody polls `taskQueue`, so the task is never picked up.
      return await proxyActivities<TestActivities>({
        taskQueue,
        scheduleToStartTimeout: 300,
        startToCloseTimeout: '10s',
      }).echo('never');
  }
}

/** Starts a heartbeating activity and cancels it on request; the cancellation reaches it via the heartbeat response. */
export async function cancelActivity(): Promise<string> {
  const cancelling = cancelRequested();
  const { waitForCancellation } = proxyActivities<TestActivities>({
    startToCloseTimeout: '30s',
    // Heartbeats are throttled to 80% of this; a short timeout delivers the cancellation sooner.
    heartbeatTimeout: '1s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const scope = new CancellationScope();
  const pending = scope.run(() => waitForCancellation());
  await cancelling;
  scope.cancel();
  try {
    return await pending;
  } catch (err) {
    return isCancellation(err) ? 'activity canceled' : `unexpected: ${String(err)}`;
  }
}

/** Cancels an activity before any worker could start it (its task queue has no worker). */
export async function cancelUnstartedActivity(taskQueue: string): Promise<string> {
  const { echo } = proxyActivities<TestActivities>({
    taskQueue,
    startToCloseTimeout: '10s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const scope = new CancellationScope();
  const pending = scope.run(() => echo('never'));
  await sleep(50);
  scope.cancel();
  try {
    return await pending;
  } catch (err) {
    return isCancellation(err) ? 'activity canceled' : `unexpected: ${String(err)}`;
  }
}

/** Waits for an activity that completes asynchronously (by id, from outside the worker). */
export async function asyncCompletion(): Promise<string> {
  const { completeLater } = proxyActivities<TestActivities>({ startToCloseTimeout: '30s' });
  return await completeLater();
}

/** Cancels an asynchronously completed activity on request; the cancellation is acknowledged by id from outside. */
export async function cancelAsyncActivity(): Promise<string> {
  const cancelling = cancelRequested();
  const { completeLater } = proxyActivities<TestActivities>({
    startToCloseTimeout: '30s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const scope = new CancellationScope();
  const pending = scope.run(() => completeLater());
  await cancelling;
  scope.cancel();
  try {
    return await pending;
  } catch (err) {
    return isCancellation(err) ? 'activity canceled' : `unexpected: ${String(err)}`;
  }
}

/** Waits for an activity on a task queue that no worker polls (for describe tests). */
export async function activityOnIdleQueue(taskQueue: string): Promise<string> {
  const { echo } = proxyActivities<TestActivities>({ taskQueue, startToCloseTimeout: '10s' });
  return await echo('never');
}
