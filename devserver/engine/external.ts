import type { EngineContext, Txn } from './context';
import { appendEvent, makeEvent } from './history';
import { requestCancelRun, signalRun, type ExternalSender } from './lifecycle';
import { currentRun } from './namespaces';
import { command, common, enums, i64 } from './proto';
import type { ExecutionState } from './types';
import { deliverEvents, isRunning } from './workflow-tasks';

const EventType = enums.EventType;
const NOT_FOUND = enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
const CANCEL_NOT_FOUND =
  enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;

/** Identity on the target's Signaled / CancelRequested event, as the real server writes it. */
const HISTORY_SERVICE_IDENTITY = 'history-service';

/** A SignalExternal or RequestCancelExternal command whose Initiated event is written; resolved after all commands. */
export interface PreparedExternal {
  kind: 'signal' | 'cancel';
  namespace: string;
  execution: common.IWorkflowExecution;
  childWorkflowOnly: boolean;
  control: string;
  /** Signals only. */
  signalName: string;
  input: common.IPayloads | null;
  header: common.IHeader | null;
  reason: string;
  /** Set when the Initiated event is written. */
  initiatedEventId: number;
  workflowTaskCompletedEventId: number;
}

/** Validates a SignalExternalWorkflowExecution command; returns the prepared request or an error message. */
export function prepareSignalExternal(
  exec: ExecutionState,
  attrs: command.ISignalExternalWorkflowExecutionCommandAttributes | null | undefined,
): PreparedExternal | string {
  if (!attrs) return 'SignalExternalWorkflowExecutionCommandAttributes is not set on command.';
  if (!attrs.execution?.workflowId) return 'WorkflowId is not set on command.';
  if (!attrs.signalName) return 'SignalName is not set on command.';
  return {
    kind: 'signal',
    namespace: attrs.namespace || exec.namespace,
    execution: { workflowId: attrs.execution.workflowId, runId: attrs.execution.runId ?? '' },
    childWorkflowOnly: attrs.childWorkflowOnly === true,
    control: attrs.control ?? '',
    signalName: attrs.signalName,
    input: attrs.input ?? null,
    header: attrs.header ?? null,
    reason: '',
    initiatedEventId: 0,
    workflowTaskCompletedEventId: 0,
  };
}

/** Validates a RequestCancelExternalWorkflowExecution command; returns the prepared request or an error message. */
export function prepareCancelExternal(
  exec: ExecutionState,
  attrs: command.IRequestCancelExternalWorkflowExecutionCommandAttributes | null | undefined,
): PreparedExternal | string {
  if (!attrs) return 'RequestCancelExternalWorkflowExecutionCommandAttributes is not set on command.';
  if (!attrs.workflowId) return 'WorkflowId is not set on command.';
  return {
    kind: 'cancel',
    namespace: attrs.namespace || exec.namespace,
    execution: { workflowId: attrs.workflowId, runId: attrs.runId ?? '' },
    childWorkflowOnly: attrs.childWorkflowOnly === true,
    control: attrs.control ?? '',
    signalName: '',
    input: null,
    header: null,
    reason: attrs.reason ?? '',
    initiatedEventId: 0,
    workflowTaskCompletedEventId: 0,
  };
}

/** Applies a validated SignalExternal / RequestCancelExternal command: its Initiated event. */
export function initiateExternal(
  ctx: EngineContext,
  exec: ExecutionState,
  prepared: PreparedExternal,
  workflowTaskCompletedEventId: number,
  txn: Txn,
): void {
  const shared = {
    namespace: prepared.namespace,
    namespaceId: ctx.namespaces.get(prepared.namespace)?.id ?? '',
    workflowExecution: prepared.execution,
    control: prepared.control,
    childWorkflowOnly: prepared.childWorkflowOnly,
    workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
  };
  prepared.workflowTaskCompletedEventId = workflowTaskCompletedEventId;
  prepared.initiatedEventId = appendEvent(
    ctx,
    exec,
    prepared.kind === 'signal'
      ? makeEvent(ctx, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
          signalExternalWorkflowExecutionInitiatedEventAttributes: {
            ...shared,
            signalName: prepared.signalName,
            input: prepared.input,
            header: prepared.header,
          },
        })
      : makeEvent(ctx, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
          requestCancelExternalWorkflowExecutionInitiatedEventAttributes: { ...shared, reason: prepared.reason },
        }),
    txn,
  );
}

/** The open run a request targets: the named run or the current one, a child of `source` if so required. */
function targetRun(ctx: EngineContext, source: ExecutionState, prepared: PreparedExternal): ExecutionState | undefined {
  const ns = ctx.namespaces.get(prepared.namespace);
  if (!ns) return undefined;
  const { workflowId, runId } = prepared.execution;
  const run = runId ? ctx.executions.get(runId) : currentRun(ctx, ns, workflowId ?? '');
  if (!run || run.namespace !== ns.name || run.workflowId !== workflowId || !isRunning(run)) return undefined;
  if (prepared.childWorkflowOnly && run.parent?.runId !== source.runId) return undefined;
  return run;
}

/**
 * Delivers a request initiated by the workflow task just completed: the target gets
 * WorkflowExecutionSignaled / WorkflowExecutionCancelRequested and the source
 * ExternalWorkflowExecutionSignaled / ExternalWorkflowExecutionCancelRequested, or the source gets
 * the Failed event (EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND) when there is no such open run.
 * Nothing is sent once the source has closed.
 */
export function resolveExternal(ctx: EngineContext, source: ExecutionState, prepared: PreparedExternal, txn: Txn): void {
  if (!isRunning(source) || prepared.initiatedEventId === 0) return;
  const target = targetRun(ctx, source, prepared);
  const sender: ExternalSender = {
    initiatedEventId: prepared.initiatedEventId,
    execution: { workflowId: source.workflowId, runId: source.runId },
  };
  const outcome = {
    initiatedEventId: i64(prepared.initiatedEventId),
    namespace: prepared.namespace,
    namespaceId: ctx.namespaces.get(prepared.namespace)?.id ?? '',
    workflowExecution: prepared.execution,
  };
  if (prepared.kind === 'signal') {
    if (target) {
      signalRun(ctx, target, prepared.signalName, prepared.input, prepared.header, HISTORY_SERVICE_IDENTITY, '', txn, sender);
    }
    const event = target
      ? makeEvent(ctx, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
          externalWorkflowExecutionSignaledEventAttributes: { ...outcome, control: prepared.control },
        })
      : makeEvent(ctx, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          signalExternalWorkflowExecutionFailedEventAttributes: {
            ...outcome,
            cause: NOT_FOUND,
            control: prepared.control,
            workflowTaskCompletedEventId: i64(prepared.workflowTaskCompletedEventId),
          },
        });
    deliverEvents(ctx, source, [event], txn);
    return;
  }
  if (target) requestCancelRun(ctx, target, prepared.reason, HISTORY_SERVICE_IDENTITY, txn, sender);
  const event = target
    ? makeEvent(ctx, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
        externalWorkflowExecutionCancelRequestedEventAttributes: outcome,
      })
    : makeEvent(ctx, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
        requestCancelExternalWorkflowExecutionFailedEventAttributes: {
          ...outcome,
          cause: CANCEL_NOT_FOUND,
          control: prepared.control,
          workflowTaskCompletedEventId: i64(prepared.workflowTaskCompletedEventId),
        },
      });
  deliverEvents(ctx, source, [event], txn);
}
