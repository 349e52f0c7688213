import { firstAttempt, restoreActivity } from './activities';
import { activityRetryPolicy } from './retry';
import { deadlineKey, type EngineContext, type Txn } from './context';
import { invalidArgument } from './errors';
import { appendEvent, makeEvent, newEventLog } from './history';
import { terminateRun } from './close';
import { addRun } from './namespaces';
import { setOwn } from './own-keys';
import { type api, type common, durationMs, enums, history, i64, num, timestampMs, type wsv } from './proto';
import type { ActivityState, ExecutionState, NamespaceState, PendingEvent, UpdateState } from './types';
import { findUpdate, putUpdate } from './updates';
import { isRunning, scheduleWorkflowTask } from './workflow-tasks';

const EventType = enums.EventType;
const Exclude = enums.ResetReapplyExcludeType;

/** Identities the real server writes for its own reset events. */
const IDENTITY_HISTORY_SERVICE = 'history-service';
const IDENTITY_RESETTER = 'history-resetter';

/** Decodes a run's history (its events are kept encoded). */
export function decodeHistory(exec: ExecutionState): history.IHistoryEvent[] {
  return exec.log.encoded.map((bytes) => history.HistoryEvent.decode(bytes));
}

/**
 * The event types a reset re-applies, from `reset_reapply_exclude_types` and the deprecated
 * `reset_reapply_type`, as the real server combines them.
 */
function excludedTypes(req: wsv.IResetWorkflowExecutionRequest): Set<enums.ResetReapplyExcludeType> {
  const excluded = new Set<enums.ResetReapplyExcludeType>(req.resetReapplyExcludeTypes ?? []);
  switch (req.resetReapplyType) {
    case enums.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL:
      excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
      break;
    case enums.ResetReapplyType.RESET_REAPPLY_TYPE_NONE:
      excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
      excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
      break;
    default:
      break;
  }
  return excluded;
}

/** What the events before the reset point leave pending, rebuilt the way mutable state is rebuilt from history. */
interface Rebuilt {
  pendingTask: { scheduledEventId: number; startedEventId: number } | null;
  lastCompletedWftStartedEventId: number;
  activities: Map<number, history.IActivityTaskScheduledEventAttributes & { cancelRequestedEventId?: number }>;
  timers: Map<string, { startedEventId: number; fireAtMs: number }>;
  pendingChildren: number;
  updates: Map<string, { acceptedEventId: number; completedEventId: number }>;
  cancelRequested: boolean;
  memo: Record<string, common.IPayload>;
  searchAttributes: Record<string, common.IPayload>;
}

