import { deleteAttemptDeadlines, queueAttempt, setTimeoutDeadline } from './activities';
import { deadlineKey, type EngineContext, type Txn } from './context';
import { invalidArgument, notFound } from './errors';
import { type api, duration, durationMs, enums, timestamp, type workflow } from './proto';
import { activityRetryPolicy } from './retry';
import type { ActivityOptionsState, ActivityState, ExecutionState } from './types';

const TimeoutType = enums.TimeoutType;

/** Which activities an operator request names: one activity id, every activity of a type, or all. */
export interface ActivitySelector {
  id?: string | null;
  type?: string | null;
  all?: boolean | null;
}

/** The pending activities a request names; none is NOT_FOUND, no selector INVALID_ARGUMENT. */
export function selectActivities(exec: ExecutionState, selector: ActivitySelector): ActivityState[] {
  const pending = Object.values(exec.activities);
  let selected: ActivityState[];
  if (selector.id) selected = pending.filter((a) => a.activityId === selector.id);
  else if (selector.type) selected = pending.filter((a) => a.activityType === selector.type);
  else if (selector.all) selected = pending;
  else throw invalidArgument('Either activity id, activity type or match all must be provided.');
  if (selected.length === 0) {
    throw notFound(selector.id ? `Activity id ${selector.id} is not found.` : 'No pending activity matches the request.');
  }
  return selected;
}

/** Waiting for its next attempt (not queued, not running): what a paused activity that is not running looks like. */
function holdAttempt(ctx: EngineContext, exec: ExecutionState, act: ActivityState): void {
  deleteAttemptDeadlines(ctx, exec, act);
  act.phase = 'backoff';
}

/** Queues the next attempt after an optional jitter (a random delay of up to `jitterMs`). */
function dispatchAttempt(ctx: EngineContext, exec: ExecutionState, act: ActivityState, jitterMs: number, txn: Txn): void {
  holdAttempt(ctx, exec, act);
  txn.touched.add(exec);
  const delayMs = jitterMs > 0 ? Math.floor(Math.random() * jitterMs) : 0;
  if (delayMs <= 0) {
    queueAttempt(ctx, exec, act, txn);
    return;
  }
  ctx.scheduler.set(deadlineKey.activityRetry(exec.runId, act.scheduledEventId), ctx.clock.now() + delayMs, {
    kind: 'activityRetry',
    runId: exec.runId,
    scheduledEventId: act.scheduledEventId,
    attempt: act.attempt,
  });
}

/**
 * PauseActivity: an activity waiting for an attempt is held; a running attempt learns of the
 * pause in its next heartbeat response (`activityPaused`, which the SDK turns into a
 * cancellation with `cancellationDetails.paused`), and its failure is not retried until the
 * activity is unpaused. Pausing a paused activity changes nothing.
 */
export function pauseActivity(ctx: EngineContext, exec: ExecutionState, act: ActivityState, identity: string, reason: string, txn: Txn): void {
  if (act.paused) return;
  act.paused = { timeMs: ctx.clock.now(), identity, reason };
  if (act.phase !== 'started') holdAttempt(ctx, exec, act);
  txn.touched.add(exec);
}

/** UnpauseActivity: the next attempt is dispatched (after the jitter), optionally from attempt 1 and without heartbeat details. */
export function unpauseActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  options: { resetAttempts: boolean; resetHeartbeat: boolean; jitterMs: number },
  txn: Txn,
): void {
  if (!act.paused) return;
  act.paused = undefined;
  if (options.resetHeartbeat) act.heartbeatDetails = null;
  if (act.phase === 'started') {
    if (options.resetAttempts) act.resetRequested = true;
  } else {
    if (options.resetAttempts) act.attempt = 1;
    dispatchAttempt(ctx, exec, act, options.jitterMs, txn);
  }
  txn.touched.add(exec);
}

/**
 * ResetActivity: back to attempt 1. A running attempt learns of it in its next heartbeat
 * response (`activityReset`) and the attempt that follows its failure is attempt 1, at once;
 * otherwise attempt 1 is dispatched now. A paused activity is unpaused unless `keepPaused`.
 */
export function resetActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  options: { resetHeartbeat: boolean; keepPaused: boolean; jitterMs: number; restoreOriginalOptions: boolean },
  txn: Txn,
): void {
  if (options.resetHeartbeat) act.heartbeatDetails = null;
  if (options.restoreOriginalOptions && act.originalOptions) applyOptions(act, act.originalOptions);
  if (!options.keepPaused) act.paused = undefined;
  if (act.phase === 'started') {
    act.resetRequested = true;
  } else {
    act.attempt = 1;
    if (act.paused) holdAttempt(ctx, exec, act);
    else dispatchAttempt(ctx, exec, act, options.jitterMs, txn);
  }
  txn.touched.add(exec);
}

