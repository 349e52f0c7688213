/**
 * @module A run's life before its close: starting a run (StartWorkflowExecution, SignalWithStart,
 * children, continue-as-new and retries all come here), a start delay's end, signals and cancel
 * requests. Closing a run is in close.ts, above this module.
 */
import { deadlineKey, type EngineContext, type Txn } from './context';
import { appendEvent, makeEvent, newEventLog } from './history';
import { addRun } from './namespaces';
import { getOwn, setOwn } from './own-keys';
import { common, duration, enums, failure, history, i64, timestamp, type sdk } from './proto';
import type { ExecutionRef, ExecutionState, NamespaceState, ParentRef, PendingEvent } from './types';
import { deliverEvents, isRunning, scheduleWorkflowTask } from './workflow-tasks';

const EventType = enums.EventType;
const Status = enums.WorkflowExecutionStatus;

/** Everything needed to start a run, already validated and defaulted. */
export interface StartParams {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input: common.IPayloads | null;
  header: common.IHeader | null;
  executionTimeoutMs: number;
  runTimeoutMs: number;
  workflowTaskTimeoutMs: number;
  identity: string;
  requestId: string;
  retryPolicy: common.IRetryPolicy | null;
  memo: common.IMemo | null;
  searchAttributes: Record<string, common.IPayload>;
  startDelayMs: number;
  /** The start's summary and details (user metadata), on WorkflowExecutionStarted. */
  userMetadata?: sdk.IUserMetadata | null;
  /** The start request's priority, copied to WorkflowExecutionStarted. */
  priority?: common.IPriority | null;
  /** The attempt this run is (a workflow retry's run: the previous one's + 1); default 1. */
  attempt?: number;
  /** The parent and root of a child run. */
  parent?: { ref: ParentRef; root: ExecutionRef };
  /** The run this one continues as new; the execution timeout keeps counting from the first run. */
  continued?: ContinuedFrom;
  /** A schedule's previous result and failure, for a run it starts (`workflowInfo().lastResult` / `lastFailure`). */
  fromSchedule?: { lastCompletionResult: common.IPayloads | null; lastFailure: failure.IFailure | null };
  /** Signal written right after WorkflowExecutionStarted (SignalWithStart). */
  signal?: { name: string; input: common.IPayloads | null; header: common.IHeader | null; requestId: string };
}

/** What a run started by continue-as-new carries over from the run it continues. */
export interface ContinuedFrom {
  runId: string;
  firstExecutionRunId: string;
  initiator: enums.ContinueAsNewInitiator;
  failure: failure.IFailure | null;
  lastCompletionResult: common.IPayloads | null;
  /** Epoch ms at which the whole chain's execution timeout expires (0: none). */
  expirationTimeMs: number;
}

/**
 * Creates a run: WorkflowExecutionStarted, the optional signal of SignalWithStart, then the
 * first workflow task (after the start delay, if any), and the run/execution timeout deadline.
 */
export function startRun(ctx: EngineContext, ns: NamespaceState, params: StartParams, txn: Txn): ExecutionState {
  const now = ctx.clock.now();
  const runId = ctx.newId();
  const continued = params.continued;
  const expirationTimeMs = continued
    ? continued.expirationTimeMs
    : params.executionTimeoutMs > 0
      ? now + params.executionTimeoutMs
      : 0;
  const exec: ExecutionState = {
    namespace: ns.name,
    workflowId: params.workflowId,
    runId,
    firstExecutionRunId: continued?.firstExecutionRunId ?? runId,
    workflowType: params.workflowType,
    taskQueue: params.taskQueue,
    status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTimeMs: now,
    executionTimeMs: now + params.startDelayMs,
    closeTimeMs: 0,
    startRequestId: params.requestId,
    workflowTaskTimeoutMs: params.workflowTaskTimeoutMs,
    runTimeoutMs: params.runTimeoutMs,
    executionTimeoutMs: params.executionTimeoutMs,
    memo: params.memo,
    searchAttributes: params.searchAttributes,
    log: newEventLog(),
    nextEventId: 1,
    lastCompletedWftStartedEventId: 0,
    wftAttempt: 1,
    wftSeq: 0,
    wft: null,
    buffered: [],
    activities: {},
    timers: {},
    cancelRequested: false,
    signalRequestIds: {},
    stateTransitionCount: 0,
    updates: {},
    parent: params.parent?.ref ?? null,
    root: params.parent?.root ?? { workflowId: params.workflowId, runId },
    children: {},
  };
  ctx.executions.set(runId, exec);
  addRun(ns, params.workflowId, runId);
  ns.startRequestIds.set(params.requestId, runId);

  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      userMetadata: params.userMetadata ?? null,
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: params.workflowType },
        taskQueue: { name: params.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: params.input,
        // Timeouts left unset stay unset (the SDK reads a 0 s duration as a 0 ms timeout).
        workflowExecutionTimeout: params.executionTimeoutMs > 0 ? duration(params.executionTimeoutMs) : null,
        workflowRunTimeout: params.runTimeoutMs > 0 ? duration(params.runTimeoutMs) : null,
        workflowTaskTimeout: duration(params.workflowTaskTimeoutMs),
        originalExecutionRunId: runId,
        identity: params.identity,
        firstExecutionRunId: exec.firstExecutionRunId,
        retryPolicy: params.retryPolicy,
        attempt: params.attempt ?? 1,
        workflowExecutionExpirationTime: expirationTimeMs > 0 ? timestamp(expirationTimeMs) : null,
        continuedExecutionRunId: continued?.runId ?? '',
        initiator: continued?.initiator ?? enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED,
        continuedFailure: continued?.failure ?? params.fromSchedule?.lastFailure ?? null,
        lastCompletionResult: continued?.lastCompletionResult ?? params.fromSchedule?.lastCompletionResult ?? null,
        firstWorkflowTaskBackoff: params.startDelayMs > 0 ? duration(params.startDelayMs) : null,
        memo: params.memo,
        searchAttributes: { indexedFields: params.searchAttributes },
        header: params.header,
        workflowId: params.workflowId,
        priority: params.priority ?? null,
        ...parentAttributes(params.parent),
      },
    }),
    txn,
  );
  if (params.signal) {
    setOwn(exec.signalRequestIds, params.signal.requestId, true);
    appendEvent(ctx, exec, signaledEvent(ctx, params.signal.name, params.signal.input, params.identity, params.signal.header), txn);
  }

  // The run ends at whichever comes first: its own run timeout (counted from its first workflow
  // task's backoff) or the execution timeout.
  const limits = [params.runTimeoutMs > 0 ? now + params.startDelayMs + params.runTimeoutMs : 0, expirationTimeMs].filter((ms) => ms > 0);
  if (limits.length > 0) {
    ctx.scheduler.set(deadlineKey.workflowTimeout(runId), Math.min(...limits), { kind: 'workflowTimeout', runId });
  }
  if (params.startDelayMs > 0) {
    ctx.scheduler.set(deadlineKey.workflowStart(runId), now + params.startDelayMs, { kind: 'workflowStart', runId });
  } else {
    scheduleWorkflowTask(ctx, exec, txn);
  }
  txn.touched.add(exec);
  return exec;
}

