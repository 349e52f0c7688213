import type { RunVersioningState, WorkerDeploymentState } from '../deployments/types';
import type { ScheduleState } from '../schedules/types';
import type { api, common, enums, failure, history } from './proto';

/**
 * Engine state. Everything here is plain data (no closures, promises or class instances beyond
 * protobuf-shaped objects and byte arrays), mutated only by the engine inside a transaction, so
 * a snapshot or a write-ahead log can serialize it.
 */

/** One namespace and its registered custom search attributes (name → Temporal type name). */
export interface NamespaceState {
  name: string;
  id: string;
  description: string;
  retentionMs: number;
  customSearchAttributes: Record<string, string>;
  /** workflowId → run ids, oldest first; the last one is the current run. */
  runsByWorkflowId: Map<string, string[]>;
  /** StartWorkflowExecution request ids already served, for de-duplication. */
  startRequestIds: Map<string, string>;
  /** Schedules by id (`schedules/`); persisted with the namespace. */
  schedules?: Map<string, ScheduleState>;
  /** Worker deployments by name (`deployments/`); persisted with the namespace. */
  workerDeployments?: Map<string, WorkerDeploymentState>;
}

/** A history event waiting for its id because a workflow task is in flight. */
export interface PendingEvent {
  event: history.IHistoryEvent;
  /** Set the terminal activity event's startedEventId to the id of the event just before it. */
  startedIsPrevious?: boolean;
}

/**
 * The history of one run, kept encoded: each event is encoded exactly once when appended and
 * served from these bytes ever after; the event objects themselves are not retained.
 */
export interface EventLog {
  encoded: Uint8Array[];
  sizeBytes: number;
  /** `EventType` of the last event (0 when empty). */
  lastEventType: number;
}

export type WorkflowTaskPhase = 'scheduled' | 'started';

/** The single pending workflow task of a run. */
export interface WorkflowTaskState {
  phase: WorkflowTaskPhase;
  /** Increments per scheduled task; stale matching entries compare against it. */
  scheduleSeq: number;
  /** Increments per started task; task tokens carry it. */
  startSeq: number;
  attempt: number;
  /** Attempt > 1 tasks are transient: their Scheduled/Started events are written only on success. */
  transient: boolean;
  scheduledEventId: number;
  startedEventId: number;
  scheduledTimeMs: number;
  originalScheduledTimeMs: number;
  startedTimeMs: number;
  timeoutMs: number;
  requestId: string;
  identity: string;
  /** Queries delivered with this task, answered in its completion. */
  attachedQueryIds: string[];
  /**
   * A task scheduled only to deliver updates: like a transient task its Scheduled/Started events
   * are written only if it is kept, and a completion that only rejects updates leaves no events.
   */
  speculative?: boolean;
}

export type ActivityPhase = 'scheduled' | 'started' | 'backoff';

/** Server-side retry policy with every default filled in (0 maximumAttempts = unlimited). */
export interface RetryPolicyState {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** A pending activity, keyed by its scheduled event id. */
export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  input: common.IPayloads | null;
  header: common.IHeader | null;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retry: RetryPolicyState;
  phase: ActivityPhase;
  attempt: number;
  scheduledTimeMs: number;
  currentAttemptScheduledTimeMs: number;
  startedTimeMs: number;
  startedIdentity: string;
  startedRequestId: string;
  lastHeartbeatTimeMs: number;
  heartbeatDetails: common.IPayloads | null;
  lastFailure: failure.IFailure | null;
  lastAttemptCompleteTimeMs: number;
  currentRetryIntervalMs: number;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
  /** Paused by an operator (PauseActivity): no attempt is dispatched until unpaused. */
  paused?: { timeMs: number; identity: string; reason: string };
  /** ResetActivity while an attempt ran: the next heartbeat says so; its failure restarts at attempt 1. */
  resetRequested?: boolean;
  /** The options as scheduled, kept by the first UpdateActivityOptions for `restoreOriginal`. */
  originalOptions?: ActivityOptionsState;
}

