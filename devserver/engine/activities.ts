import { deadlineKey, type ActivityTaskRef, type EngineContext, type Txn } from './context';
import { notFound } from './errors';
import { appendEvent, makeEvent } from './history';
import { common, duration, enums, failure, i64, timestamp, wsv, type command, type sdk } from './proto';
import { activityRetryPolicy, decideRetry, timeoutTypeShortName } from './retry';
import { encodeToken } from './tokens';
import type { ActivityState, ExecutionState, PendingEvent } from './types';
import { deliverEvents, isRunning } from './workflow-tasks';

const EventType = enums.EventType;
const TimeoutType = enums.TimeoutType;
const RetryState = enums.RetryState;

/** Activity timeouts after the server's defaulting rules (0 = no limit). */
export interface ActivityTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/**
 * Derives the four activity timeouts the way the server does: schedule-to-close bounds the
 * others; without it, start-to-close is required and the run timeout stands in for the
 * schedule timeouts; everything is clamped to the run timeout. Returns an error message for a
 * command that sets neither start-to-close nor schedule-to-close.
 */
export function deriveActivityTimeouts(
  requested: ActivityTimeouts,
  runTimeoutMs: number,
): ActivityTimeouts | string {
  let { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: st2c, heartbeatMs: hb } = requested;
  if (s2c < 0 || s2s < 0 || st2c < 0 || hb < 0) return 'Activity timeouts must not be negative.';
  if (s2c > 0) {
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    st2c = st2c > 0 ? Math.min(st2c, s2c) : s2c;
  } else if (st2c > 0) {
    s2c = runTimeoutMs;
    if (s2s <= 0) s2s = runTimeoutMs;
  } else {
    return 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.';
  }
  if (runTimeoutMs > 0) {
    s2c = s2c > 0 ? Math.min(s2c, runTimeoutMs) : runTimeoutMs;
    s2s = s2s > 0 ? Math.min(s2s, runTimeoutMs) : runTimeoutMs;
    st2c = Math.min(st2c, runTimeoutMs);
  }
  if (s2c > 0) hb = Math.min(hb, s2c);
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: st2c, heartbeatMs: hb };
}

function retryPolicyProto(act: ActivityState): common.IRetryPolicy {
  return {
    initialInterval: duration(act.retry.initialIntervalMs),
    backoffCoefficient: act.retry.backoffCoefficient,
    maximumInterval: duration(act.retry.maximumIntervalMs),
    maximumAttempts: act.retry.maximumAttempts,
    nonRetryableErrorTypes: act.retry.nonRetryableErrorTypes,
  };
}

/** The attempt fields of an activity just scheduled (or rebuilt by a reset): attempt 1, not started, no failure yet. */
export function firstAttempt(now: number): Pick<
  ActivityState,
  | 'phase'
  | 'attempt'
  | 'scheduledTimeMs'
  | 'currentAttemptScheduledTimeMs'
  | 'startedTimeMs'
  | 'startedIdentity'
  | 'startedRequestId'
  | 'lastHeartbeatTimeMs'
  | 'heartbeatDetails'
  | 'lastFailure'
  | 'lastAttemptCompleteTimeMs'
  | 'currentRetryIntervalMs'
> {
  return {
    phase: 'scheduled',
    attempt: 1,
    scheduledTimeMs: now,
    currentAttemptScheduledTimeMs: now,
    startedTimeMs: 0,
    startedIdentity: '',
    startedRequestId: '',
    lastHeartbeatTimeMs: 0,
    heartbeatDetails: null,
    lastFailure: null,
    lastAttemptCompleteTimeMs: 0,
    currentRetryIntervalMs: 0,
  };
}

/**
 * Applies a validated ScheduleActivityTask command: writes ActivityTaskScheduled, records the
 * pending activity and queues its first attempt, unless `eager`: then the caller starts it at
 * once and hands it back in the workflow task completion's response.
 */
