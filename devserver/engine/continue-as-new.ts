import type { EngineContext, Txn } from './context';
import { ServiceError } from './errors';
import { appendEvent, makeEvent, startedAttributes } from './history';
import { closeRun } from './close';
import { startRun, type StartParams } from './lifecycle';
import { command, enums, i64, timestampMs } from './proto';
import { startParams } from './start';
import type { ExecutionState, NamespaceState } from './types';

const EventType = enums.EventType;
const Initiator = enums.ContinueAsNewInitiator;

/** A validated ContinueAsNewWorkflowExecution command: the new run's start parameters. */
export interface PreparedContinueAsNew {
  params: StartParams;
}

/**
 * Validates a ContinueAsNewWorkflowExecution command as a start of the same workflow id. Type,
 * task queue, run and task timeouts, retry policy, memo and search attributes default to the
 * current run's; the execution timeout keeps running from the first run. Returns the message the
 * workflow task is failed with when the command is bad.
 */
export function prepareContinueAsNew(
  ctx: EngineContext,
  ns: NamespaceState,
  exec: ExecutionState,
  attrs: command.IContinueAsNewWorkflowExecutionCommandAttributes | null | undefined,
): PreparedContinueAsNew | string {
  if (!attrs) return 'ContinueAsNewWorkflowExecutionCommandAttributes is not set on command.';
  const started = startedAttributes(exec);
  const expirationTimeMs = timestampMs(started.workflowExecutionExpirationTime);
  try {
    const params = startParams(ctx, ns, {
      workflowId: exec.workflowId,
      workflowType: attrs.workflowType?.name ? attrs.workflowType : { name: exec.workflowType },
      taskQueue: attrs.taskQueue?.name ? attrs.taskQueue : { name: exec.taskQueue },
      input: attrs.input,
      workflowRunTimeout: attrs.workflowRunTimeout ?? started.workflowRunTimeout,
      workflowTaskTimeout: attrs.workflowTaskTimeout ?? started.workflowTaskTimeout,
      retryPolicy: attrs.retryPolicy ?? started.retryPolicy,
      cronSchedule: attrs.cronSchedule,
      memo: attrs.memo,
      searchAttributes: attrs.searchAttributes,
      header: attrs.header,
      workflowStartDelay: attrs.backoffStartInterval,
      requestId: ctx.newId(),
      priority: started.priority,
    });
    if (expirationTimeMs > 0) {
      // The run timeout never outlasts what is left of the execution timeout.
      const remaining = Math.max(1, expirationTimeMs - ctx.clock.now());
      if (params.runTimeoutMs === 0 || params.runTimeoutMs > remaining) params.runTimeoutMs = remaining;
    }
    params.executionTimeoutMs = exec.executionTimeoutMs;
    if (!attrs.memo) params.memo = exec.memo;
    if (!attrs.searchAttributes) params.searchAttributes = { ...exec.searchAttributes };
    params.continued = {
      runId: exec.runId,
      firstExecutionRunId: exec.firstExecutionRunId,
      initiator: attrs.initiator || Initiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      failure: attrs.failure ?? null,
      lastCompletionResult: attrs.lastCompletionResult ?? null,
      expirationTimeMs,
    };
    if (exec.parent) params.parent = { ref: exec.parent, root: exec.root };
    return { params };
  } catch (err) {
    if (err instanceof ServiceError) return err.message.replace(/on request\.$/, 'on command.');
    throw err;
  }
}

/**
 * Applies a validated ContinueAsNewWorkflowExecution command: starts the new run (same workflow
 * id, parent and first run id), then closes this one with WorkflowExecutionContinuedAsNew naming
 * the new run, which is what the client's result wait follows.
 */
export function continueAsNew(
  ctx: EngineContext,
  ns: NamespaceState,
  exec: ExecutionState,
  attrs: command.IContinueAsNewWorkflowExecutionCommandAttributes,
  prepared: PreparedContinueAsNew,
  workflowTaskCompletedEventId: number,
  txn: Txn,
): void {
  const { params } = prepared;
  const next = startRun(ctx, ns, params, txn);
  appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      workflowExecutionContinuedAsNewEventAttributes: {
        newExecutionRunId: next.runId,
        workflowType: { name: params.workflowType },
        taskQueue: { name: params.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: params.input,
        workflowRunTimeout: attrs.workflowRunTimeout,
        workflowTaskTimeout: attrs.workflowTaskTimeout,
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
        backoffStartInterval: attrs.backoffStartInterval,
        initiator: params.continued?.initiator,
        failure: attrs.failure,
        lastCompletionResult: attrs.lastCompletionResult,
        header: attrs.header,
        memo: attrs.memo,
        searchAttributes: attrs.searchAttributes,
        inheritBuildId: attrs.inheritBuildId,
      },
    }),
    txn,
  );
  closeRun(ctx, exec, enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, txn);
}
