import { status } from '@grpc/grpc-js';
import { terminateRun } from './close';
import type { EngineContext, Txn } from './context';
import { invalidArgument, ServiceError, workflowAlreadyStarted } from './errors';
import { signalRun, startRun, type StartParams } from './lifecycle';
import { currentRun } from './namespaces';
import { durationMs, enumName, enums, wsv } from './proto';
import { mergeSearchAttributes } from './search-attributes';
import type { ExecutionState, NamespaceState } from './types';
import { isRunning } from './workflow-tasks';
import { workflowRetryPolicy } from './workflow-retry';

const Reuse = enums.WorkflowIdReusePolicy;
const Conflict = enums.WorkflowIdConflictPolicy;
const Status = enums.WorkflowExecutionStatus;

const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;
const MAX_ID_LENGTH = 1000;

/** The fields StartWorkflowExecution and SignalWithStartWorkflowExecution share. */
export type StartRequest = Pick<
  wsv.IStartWorkflowExecutionRequest,
  | 'workflowId'
  | 'workflowType'
  | 'taskQueue'
  | 'input'
  | 'workflowExecutionTimeout'
  | 'workflowRunTimeout'
  | 'workflowTaskTimeout'
  | 'identity'
  | 'requestId'
  | 'workflowIdReusePolicy'
  | 'workflowIdConflictPolicy'
  | 'retryPolicy'
  | 'cronSchedule'
  | 'memo'
  | 'searchAttributes'
  | 'header'
  | 'workflowStartDelay'
  | 'priority'
  | 'userMetadata'
>;

/** Validates and defaults a start request into the parameters of a new run (throws INVALID_ARGUMENT). */
export function startParams(ctx: EngineContext, ns: NamespaceState, req: StartRequest): StartParams {
  const workflowId = req.workflowId ?? '';
  if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (workflowId.length > MAX_ID_LENGTH) throw invalidArgument('WorkflowId exceeds length limit.');
  const workflowType = req.workflowType?.name ?? '';
  if (!workflowType) throw invalidArgument('WorkflowType is not set on request.');
  const taskQueue = req.taskQueue?.name ?? '';
  if (!taskQueue) throw invalidArgument('TaskQueue is not set on request.');
  if (req.cronSchedule) {
    throw new ServiceError(status.UNIMPLEMENTED, 'Cron schedules are not supported by the cellops dev server yet.');
  }
  const executionTimeoutMs = durationMs(req.workflowExecutionTimeout);
  let runTimeoutMs = durationMs(req.workflowRunTimeout);
  let taskTimeoutMs = durationMs(req.workflowTaskTimeout);
  const startDelayMs = durationMs(req.workflowStartDelay);
  if (executionTimeoutMs < 0) throw invalidArgument('Invalid WorkflowExecutionTimeout.');
  if (runTimeoutMs < 0) throw invalidArgument('Invalid WorkflowRunTimeout.');
  if (taskTimeoutMs < 0) throw invalidArgument('Invalid WorkflowTaskTimeout.');
  if (startDelayMs < 0) throw invalidArgument('Invalid WorkflowStartDelay.');
  // The run timeout defaults to, and never exceeds, the execution timeout.
  if (executionTimeoutMs > 0 && (runTimeoutMs === 0 || runTimeoutMs > executionTimeoutMs)) runTimeoutMs = executionTimeoutMs;
  if (taskTimeoutMs === 0) taskTimeoutMs = DEFAULT_WORKFLOW_TASK_TIMEOUT_MS;
  taskTimeoutMs = Math.min(taskTimeoutMs, MAX_WORKFLOW_TASK_TIMEOUT_MS);
  if (runTimeoutMs > 0) taskTimeoutMs = Math.min(taskTimeoutMs, runTimeoutMs);
  return {
    workflowId,
    workflowType,
    taskQueue,
    input: req.input ?? null,
    header: req.header ?? null,
    executionTimeoutMs,
    runTimeoutMs,
    workflowTaskTimeoutMs: taskTimeoutMs,
    identity: req.identity ?? '',
    requestId: req.requestId || ctx.newId(),
    retryPolicy: workflowRetryPolicy(req.retryPolicy),
    memo: req.memo ?? null,
    searchAttributes: mergeSearchAttributes(ns, {}, req.searchAttributes),
    startDelayMs,
    priority: req.priority ?? null,
    userMetadata: req.userMetadata ?? null,
  };
}

