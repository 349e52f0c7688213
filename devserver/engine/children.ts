import { HISTORY_SERVICE_IDENTITY, terminateRun } from './close';
import type { EngineContext, Txn } from './context';
import { ServiceError } from './errors';
import { appendEvent, makeEvent } from './history';
import { startRun, type StartParams } from './lifecycle';
import { currentRun } from './namespaces';
import { command, enums, i64, wsv, type sdk } from './proto';
import { reuseAllowed, startParams } from './start';
import type { ChildState, ExecutionState } from './types';
import { deliverEvents, isRunning } from './workflow-tasks';

const EventType = enums.EventType;
const Reuse = enums.WorkflowIdReusePolicy;
const ClosePolicy = enums.ParentClosePolicy;
const StartFailedCause = enums.StartChildWorkflowExecutionFailedCause;

/** A validated StartChildWorkflowExecution command, waiting to be started after all commands are applied. */
export interface PreparedChild {
  params: StartParams;
  namespace: string;
  reusePolicy: enums.WorkflowIdReusePolicy;
  parentClosePolicy: enums.ParentClosePolicy;
  /** Set when the Initiated event is written. */
  initiatedEventId: number;
}

/**
 * Validates a StartChildWorkflowExecution command the way a start request is validated (ids,
 * type, timeouts, search attributes); the task queue and namespace default to the parent's.
 * Returns the prepared start, or the message the workflow task is failed with.
 */
export function prepareChildStart(
  ctx: EngineContext,
  exec: ExecutionState,
  attrs: command.IStartChildWorkflowExecutionCommandAttributes | null | undefined,
): PreparedChild | string {
  if (!attrs) return 'StartChildWorkflowExecutionCommandAttributes is not set on command.';
  const namespace = attrs.namespace || exec.namespace;
  // An unknown namespace is not a bad command: the start fails with NAMESPACE_NOT_FOUND.
  const ns = ctx.namespaces.get(namespace) ?? ctx.namespaces.get(exec.namespace);
  if (!ns) return `Namespace ${exec.namespace} is not found.`;
  const reusePolicy = attrs.workflowIdReusePolicy ?? Reuse.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
  try {
    const params = startParams(ctx, ns, {
      workflowId: attrs.workflowId,
      workflowType: attrs.workflowType,
      taskQueue: attrs.taskQueue?.name ? attrs.taskQueue : { name: exec.taskQueue },
      input: attrs.input,
      workflowExecutionTimeout: attrs.workflowExecutionTimeout,
      workflowRunTimeout: attrs.workflowRunTimeout,
      workflowTaskTimeout: attrs.workflowTaskTimeout,
      retryPolicy: attrs.retryPolicy,
      cronSchedule: attrs.cronSchedule,
      memo: attrs.memo,
      searchAttributes: attrs.searchAttributes,
      header: attrs.header,
      requestId: ctx.newId(),
      priority: attrs.priority,
    });
    return {
      params,
      namespace,
      reusePolicy,
      // UNSPECIFIED (0) means the server default, TERMINATE.
      parentClosePolicy: attrs.parentClosePolicy || ClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
      initiatedEventId: 0,
    };
  } catch (err) {
    if (err instanceof ServiceError) return err.message.replace(/on request\.$/, 'on command.');
    throw err;
  }
}

/** Applies a validated StartChildWorkflowExecution command: the Initiated event and the child's record. */
export function initiateChild(
  ctx: EngineContext,
  exec: ExecutionState,
  attrs: command.IStartChildWorkflowExecutionCommandAttributes,
  prepared: PreparedChild,
  workflowTaskCompletedEventId: number,
  txn: Txn,
  userMetadata?: sdk.IUserMetadata | null,
): void {
  const { params } = prepared;
  // The child starts with the summary and details the command gave it.
  params.userMetadata = userMetadata ?? null;
  const initiatedEventId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      userMetadata: userMetadata ?? null,
      startChildWorkflowExecutionInitiatedEventAttributes: {
        namespace: prepared.namespace,
        namespaceId: ctx.namespaces.get(prepared.namespace)?.id ?? '',
        workflowId: params.workflowId,
        workflowType: { name: params.workflowType },
        taskQueue: { name: params.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: params.input,
        workflowExecutionTimeout: attrs.workflowExecutionTimeout,
        workflowRunTimeout: attrs.workflowRunTimeout,
        workflowTaskTimeout: attrs.workflowTaskTimeout,
        parentClosePolicy: prepared.parentClosePolicy,
        control: attrs.control,
        workflowTaskCompletedEventId: i64(workflowTaskCompletedEventId),
        workflowIdReusePolicy: attrs.workflowIdReusePolicy,
        retryPolicy: attrs.retryPolicy,
        cronSchedule: attrs.cronSchedule,
        header: attrs.header,
        memo: attrs.memo,
        searchAttributes: attrs.searchAttributes,
        inheritBuildId: attrs.inheritBuildId,
        priority: attrs.priority,
      },
    }),
    txn,
  );
  prepared.initiatedEventId = initiatedEventId;
  exec.children[initiatedEventId] = {
    initiatedEventId,
    workflowTaskCompletedEventId,
    namespace: prepared.namespace,
    workflowId: params.workflowId,
    workflowType: params.workflowType,
    parentClosePolicy: prepared.parentClosePolicy,
    phase: 'initiated',
    runId: '',
    startedEventId: 0,
  };
}