export function scheduleActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  attrs: command.IScheduleActivityTaskCommandAttributes,
  timeouts: ActivityTimeouts,
  workflowTaskCompletedEventId: number,
  eager: boolean,
  txn: Txn,
  userMetadata?: sdk.IUserMetadata | null,
): ActivityState {
  const now = ctx.clock.now();
  const taskQueue = attrs.taskQueue?.name || exec.taskQueue;
  const act: ActivityState = {
    scheduledEventId: 0,
    activityId: attrs.activityId ?? '',
    activityType: attrs.activityType?.name ?? '',
    taskQueue,
    input: attrs.input ?? null,
    header: attrs.header ?? null,
    ...timeouts,
    retry: activityRetryPolicy(attrs.retryPolicy),
    ...firstAttempt(now),
    cancelRequested: false,
    cancelRequestedEventId: 0,
  };
  act.scheduledEventId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      userMetadata: userMetadata ?? null,
      activityTaskScheduledEventAttributes: {
        activityId: act.activityId,
        activityType: { name: act.activityType },
        taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        header: attrs.header ?? null,
        input: attrs.input ?? null,
        scheduleToCloseTimeout: duration(act.scheduleToCloseMs),
        scheduleToStartTimeout: duration(act.scheduleToStartMs),
        startToCloseTimeout: duration(act.startToCloseMs),
        heartbeatTimeout: duration(act.heartbeatMs),
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
        retryPolicy: retryPolicyProto(act),
        priority: attrs.priority ?? null,
      },
    }),
    txn,
  );
  exec.activities[act.scheduledEventId] = act;
  if (act.scheduleToCloseMs > 0) {
    setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, now + act.scheduleToCloseMs);
  }
  if (!eager) queueAttempt(ctx, exec, act, txn);
  return act;
}

export function setTimeoutDeadline(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  timeoutType: enums.TimeoutType,
  at: number,
): void {
  ctx.scheduler.set(deadlineKey.activityTimeout(exec.runId, act.scheduledEventId, timeoutType), at, {
    kind: 'activityTimeout',
    runId: exec.runId,
    scheduledEventId: act.scheduledEventId,
    attempt: act.attempt,
    timeoutType,
  });
}

export function deleteAttemptDeadlines(ctx: EngineContext, exec: ExecutionState, act: ActivityState): void {
  for (const type of [TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, TimeoutType.TIMEOUT_TYPE_HEARTBEAT]) {
    ctx.scheduler.delete(deadlineKey.activityTimeout(exec.runId, act.scheduledEventId, type));
  }
  ctx.scheduler.delete(deadlineKey.activityRetry(exec.runId, act.scheduledEventId));
}

/** Forgets a pending activity and all its deadlines. */
function removeActivity(ctx: EngineContext, exec: ExecutionState, act: ActivityState): void {
  deleteAttemptDeadlines(ctx, exec, act);
  ctx.scheduler.delete(deadlineKey.activityTimeout(exec.runId, act.scheduledEventId, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE));
  delete exec.activities[act.scheduledEventId];
}

/** Drops every pending activity of a closing run. */
export function clearActivities(ctx: EngineContext, exec: ExecutionState): void {
  for (const act of Object.values(exec.activities)) removeActivity(ctx, exec, act);
}

/** Puts the current attempt in its task queue, with its schedule-to-start deadline. */
export function queueAttempt(ctx: EngineContext, exec: ExecutionState, act: ActivityState, txn: Txn): void {
  act.phase = 'scheduled';
  act.currentAttemptScheduledTimeMs = ctx.clock.now();
  if (act.scheduleToStartMs > 0 && (act.scheduleToCloseMs === 0 || act.scheduleToStartMs < act.scheduleToCloseMs)) {
    setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, act.currentAttemptScheduledTimeMs + act.scheduleToStartMs);
  }
  const ref: ActivityTaskRef = { runId: exec.runId, scheduledEventId: act.scheduledEventId, attempt: act.attempt };
  txn.activityTasks.push({ namespace: exec.namespace, taskQueue: act.taskQueue, ref });
  txn.touched.add(exec);
}