/** The parent fields of a child run's WorkflowExecutionStarted event (none for a top-level run). */
function parentAttributes(parent: StartParams['parent']): history.IWorkflowExecutionStartedEventAttributes {
  if (!parent) return {};
  const { ref, root } = parent;
  return {
    parentWorkflowNamespace: ref.namespace,
    parentWorkflowNamespaceId: ref.namespaceId,
    parentWorkflowExecution: { workflowId: ref.workflowId, runId: ref.runId },
    parentInitiatedEventId: i64(ref.initiatedEventId),
    rootWorkflowExecution: { workflowId: root.workflowId, runId: root.runId },
  };
}

/** The delayed start of a run is due: schedule its first workflow task. */
export function startDelayedRun(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  if (isRunning(exec) && exec.lastCompletedWftStartedEventId === 0) scheduleWorkflowTask(ctx, exec, txn);
}

/** The workflow that sent a signal or cancel request by command (SignalExternal / RequestCancelExternal). */
export interface ExternalSender {
  /** The sender's Initiated event (0 when the server itself acts for it, e.g. a parent close policy). */
  initiatedEventId: number;
  execution: common.IWorkflowExecution;
}

function signaledEvent(
  ctx: EngineContext,
  signalName: string,
  input: common.IPayloads | null,
  identity: string,
  header: common.IHeader | null,
  external?: ExternalSender,
): PendingEvent {
  return makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
    workflowExecutionSignaledEventAttributes: {
      signalName,
      input,
      identity,
      header,
      externalWorkflowExecution: external?.execution ?? null,
    },
  });
}

/** SignalWorkflowExecution on an open run; a repeated request id is a no-op. */
export function signalRun(
  ctx: EngineContext,
  exec: ExecutionState,
  signalName: string,
  input: common.IPayloads | null,
  header: common.IHeader | null,
  identity: string,
  requestId: string,
  txn: Txn,
  external?: ExternalSender,
): void {
  if (requestId && getOwn(exec.signalRequestIds, requestId)) return;
  if (requestId) setOwn(exec.signalRequestIds, requestId, true);
  // A run that has not had its first task yet (start delay) is woken by the signal.
  ctx.scheduler.delete(deadlineKey.workflowStart(exec.runId));
  deliverEvents(ctx, exec, [signaledEvent(ctx, signalName, input, identity, header, external)], txn);
}

/** RequestCancelWorkflowExecution: the workflow code decides what cancellation means. */
export function requestCancelRun(
  ctx: EngineContext,
  exec: ExecutionState,
  reason: string,
  identity: string,
  txn: Txn,
  external?: ExternalSender,
): void {
  if (exec.cancelRequested) return;
  exec.cancelRequested = true;
  ctx.scheduler.delete(deadlineKey.workflowStart(exec.runId));
  deliverEvents(
    ctx,
    exec,
    [
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
        workflowExecutionCancelRequestedEventAttributes: {
          cause: reason,
          identity,
          externalInitiatedEventId: i64(external?.initiatedEventId ?? 0),
          externalWorkflowExecution: external?.execution ?? null,
        },
      }),
    ],
    txn,
  );
}