/**
 * Starts a child initiated by the workflow task just completed (the parent's task is no longer
 * started, so the outcome event is appended at once and a new task scheduled): the child's run
 * and ChildWorkflowExecutionStarted, or StartChildWorkflowExecutionFailed. As on a real server,
 * nothing is started once the parent has closed.
 */
export function startInitiatedChild(ctx: EngineContext, parent: ExecutionState, prepared: PreparedChild, txn: Txn): void {
  const child = parent.children[prepared.initiatedEventId];
  if (!child || child.phase !== 'initiated' || !isRunning(parent)) return;
  const ns = ctx.namespaces.get(child.namespace);
  if (!ns) {
    failChildStart(ctx, parent, child, StartFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND, txn);
    return;
  }
  const previous = currentRun(ctx, ns, child.workflowId);
  if (previous && isRunning(previous)) {
    if (prepared.reusePolicy !== Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
      failChildStart(ctx, parent, child, StartFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS, txn);
      return;
    }
    terminateRun(ctx, previous, 'Terminated by WorkflowIdReusePolicy TERMINATE_IF_RUNNING', null, HISTORY_SERVICE_IDENTITY, txn);
  } else if (previous && !reuseAllowed(prepared.reusePolicy, previous)) {
    failChildStart(ctx, parent, child, StartFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS, txn);
    return;
  }

  const parentNs = ctx.namespaces.get(parent.namespace);
  const run = startRun(
    ctx,
    ns,
    {
      ...prepared.params,
      parent: {
        ref: {
          namespace: parent.namespace,
          namespaceId: parentNs?.id ?? '',
          workflowId: parent.workflowId,
          runId: parent.runId,
          initiatedEventId: child.initiatedEventId,
        },
        root: parent.root,
      },
    },
    txn,
  );
  child.phase = 'started';
  child.runId = run.runId;
  child.startedEventId = appendToParent(
    ctx,
    parent,
    makeEvent(ctx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: {
        namespace: child.namespace,
        namespaceId: ns.id,
        initiatedEventId: i64(child.initiatedEventId),
        workflowExecution: { workflowId: run.workflowId, runId: run.runId },
        workflowType: { name: child.workflowType },
        header: prepared.params.header,
      },
    }),
    txn,
  );
}

function failChildStart(
  ctx: EngineContext,
  parent: ExecutionState,
  child: ChildState,
  cause: enums.StartChildWorkflowExecutionFailedCause,
  txn: Txn,
): void {
  delete parent.children[child.initiatedEventId];
  appendToParent(
    ctx,
    parent,
    makeEvent(ctx, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
      startChildWorkflowExecutionFailedEventAttributes: {
        namespace: child.namespace,
        namespaceId: ctx.namespaces.get(child.namespace)?.id ?? '',
        workflowId: child.workflowId,
        workflowType: { name: child.workflowType },
        cause,
        initiatedEventId: i64(child.initiatedEventId),
        workflowTaskCompletedEventId: i64(child.workflowTaskCompletedEventId),
      },
    }),
    txn,
  );
}

/** Delivers an outcome event to a parent and returns its id (known because the parent's task is not started). */
function appendToParent(ctx: EngineContext, parent: ExecutionState, pending: ReturnType<typeof makeEvent>, txn: Txn): number {
  // Children start right after the parent's task completed, so the event is appended, not buffered.
  const id = parent.wft?.phase === 'started' ? 0 : parent.nextEventId;
  deliverEvents(ctx, parent, [pending], txn);
  return id;
}

/** DescribeWorkflowExecution's `pendingChildren`. */
export function pendingChildren(exec: ExecutionState): wsv.IDescribeWorkflowExecutionResponse['pendingChildren'] {
  return Object.values(exec.children).map((child) => ({
    workflowId: child.workflowId,
    runId: child.runId,
    workflowTypeName: child.workflowType,
    initiatedId: i64(child.initiatedEventId),
    parentClosePolicy: child.parentClosePolicy,
  }));
}