/**
 * Puts back a pending activity rebuilt from history (a reset's new run): its schedule-to-close
 * deadline from now, and its attempt in its task queue.
 */
export function restoreActivity(ctx: EngineContext, exec: ExecutionState, act: ActivityState, txn: Txn): void {
  exec.activities[act.scheduledEventId] = act;
  if (act.scheduleToCloseMs > 0) {
    setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, act.scheduledTimeMs + act.scheduleToCloseMs);
  }
  queueAttempt(ctx, exec, act, txn);
}

/** The pending activity a matching entry names, if that attempt is still waiting to start. */
export function activityForRef(exec: ExecutionState, ref: ActivityTaskRef): ActivityState | undefined {
  const act = exec.activities[ref.scheduledEventId];
  if (!act || act.attempt !== ref.attempt || act.phase !== 'scheduled' || !isRunning(exec)) return undefined;
  return act;
}

/** Hands an attempt to a worker: no history event yet (ActivityTaskStarted is written lazily). */
export function startActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  identity: string,
  txn: Txn,
): wsv.IPollActivityTaskQueueResponse {
  const now = ctx.clock.now();
  act.phase = 'started';
  act.startedTimeMs = now;
  act.startedIdentity = identity;
  act.startedRequestId = ctx.newId();
  act.lastHeartbeatTimeMs = 0;
  ctx.scheduler.delete(deadlineKey.activityTimeout(exec.runId, act.scheduledEventId, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START));
  setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, now + act.startToCloseMs);
  if (act.heartbeatMs > 0) setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_HEARTBEAT, now + act.heartbeatMs);
  txn.touched.add(exec);
  return {
    taskToken: encodeToken({
      kind: 'activity',
      namespace: exec.namespace,
      runId: exec.runId,
      scheduledEventId: act.scheduledEventId,
      attempt: act.attempt,
    }),
    workflowNamespace: exec.namespace,
    workflowType: { name: exec.workflowType },
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    activityType: { name: act.activityType },
    activityId: act.activityId,
    header: act.header,
    input: act.input,
    heartbeatDetails: act.heartbeatDetails,
    scheduledTime: timestamp(act.scheduledTimeMs),
    currentAttemptScheduledTime: timestamp(act.currentAttemptScheduledTimeMs),
    startedTime: timestamp(now),
    attempt: act.attempt,
    scheduleToCloseTimeout: duration(act.scheduleToCloseMs),
    startToCloseTimeout: duration(act.startToCloseMs),
    heartbeatTimeout: duration(act.heartbeatMs),
    retryPolicy: retryPolicyProto(act),
  };
}

/** The lazily written ActivityTaskStarted event of the attempt that is ending now. */
function startedEvent(ctx: EngineContext, act: ActivityState): PendingEvent {
  const pending = makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
    activityTaskStartedEventAttributes: {
      scheduledEventId: i64(act.scheduledEventId),
      identity: act.startedIdentity,
      requestId: act.startedRequestId,
      attempt: act.attempt,
      lastFailure: act.lastFailure,
    },
  });
  pending.event.eventTime = timestamp(act.startedTimeMs);
  return pending;
}

/** Writes `[Started,] terminal` for an activity that is done, and wakes the workflow. */
function finish(ctx: EngineContext, exec: ExecutionState, act: ActivityState, terminal: PendingEvent, txn: Txn): void {
  const events: PendingEvent[] = [];
  if (act.phase === 'started') {
    events.push(startedEvent(ctx, act));
    terminal.startedIsPrevious = true;
  }
  events.push(terminal);
  removeActivity(ctx, exec, act);
  deliverEvents(ctx, exec, events, txn);
}

/** Finds the started attempt a task token names; stale tokens are NOT_FOUND. */
export function activityForToken(exec: ExecutionState | undefined, scheduledEventId: number, attempt: number): ActivityState {
  if (!exec || !isRunning(exec)) throw notFound('Workflow execution already completed.');
  const act = exec.activities[scheduledEventId];
  if (!act || act.attempt !== attempt || act.phase !== 'started') throw notFound('Activity task not found.');
  return act;
}