function rebuild(prefix: history.IHistoryEvent[]): Rebuilt {
  const state: Rebuilt = {
    pendingTask: null,
    lastCompletedWftStartedEventId: 0,
    activities: new Map(),
    timers: new Map(),
    pendingChildren: 0,
    updates: new Map(),
    cancelRequested: false,
    memo: {},
    searchAttributes: {},
  };
  const children = new Set<number>();
  for (const event of prefix) {
    const id = num(event.eventId);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const attrs = event.workflowExecutionStartedEventAttributes;
        Object.assign(state.memo, attrs?.memo?.fields ?? {});
        Object.assign(state.searchAttributes, attrs?.searchAttributes?.indexedFields ?? {});
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        state.pendingTask = { scheduledEventId: id, startedEventId: 0 };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        if (state.pendingTask) state.pendingTask.startedEventId = id;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        state.lastCompletedWftStartedEventId = num(event.workflowTaskCompletedEventAttributes?.startedEventId);
        state.pendingTask = null;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        state.pendingTask = null;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        state.activities.set(id, { ...(event.activityTaskScheduledEventAttributes ?? {}) });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
        const act = state.activities.get(num(event.activityTaskCancelRequestedEventAttributes?.scheduledEventId));
        if (act) act.cancelRequestedEventId = id;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        state.activities.delete(num(event.activityTaskCompletedEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        state.activities.delete(num(event.activityTaskFailedEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        state.activities.delete(num(event.activityTaskTimedOutEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        state.activities.delete(num(event.activityTaskCanceledEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const attrs = event.timerStartedEventAttributes;
        const fireAtMs = timestampMs(event.eventTime) + durationMs(attrs?.startToFireTimeout);
        state.timers.set(attrs?.timerId ?? '', { startedEventId: id, fireAtMs });
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED:
        state.timers.delete(event.timerFiredEventAttributes?.timerId ?? '');
        break;
      case EventType.EVENT_TYPE_TIMER_CANCELED:
        state.timers.delete(event.timerCanceledEventAttributes?.timerId ?? '');
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        children.add(id);
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        children.delete(num(event.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        children.delete(childInitiatedEventId(event));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const updateId = event.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? '';
        state.updates.set(updateId, { acceptedEventId: id, completedEventId: 0 });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const updateId = event.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId ?? '';
        const upd = state.updates.get(updateId);
        if (upd) upd.completedEventId = id;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        state.cancelRequested = true;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        Object.assign(state.searchAttributes, event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        break;
      case EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        Object.assign(state.memo, event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {});
        break;
      default:
        break;
    }
  }
  state.pendingChildren = children.size;
  return state;
}

function childInitiatedEventId(event: history.IHistoryEvent): number {
  return num(
    (
      event.childWorkflowExecutionCompletedEventAttributes ??
    event.childWorkflowExecutionFailedEventAttributes ??
    event.childWorkflowExecutionCanceledEventAttributes ??
    event.childWorkflowExecutionTimedOutEventAttributes ??
      event.childWorkflowExecutionTerminatedEventAttributes
    )?.initiatedEventId,
  );
}

/** Search attribute payloads without empty values (an upsert with an empty payload removes one). */
function withoutEmpty(fields: Record<string, common.IPayload>): Record<string, common.IPayload> {
  const out: Record<string, common.IPayload> = {};
  for (const [name, payload] of Object.entries(fields)) {
    if (payload.data && payload.data.length > 0) setOwn(out, name, payload);
  }
  return out;
}

/**
 * The events after the reset point to re-apply to the new run: signals, and updates (an
 * Accepted event with its request becomes an Admitted event), from the base run's remaining
 * history and each run it continued as new into, as the real server collects them.
 */
function eventsToReapply(
  ctx: EngineContext,
  base: ExecutionState,
  baseEvents: history.IHistoryEvent[],
  fromEventId: number,
  excluded: Set<enums.ResetReapplyExcludeType>,
): PendingEvent[] {
  const out: PendingEvent[] = [];
  const excludeSignals = excluded.has(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
  const excludeUpdates = excluded.has(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  let events = baseEvents.filter((e) => num(e.eventId) >= fromEventId);
  const visited = new Set<string>([base.runId]);
  for (;;) {
    for (const event of events) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && !excludeSignals) {
        const attrs = event.workflowExecutionSignaledEventAttributes ?? {};
        out.push(
          makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
            workflowExecutionSignaledEventAttributes: {
              signalName: attrs.signalName ?? '',
              input: attrs.input ?? null,
              identity: attrs.identity ?? '',
              header: attrs.header ?? null,
            },
          }),
        );
      } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED && !excludeUpdates) {
        const attrs = event.workflowExecutionUpdateAdmittedEventAttributes ?? {};
        out.push(admittedEvent(ctx, attrs.request ?? null, attrs.origin ?? enums.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_UNSPECIFIED));
      } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && !excludeUpdates) {
        const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
        if (request) out.push(admittedEvent(ctx, request, enums.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY));
      }
    }
    const last = events[events.length - 1];
    const nextRunId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? '';
    const next = nextRunId ? ctx.executions.get(nextRunId) : undefined;
    if (!next || visited.has(next.runId)) return out;
    visited.add(next.runId);
    events = decodeHistory(next);
  }
}

function admittedEvent(ctx: EngineContext, request: api.update.v1.IRequest | null, origin: enums.UpdateAdmittedEventOrigin): PendingEvent {
  return makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, {
    workflowExecutionUpdateAdmittedEventAttributes: { request, origin },
  });
}

/**
 * ResetWorkflowExecution: a new run of the workflow id whose history is the base run's up to
 * the workflow task that `workflowTaskFinishEventId` ends, that task failed with the
 * RESET_WORKFLOW cause, then the re-applied signals and updates, then a new workflow task.
 * The current run, if open, is terminated first. Returns the new run id.
 */
export function resetWorkflow(
  ctx: EngineContext,
  ns: NamespaceState,
  base: ExecutionState,
  req: wsv.IResetWorkflowExecutionRequest,
  txn: Txn,
): string {
  const finishEventId = num(req.workflowTaskFinishEventId);
  if (finishEventId <= 1 || finishEventId >= base.nextEventId) {
    throw invalidArgument('Workflow task finish ID must be > 1 && <= workflow last event ID.');
  }
  const runIds = ns.runsByWorkflowId.get(base.workflowId) ?? [];
  const current = ctx.executions.get(runIds[runIds.length - 1] ?? '') ?? base;
  const requestId = req.requestId ?? '';
  if (requestId && current.startRequestId === requestId) return current.runId;

  const prefix = decodeHistory(base).filter((e) => num(e.eventId) < finishEventId);
  const rebuilt = rebuild(prefix);
  if (!rebuilt.pendingTask) {
    throw invalidArgument(
      `Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: ${finishEventId}`,
    );
  }
  if (rebuilt.pendingChildren > 0) throw invalidArgument('WorkflowResetter encountered pending child workflows.');

  const reason = req.reason ?? '';
  if (isRunning(current)) terminateRun(ctx, current, reason, null, IDENTITY_RESETTER, txn);
  const reapply = eventsToReapply(ctx, base, decodeHistory(base), finishEventId, excludedTypes(req));

  const now = ctx.clock.now();
  const runId = ctx.newId();
  const started = prefix[0]?.workflowExecutionStartedEventAttributes ?? {};
  const exec: ExecutionState = {
    namespace: ns.name,
    workflowId: base.workflowId,
    runId,
    firstExecutionRunId: base.firstExecutionRunId,
    workflowType: base.workflowType,
    taskQueue: base.taskQueue,
    status: enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTimeMs: base.startTimeMs,
    executionTimeMs: base.executionTimeMs,
    closeTimeMs: 0,
    startRequestId: requestId || ctx.newId(),
    workflowTaskTimeoutMs: base.workflowTaskTimeoutMs,
    runTimeoutMs: base.runTimeoutMs,
    executionTimeoutMs: base.executionTimeoutMs,
    memo: Object.keys(rebuilt.memo).length > 0 ? { fields: rebuilt.memo } : null,
    searchAttributes: withoutEmpty(rebuilt.searchAttributes),
    log: newEventLog(),
    nextEventId: 1,
    lastCompletedWftStartedEventId: rebuilt.lastCompletedWftStartedEventId,
    wftAttempt: 1,
    wftSeq: 0,
    wft: null,
    buffered: [],
    activities: {},
    timers: {},
    cancelRequested: rebuilt.cancelRequested,
    signalRequestIds: {},
    stateTransitionCount: 0,
    updates: {},
    parent: base.parent,
    root: base.root.runId === base.runId ? { workflowId: base.workflowId, runId } : base.root,
    children: {},
    resetPoints: (base.resetPoints ?? []).filter((p) => p.firstWorkflowTaskCompletedId < finishEventId),
    lastResetTimeMs: now,
  };
  ctx.executions.set(runId, exec);
  addRun(ns, base.workflowId, runId);
  base.resetRunId = runId;
  txn.touched.add(base);

  for (const event of prefix) appendEvent(ctx, exec, { event }, txn);
  const task = rebuilt.pendingTask;
  if (task.startedEventId === 0) {
    task.startedEventId = appendEvent(
      ctx,
      exec,
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
        workflowTaskStartedEventAttributes: {
          scheduledEventId: i64(task.scheduledEventId),
          identity: IDENTITY_HISTORY_SERVICE,
          requestId: ctx.newId(),
        },
      }),
      txn,
    );
  }
  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: i64(task.scheduledEventId),
        startedEventId: i64(task.startedEventId),
        cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
        failure: { message: reason, resetWorkflowFailureInfo: {} },
        identity: IDENTITY_HISTORY_SERVICE,
        baseRunId: base.runId,
        newRunId: runId,
        forkEventVersion: i64(0),
      },
    }),
    txn,
  );

  // Activities pending at the reset point are scheduled again now; timers keep their expiry.
  for (const [scheduledEventId, attrs] of rebuilt.activities) {
    restoreActivity(ctx, exec, rebuiltActivity(exec, scheduledEventId, attrs, now), txn);
  }
  for (const [timerId, timer] of rebuilt.timers) {
    setOwn(exec.timers, timerId, { timerId, startedEventId: timer.startedEventId, fireAtMs: timer.fireAtMs });
    ctx.scheduler.set(deadlineKey.timer(runId, timerId), timer.fireAtMs, {
      kind: 'timer',
      runId,
      timerId,
      startedEventId: timer.startedEventId,
    });
  }
  let admittedSeq = 0;
  for (const [updateId, upd] of rebuilt.updates) {
    const state: UpdateState = {
      updateId,
      phase: upd.completedEventId > 0 ? 'completed' : 'accepted',
      request: null,
      admittedSeq: ++admittedSeq,
      acceptedEventId: upd.acceptedEventId,
      completedEventId: upd.completedEventId,
    };
    putUpdate(exec, state);
  }

  for (const pending of reapply) {
    appendEvent(ctx, exec, pending, txn);
    const request = pending.event.workflowExecutionUpdateAdmittedEventAttributes?.request ?? null;
    const updateId = request?.meta?.updateId;
    // A re-applied update reaches the worker in history (the Admitted event), not as a message.
    if (updateId && !findUpdate(exec, updateId)) {
      putUpdate(exec, { updateId, phase: 'sent', request, admittedSeq: ++admittedSeq, acceptedEventId: 0, completedEventId: 0 });
    }
  }

  const expirationMs = timestampMs(started.workflowExecutionExpirationTime);
  const limits = [exec.runTimeoutMs > 0 ? now + exec.runTimeoutMs : 0, expirationMs].filter((ms) => ms > 0);
  if (limits.length > 0) ctx.scheduler.set(deadlineKey.workflowTimeout(runId), Math.min(...limits), { kind: 'workflowTimeout', runId });
  scheduleWorkflowTask(ctx, exec, txn);
  txn.touched.add(exec);
  return runId;
}

function rebuiltActivity(
  exec: ExecutionState,
  scheduledEventId: number,
  attrs: history.IActivityTaskScheduledEventAttributes & { cancelRequestedEventId?: number },
  now: number,
): ActivityState {
  return {
    scheduledEventId,
    activityId: attrs.activityId ?? '',
    activityType: attrs.activityType?.name ?? '',
    taskQueue: attrs.taskQueue?.name || exec.taskQueue,
    input: attrs.input ?? null,
    header: attrs.header ?? null,
    scheduleToCloseMs: durationMs(attrs.scheduleToCloseTimeout),
    scheduleToStartMs: durationMs(attrs.scheduleToStartTimeout),
    startToCloseMs: durationMs(attrs.startToCloseTimeout),
    heartbeatMs: durationMs(attrs.heartbeatTimeout),
    retry: activityRetryPolicy(attrs.retryPolicy),
    ...firstAttempt(now),
    cancelRequested: (attrs.cancelRequestedEventId ?? 0) > 0,
    cancelRequestedEventId: attrs.cancelRequestedEventId ?? 0,
  };
}