/** The activity options UpdateActivityOptions can change. */
export interface ActivityOptionsState {
  taskQueue: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retry: RetryPolicyState;
}

/** A started timer, keyed by its timer id. */
export interface TimerState {
  timerId: string;
  startedEventId: number;
  fireAtMs: number;
}

/**
 * Where a workflow update is: `admitted` (waiting for a workflow task), `sent` (delivered with a
 * started task), `accepted` (WorkflowExecutionUpdateAccepted written), `completed`
 * (WorkflowExecutionUpdateCompleted written). Rejected updates leave no state, as on a real server.
 */
export type UpdatePhase = 'admitted' | 'sent' | 'accepted' | 'completed';

/** One workflow update of a run, keyed by its update id. */
export interface UpdateState {
  updateId: string;
  phase: UpdatePhase;
  /** The caller's request until the update is accepted; its Accepted event holds it afterwards. */
  request: api.update.v1.IRequest | null;
  /** Orders delivery of admitted updates. */
  admittedSeq: number;
  acceptedEventId: number;
  /** The WorkflowExecutionUpdateCompleted event, whose outcome later callers are answered from. */
  completedEventId: number;
}

/** A workflow execution as history events name it. */
export interface ExecutionRef {
  workflowId: string;
  runId: string;
}

/** The parent of a child run: where to report the child's start and close. */
export interface ParentRef {
  namespace: string;
  namespaceId: string;
  workflowId: string;
  runId: string;
  /** Id of the parent's StartChildWorkflowExecutionInitiated event. */
  initiatedEventId: number;
}

export type ChildPhase = 'initiated' | 'started';

/** A child workflow of a run, keyed by its StartChildWorkflowExecutionInitiated event id. */
export interface ChildState {
  initiatedEventId: number;
  /** WorkflowTaskCompleted event of the command that started it. */
  workflowTaskCompletedEventId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  parentClosePolicy: enums.ParentClosePolicy;
  phase: ChildPhase;
  /** Run id of the first run of the child, once started. */
  runId: string;
  /** Id of the parent's ChildWorkflowExecutionStarted event, once started. */
  startedEventId: number;
}

/** One workflow run. */
export interface ExecutionState {
  namespace: string;
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  workflowType: string;
  taskQueue: string;
  status: enums.WorkflowExecutionStatus;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs: number;
  startRequestId: string;
  workflowTaskTimeoutMs: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  memo: common.IMemo | null;
  searchAttributes: Record<string, common.IPayload>;
  log: EventLog;
  nextEventId: number;
  lastCompletedWftStartedEventId: number;
  /** Attempt number the next workflow task gets; reset to 1 on success or new events. */
  wftAttempt: number;
  wftSeq: number;
  wft: WorkflowTaskState | null;
  buffered: PendingEvent[];
  activities: Record<number, ActivityState>;
  timers: Record<string, TimerState>;
  cancelRequested: boolean;
  signalRequestIds: Record<string, true>;
  stateTransitionCount: number;
  /** Workflow updates (admitted, in flight, accepted or completed), keyed `u/<update id>` (see updates.ts). */
  updates: Record<string, UpdateState>;
  /** Set on child runs (and kept across continue-as-new). */
  parent: ParentRef | null;
  /** The root of the parent chain; the run itself when it has no parent. */
  root: ExecutionRef;
  children: Record<number, ChildState>;
  /** Where ResetWorkflowExecution can reset to: the first completed workflow task of each worker build. */
  resetPoints?: ResetPointState[];
  /** Set on a run that was reset: the run the latest reset created. */
  resetRunId?: string;
  /** Set on a run created by a reset: when. */
  lastResetTimeMs?: number;
  /** The deployment version and behavior of the versioned worker that completed its last workflow task. */
  versioning?: RunVersioningState;
}

/** A reset point (`ResetPointInfo`): the first workflow task a worker build (or binary checksum) completed. */
export interface ResetPointState {
  buildId: string;
  binaryChecksum: string;
  runId: string;
  firstWorkflowTaskCompletedId: number;
  createTimeMs: number;
}
