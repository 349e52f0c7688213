import { deadlineKey, type EngineContext, type Txn } from './context';
import { appendEvent, makeEvent } from './history';
import { getOwn, setOwn } from './own-keys';
import { duration, enums, i64, type sdk } from './proto';
import type { ExecutionState } from './types';
import { deliverEvents, isRunning } from './workflow-tasks';

const EventType = enums.EventType;

/** Applies a validated StartTimer command: TimerStarted now, TimerFired at the deadline. */
export function startTimer(
  ctx: EngineContext,
  exec: ExecutionState,
  timerId: string,
  fireAfterMs: number,
  workflowTaskCompletedEventId: number,
  txn: Txn,
  userMetadata?: sdk.IUserMetadata | null,
): void {
  const startedEventId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_TIMER_STARTED, {
      userMetadata: userMetadata ?? null,
      timerStartedEventAttributes: {
        timerId,
        startToFireTimeout: duration(fireAfterMs),
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
      },
    }),
    txn,
  );
  const fireAtMs = ctx.clock.now() + fireAfterMs;
  setOwn(exec.timers, timerId, { timerId, startedEventId, fireAtMs });
  ctx.scheduler.set(deadlineKey.timer(exec.runId, timerId), fireAtMs, {
    kind: 'timer',
    runId: exec.runId,
    timerId,
    startedEventId,
  });
}

/** A timer deadline fired: TimerFired wakes the workflow. */
export function fireTimer(ctx: EngineContext, exec: ExecutionState, timerId: string, startedEventId: number, txn: Txn): void {
  const timer = getOwn(exec.timers, timerId);
  if (!timer || timer.startedEventId !== startedEventId || !isRunning(exec)) return;
  delete exec.timers[timerId];
  deliverEvents(
    ctx,
    exec,
    [
      makeEvent(ctx, EventType.EVENT_TYPE_TIMER_FIRED, {
        timerFiredEventAttributes: { timerId, startedEventId: i64(startedEventId) },
      }),
    ],
    txn,
  );
}

/** Applies a validated CancelTimer command. */
export function cancelTimer(
  ctx: EngineContext,
  exec: ExecutionState,
  timerId: string,
  workflowTaskCompletedEventId: number,
  identity: string,
  txn: Txn,
): void {
  const timer = getOwn(exec.timers, timerId);
  if (!timer) return;
  delete exec.timers[timerId];
  ctx.scheduler.delete(deadlineKey.timer(exec.runId, timerId));
  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_TIMER_CANCELED, {
      timerCanceledEventAttributes: {
        timerId,
        startedEventId: i64(timer.startedEventId),
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
        identity,
      },
    }),
    txn,
  );
}

/** Drops every timer of a closing run. */
export function clearTimers(ctx: EngineContext, exec: ExecutionState): void {
  for (const timerId of Object.keys(exec.timers)) ctx.scheduler.delete(deadlineKey.timer(exec.runId, timerId));
  exec.timers = {};
}
