/**
 * @module Closing a run: the bookkeeping once its close event is written (`closeRun`), termination,
 * the run/execution timeout (retried under the run's retry policy), and what a close means to the
 * run's parent (the child's outcome event) and to its children (parent close policies). Closing is
 * recursive (a parent's close terminates its children, whose close reports to it), so all of it is
 * here; starting, signalling and cancel requests are below, in lifecycle.ts.
 */
import { clearActivities } from './activities';
import { deadlineKey, type EngineContext, type Txn } from './context';
import { appendEvent, makeEvent, startedAttributes } from './history';
import { requestCancelRun } from './lifecycle';
import { currentRun } from './namespaces';
import { common, enums, history, i64, timestampMs } from './proto';
import { clearTimers } from './timers';
import type { ChildState, ExecutionState } from './types';
import { retryRun } from './workflow-retry';
import { deliverEvents, dropWorkflowTaskForClose, isRunning } from './workflow-tasks';

const EventType = enums.EventType;
const Status = enums.WorkflowExecutionStatus;
const ClosePolicy = enums.ParentClosePolicy;

/** Identity the real server gives to actions it takes itself (parent close policy, reuse policy). */
export const HISTORY_SERVICE_IDENTITY = 'history-service';

/**
 * Marks a run closed and drops everything pending (tasks, activities, timers, deadlines). The
 * close event must already be in history.
 */
export function closeRun(ctx: EngineContext, exec: ExecutionState, status: enums.WorkflowExecutionStatus, txn: Txn): void {
  exec.status = status;
  exec.closeTimeMs = ctx.clock.now();
  exec.wft = null;
  exec.buffered = [];
  clearActivities(ctx, exec);
  clearTimers(ctx, exec);
  for (const key of [
    deadlineKey.workflowTimeout(exec.runId),
    deadlineKey.workflowStart(exec.runId),
    deadlineKey.workflowTaskTimeout(exec.runId),
    deadlineKey.workflowTaskRetry(exec.runId),
  ]) {
    ctx.scheduler.delete(key);
  }
  txn.touched.add(exec);
  onRunClosed(ctx, exec, txn);
}

/** TerminateWorkflowExecution: closes the run at once, without a workflow task. */
export function terminateRun(
  ctx: EngineContext,
  exec: ExecutionState,
  reason: string,
  details: common.IPayloads | null,
  identity: string,
  txn: Txn,
): void {
  dropWorkflowTaskForClose(ctx, exec, txn);
  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
      workflowExecutionTerminatedEventAttributes: { reason, details, identity },
    }),
    txn,
  );
  closeRun(ctx, exec, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED, txn);
}

/**
 * The run or execution timeout fired. A run timeout (the execution not yet expired) is retried
 * under the run's retry policy, as the real server does.
 */
export function timeoutRun(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  if (!isRunning(exec)) return;
  dropWorkflowTaskForClose(ctx, exec, txn);
  const expirationTimeMs = timestampMs(startedAttributes(exec).workflowExecutionExpirationTime);
  const retry =
    expirationTimeMs === 0 || expirationTimeMs > ctx.clock.now()
      ? retryRun(ctx, exec, { message: 'workflow timeout', timeoutFailureInfo: { timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } }, txn)
      : { retryState: enums.RetryState.RETRY_STATE_TIMEOUT, newExecutionRunId: '' };
  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
      workflowExecutionTimedOutEventAttributes: {
        retryState: retry.retryState === enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET ? enums.RetryState.RETRY_STATE_TIMEOUT : retry.retryState,
        newExecutionRunId: retry.newExecutionRunId,
      },
    }),
    txn,
  );
  closeRun(ctx, exec, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, txn);
}

/** The parent-side event for a child's close event, without the fields every such event shares. */
function childClosedEvent(ctx: EngineContext, close: history.IHistoryEvent, shared: object): ReturnType<typeof makeEvent> | undefined {
  switch (close.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
        childWorkflowExecutionCompletedEventAttributes: { ...shared, result: close.workflowExecutionCompletedEventAttributes?.result },
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
        childWorkflowExecutionFailedEventAttributes: {
          ...shared,
          failure: close.workflowExecutionFailedEventAttributes?.failure,
          retryState: close.workflowExecutionFailedEventAttributes?.retryState,
        },
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, {
        childWorkflowExecutionCanceledEventAttributes: { ...shared, details: close.workflowExecutionCanceledEventAttributes?.details },
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, {
        childWorkflowExecutionTimedOutEventAttributes: {
          ...shared,
          retryState: close.workflowExecutionTimedOutEventAttributes?.retryState,
        },
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, {
        childWorkflowExecutionTerminatedEventAttributes: shared,
      });
    default:
      return undefined;
  }
}

/** A closed child run reports to its parent (not on continue-as-new: the new run is still the child). */
function reportToParent(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  const ref = exec.parent;
  if (!ref || exec.status === Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) return;
  const parent = ctx.executions.get(ref.runId);
  const child = parent?.children[ref.initiatedEventId];
  if (!parent || !isRunning(parent) || !child || child.phase !== 'started') return;
  const encoded = exec.log.encoded[exec.log.encoded.length - 1];
  const close = history.HistoryEvent.decode(encoded);
  // A run its retry policy retried is not the child's end: the new run reports instead.
  const retriedAs =
    close.workflowExecutionFailedEventAttributes?.newExecutionRunId || close.workflowExecutionTimedOutEventAttributes?.newExecutionRunId;
  if (retriedAs) return;
  const event = childClosedEvent(ctx, close, {
    namespace: child.namespace,
    namespaceId: ctx.namespaces.get(child.namespace)?.id ?? '',
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: child.workflowType },
    initiatedEventId: i64(child.initiatedEventId),
    startedEventId: i64(child.startedEventId),
  });
  if (!event) return;
  delete parent.children[child.initiatedEventId];
  deliverEvents(ctx, parent, [event], txn);
}

/** The open run of a started child that still belongs to `parent` (following continue-as-new). */
function openChildRun(ctx: EngineContext, parent: ExecutionState, child: ChildState): ExecutionState | undefined {
  const ns = ctx.namespaces.get(child.namespace);
  const run = ns ? currentRun(ctx, ns, child.workflowId) : undefined;
  if (!run || !isRunning(run)) return undefined;
  if (run.parent?.runId !== parent.runId || run.parent.initiatedEventId !== child.initiatedEventId) return undefined;
  return run;
}

/** The parent closed: each started child gets its parent close policy (terminate, cancel request or nothing). */
function applyParentClosePolicies(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  const children = Object.values(exec.children);
  exec.children = {};
  for (const child of children) {
    if (child.phase !== 'started') continue;
    const run = openChildRun(ctx, exec, child);
    if (!run) continue;
    if (child.parentClosePolicy === ClosePolicy.PARENT_CLOSE_POLICY_TERMINATE) {
      terminateRun(ctx, run, 'by parent close policy', null, HISTORY_SERVICE_IDENTITY, txn);
    } else if (child.parentClosePolicy === ClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      requestCancelRun(ctx, run, 'by parent close policy', HISTORY_SERVICE_IDENTITY, txn, {
        initiatedEventId: 0,
        execution: { workflowId: exec.workflowId, runId: exec.runId },
      });
    }
  }
}

/**
 * Once a run's close event is in history: a child reports its close to its parent, and a parent
 * applies its children's parent close policies.
 */
function onRunClosed(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  reportToParent(ctx, exec, txn);
  applyParentClosePolicies(ctx, exec, txn);
}