/** Finds a pending activity by its activity id, for the `…ById` RPCs. */
export function activityById(exec: ExecutionState | undefined, activityId: string): ActivityState {
  if (!exec || !isRunning(exec)) throw notFound('Workflow execution already completed.');
  const act = Object.values(exec.activities).find((a) => a.activityId === activityId);
  if (!act) throw notFound(`Activity task not found: no pending activity with id "${activityId}".`);
  return act;
}

/** RespondActivityTaskCompleted: the attempt succeeded. */
export function completeActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  result: common.IPayloads | null | undefined,
  identity: string,
  txn: Txn,
): void {
  finish(
    ctx,
    exec,
    act,
    makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      activityTaskCompletedEventAttributes: {
        result: result ?? null,
        scheduledEventId: i64(act.scheduledEventId),
        identity,
      },
    }),
    txn,
  );
}

/** Schedules the next attempt after `delayMs`, remembering why this one failed. */
function scheduleRetry(ctx: EngineContext, exec: ExecutionState, act: ActivityState, lastFailure: failure.IFailure, retryDelayMs: number, txn: Txn): void {
  let delayMs = retryDelayMs;
  const now = ctx.clock.now();
  deleteAttemptDeadlines(ctx, exec, act);
  act.lastFailure = lastFailure;
  act.lastAttemptCompleteTimeMs = now;
  act.currentRetryIntervalMs = delayMs;
  act.attempt++;
  act.phase = 'backoff';
  txn.touched.add(exec);
  if (act.resetRequested) {
    // The attempt an operator reset ended: start again from attempt 1, at once.
    act.resetRequested = false;
    act.attempt = 1;
    delayMs = 0;
  }
  // A paused activity waits for UnpauseActivity (or ResetActivity) for its next attempt.
  if (act.paused) return;
  if (delayMs <= 0) {
    queueAttempt(ctx, exec, act, txn);
    return;
  }
  ctx.scheduler.set(deadlineKey.activityRetry(exec.runId, act.scheduledEventId), now + delayMs, {
    kind: 'activityRetry',
    runId: exec.runId,
    scheduledEventId: act.scheduledEventId,
    attempt: act.attempt,
  });
}

/** The backoff of a retried activity is over: queue its next attempt. */
export function retryActivity(ctx: EngineContext, exec: ExecutionState, scheduledEventId: number, attempt: number, txn: Txn): void {
  const act = exec.activities[scheduledEventId];
  if (!act || act.attempt !== attempt || act.phase !== 'backoff' || !isRunning(exec)) return;
  queueAttempt(ctx, exec, act, txn);
}

function expiresAt(act: ActivityState): number {
  return act.scheduleToCloseMs > 0 ? act.scheduledTimeMs + act.scheduleToCloseMs : 0;
}

/** RespondActivityTaskFailed: retry per the server-side policy, or fail for good. */
export function failActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  attemptFailure: failure.IFailure | null | undefined,
  lastHeartbeatDetails: common.IPayloads | null | undefined,
  identity: string,
  txn: Txn,
): void {
  if (lastHeartbeatDetails) act.heartbeatDetails = lastHeartbeatDetails;
  const f: failure.IFailure = attemptFailure ?? { message: 'activity failed' };
  const decision = decideRetry(act.retry, act.attempt, f, ctx.clock.now(), expiresAt(act));
  if (decision.retry) {
    scheduleRetry(ctx, exec, act, f, decision.delayMs, txn);
    return;
  }
  finish(
    ctx,
    exec,
    act,
    makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: {
        failure: f,
        scheduledEventId: i64(act.scheduledEventId),
        identity,
        retryState: decision.retryState,
      },
    }),
    txn,
  );
}

/** RespondActivityTaskCanceled: the worker acknowledged a cancellation. */
export function canceledActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  details: common.IPayloads | null | undefined,
  identity: string,
  txn: Txn,
): void {
  finish(ctx, exec, act, canceledEvent(ctx, act, details ?? null, identity), txn);
}