function optionsOf(act: ActivityState): ActivityOptionsState {
  return {
    taskQueue: act.taskQueue,
    scheduleToCloseMs: act.scheduleToCloseMs,
    scheduleToStartMs: act.scheduleToStartMs,
    startToCloseMs: act.startToCloseMs,
    heartbeatMs: act.heartbeatMs,
    retry: { ...act.retry, nonRetryableErrorTypes: [...act.retry.nonRetryableErrorTypes] },
  };
}

function applyOptions(act: ActivityState, options: ActivityOptionsState): void {
  act.taskQueue = options.taskQueue;
  act.scheduleToCloseMs = options.scheduleToCloseMs;
  act.scheduleToStartMs = options.scheduleToStartMs;
  act.startToCloseMs = options.startToCloseMs;
  act.heartbeatMs = options.heartbeatMs;
  act.retry = { ...options.retry, nonRetryableErrorTypes: [...options.retry.nonRetryableErrorTypes] };
}

/** ActivityOptions as the API reports them. */
export function activityOptionsProto(act: ActivityState): api.activity.v1.IActivityOptions {
  return {
    taskQueue: { name: act.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduleToCloseTimeout: duration(act.scheduleToCloseMs),
    scheduleToStartTimeout: duration(act.scheduleToStartMs),
    startToCloseTimeout: duration(act.startToCloseMs),
    heartbeatTimeout: duration(act.heartbeatMs),
    retryPolicy: {
      initialInterval: duration(act.retry.initialIntervalMs),
      backoffCoefficient: act.retry.backoffCoefficient,
      maximumInterval: duration(act.retry.maximumIntervalMs),
      maximumAttempts: act.retry.maximumAttempts,
      nonRetryableErrorTypes: act.retry.nonRetryableErrorTypes,
    },
  };
}

/** A field mask path in the API's snake_case form (camelCase accepted too). */
function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * UpdateActivityOptions: the fields the update mask names take the given values (or, with
 * `restoreOriginal`, the options the activity was scheduled with); they apply from the next
 * attempt, and a queued attempt is queued again under them.
 */
export function updateActivityOptions(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  given: api.activity.v1.IActivityOptions | null | undefined,
  paths: string[],
  restoreOriginal: boolean,
  txn: Txn,
): void {
  act.originalOptions ??= optionsOf(act);
  const next = restoreOriginal ? act.originalOptions : optionsOf(act);
  if (!restoreOriginal) {
    const retry = activityRetryPolicy(given?.retryPolicy);
    for (const path of paths.map(snake)) {
      switch (path) {
        case 'task_queue':
        case 'task_queue.name':
          if (!given?.taskQueue?.name) throw invalidArgument('TaskQueue name is not set on activity options.');
          next.taskQueue = given.taskQueue.name;
          break;
        case 'schedule_to_close_timeout':
          next.scheduleToCloseMs = durationMs(given?.scheduleToCloseTimeout);
          break;
        case 'schedule_to_start_timeout':
          next.scheduleToStartMs = durationMs(given?.scheduleToStartTimeout);
          break;
        case 'start_to_close_timeout':
          next.startToCloseMs = durationMs(given?.startToCloseTimeout);
          break;
        case 'heartbeat_timeout':
          next.heartbeatMs = durationMs(given?.heartbeatTimeout);
          break;
        case 'retry_policy':
          next.retry = retry;
          break;
        case 'retry_policy.initial_interval':
          next.retry.initialIntervalMs = retry.initialIntervalMs;
          break;
        case 'retry_policy.backoff_coefficient':
          next.retry.backoffCoefficient = retry.backoffCoefficient;
          break;
        case 'retry_policy.maximum_interval':
          next.retry.maximumIntervalMs = retry.maximumIntervalMs;
          break;
        case 'retry_policy.maximum_attempts':
          next.retry.maximumAttempts = retry.maximumAttempts;
          break;
        case 'retry_policy.non_retryable_error_types':
          next.retry.nonRetryableErrorTypes = retry.nonRetryableErrorTypes;
          break;
        default:
          throw invalidArgument(`Update mask path ${path} is not supported for activity options.`);
      }
    }
  }
  if (next.startToCloseMs <= 0 && next.scheduleToCloseMs <= 0) {
    throw invalidArgument('A valid StartToClose or ScheduleToCloseTimeout is not set on activity options.');
  }
  applyOptions(act, next);
  if (act.scheduleToCloseMs > 0) {
    setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, act.scheduledTimeMs + act.scheduleToCloseMs);
  } else {
    ctx.scheduler.delete(deadlineKey.activityTimeout(exec.runId, act.scheduledEventId, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE));
  }
  if (act.phase === 'scheduled') queueAttempt(ctx, exec, act, txn);
  txn.touched.add(exec);
}

/** The pause fields of a pending activity in Describe. */
export function pauseInfo(act: ActivityState): Pick<workflow.IPendingActivityInfo, 'paused' | 'pauseInfo'> {
  if (!act.paused) return { paused: false };
  return {
    paused: true,
    pauseInfo: { pauseTime: timestamp(act.paused.timeMs), manual: { identity: act.paused.identity, reason: act.paused.reason } },
  };
}