/** Reuse and conflict policies after defaulting; TERMINATE_IF_RUNNING is the old spelling of TERMINATE_EXISTING. */
function policies(
  req: StartRequest,
  defaultConflict: enums.WorkflowIdConflictPolicy,
): { reuse: enums.WorkflowIdReusePolicy; conflict: enums.WorkflowIdConflictPolicy } {
  let reuse = req.workflowIdReusePolicy ?? Reuse.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
  let conflict = req.workflowIdConflictPolicy ?? Conflict.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
  if (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    if (conflict !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) {
      throw invalidArgument(
        'Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIDConflictPolicy.',
      );
    }
    reuse = Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    conflict = Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  }
  if (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED) reuse = Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
  if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) conflict = defaultConflict;
  return { reuse, conflict };
}

const REUSE_DESCRIPTIONS: Partial<Record<number, string>> = {
  [Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY]: 'allow duplicate workflow Id if last run failed',
  [Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE]: 'reject duplicate workflow Id',
};

/** Whether a closed previous run lets the workflow id be used again. */
export function reuseAllowed(reuse: enums.WorkflowIdReusePolicy, previous: ExecutionState): boolean {
  switch (reuse) {
    case Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
      return false;
    case Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY:
      return (
        previous.status !== Status.WORKFLOW_EXECUTION_STATUS_COMPLETED &&
        previous.status !== Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
      );
    default:
      return true;
  }
}

export interface StartOutcome {
  exec: ExecutionState;
  started: boolean;
}

/**
 * Starts a run for StartWorkflowExecution or SignalWithStart, applying request-id
 * de-duplication and the workflow id conflict (running) and reuse (closed) policies. With
 * `signal`, an existing open run is signalled instead of failing (unless the policy says
 * otherwise) and a new run gets the signal before its first workflow task.
 */
export function startWorkflow(
  ctx: EngineContext,
  ns: NamespaceState,
  req: StartRequest,
  txn: Txn,
  signal?: StartParams['signal'],
): StartOutcome {
  const params = startParams(ctx, ns, req);
  const { reuse, conflict } = policies(
    req,
    signal ? Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING : Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
  );

  const duplicateRunId = ns.startRequestIds.get(params.requestId);
  const duplicate = duplicateRunId ? ctx.executions.get(duplicateRunId) : undefined;
  if (duplicate && duplicate.workflowId === params.workflowId) return { exec: duplicate, started: true };

  const previous = currentRun(ctx, ns, params.workflowId);
  if (previous && isRunning(previous)) {
    switch (conflict) {
      case Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
        if (signal) {
          signalRun(ctx, previous, signal.name, signal.input, signal.header, params.identity, signal.requestId, txn);
        }
        return { exec: previous, started: false };
      case Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING:
        terminateRun(ctx, previous, 'Terminated by WorkflowIdConflictPolicy TERMINATE_EXISTING', null, params.identity, txn);
        break;
      case Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL:
        throw workflowAlreadyStarted(params.workflowId, previous.runId, previous.startRequestId);
      default:
        throw invalidArgument(`Unknown WorkflowIdConflictPolicy ${enumName(Conflict, conflict)}.`);
    }
  } else if (previous && !reuseAllowed(reuse, previous)) {
    const policy = REUSE_DESCRIPTIONS[reuse] ?? enumName(Reuse, reuse);
    const error = workflowAlreadyStarted(params.workflowId, previous.runId, previous.startRequestId);
    throw new ServiceError(
      error.code,
      `Workflow execution already finished. WorkflowId: ${params.workflowId}, RunId: ${previous.runId}. Workflow Id reuse policy: ${policy}.`,
      error.details,
    );
  }
  const exec = startRun(ctx, ns, { ...params, signal }, txn);
  return { exec, started: true };
}