function canceledEvent(ctx: EngineContext, act: ActivityState, details: common.IPayloads | null, identity: string): PendingEvent {
  return makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
    activityTaskCanceledEventAttributes: {
      details,
      latestCancelRequestedEventId: i64(act.cancelRequestedEventId),
      scheduledEventId: i64(act.scheduledEventId),
      identity,
    },
  });
}

/** RecordActivityTaskHeartbeat: keeps details for the next attempt, extends the heartbeat deadline. */
export function heartbeatActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  details: common.IPayloads | null | undefined,
  txn: Txn,
): wsv.IRecordActivityTaskHeartbeatResponse {
  const now = ctx.clock.now();
  if (details) act.heartbeatDetails = details;
  act.lastHeartbeatTimeMs = now;
  if (act.heartbeatMs > 0) setTimeoutDeadline(ctx, exec, act, TimeoutType.TIMEOUT_TYPE_HEARTBEAT, now + act.heartbeatMs);
  txn.touched.add(exec);
  return { cancelRequested: act.cancelRequested, activityPaused: act.paused !== undefined, activityReset: act.resetRequested === true };
}

function timeoutFailure(
  type: enums.TimeoutType,
  lastHeartbeatDetails: common.IPayloads | null,
  cause: failure.IFailure | null,
): failure.IFailure {
  return {
    message: `activity ${timeoutTypeShortName(type)} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType: type, lastHeartbeatDetails },
    cause,
  };
}

/**
 * An activity deadline fired. As on the real server every timeout goes through the retry policy:
 * start-to-close and heartbeat timeouts are retried like failures, schedule-to-start and
 * schedule-to-close are not retryable; a retry that would start past schedule-to-close ends
 * the activity with a schedule-to-close timeout (RETRY_STATE_TIMEOUT).
 */
export function timeoutActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  scheduledEventId: number,
  attempt: number,
  type: enums.TimeoutType,
  txn: Txn,
): void {
  const act = exec.activities[scheduledEventId];
  if (!act || !isRunning(exec)) return;
  if (type !== TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE && act.attempt !== attempt) return;
  if (type === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START && act.phase !== 'scheduled') return;
  if ((type === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || type === TimeoutType.TIMEOUT_TYPE_HEARTBEAT) && act.phase !== 'started') return;

  const attemptFailure = timeoutFailure(type, null, null);
  const decision = decideRetry(act.retry, act.attempt, attemptFailure, ctx.clock.now(), expiresAt(act));
  if (decision.retry) {
    scheduleRetry(ctx, exec, act, attemptFailure, decision.delayMs, txn);
    return;
  }
  const finalType = decision.retryState === RetryState.RETRY_STATE_TIMEOUT ? TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE : type;
  finish(
    ctx,
    exec,
    act,
    makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
      activityTaskTimedOutEventAttributes: {
        failure: timeoutFailure(finalType, act.heartbeatDetails, null),
        scheduledEventId: i64(act.scheduledEventId),
        retryState: decision.retryState,
      },
    }),
    txn,
  );
}

/**
 * Applies a RequestCancelActivityTask command. A started activity learns of it in its next
 * heartbeat response; one that has not started is canceled at once, which needs a new workflow
 * task (returns true).
 */
export function requestCancelActivity(
  ctx: EngineContext,
  exec: ExecutionState,
  act: ActivityState,
  workflowTaskCompletedEventId: number,
  identity: string,
  txn: Txn,
): boolean {
  act.cancelRequestedEventId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      activityTaskCancelRequestedEventAttributes: {
        scheduledEventId: i64(act.scheduledEventId),
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
      },
    }),
    txn,
  );
  act.cancelRequested = true;
  if (act.phase === 'started') return false;
  removeActivity(ctx, exec, act);
  appendEvent(ctx, exec, canceledEvent(ctx, act, null, identity), txn);
  return true;
}
