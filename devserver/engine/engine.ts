import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { TransactionClock, type Clock } from '../clock';
import type { Logger } from '../log';
import { DeadlineScheduler } from '../scheduler';
import {
  activityById,
  activityForRef,
  activityForToken,
  canceledActivity,
  completeActivity,
  failActivity,
  heartbeatActivity,
  retryActivity,
  startActivity,
  timeoutActivity,
} from './activities';
import { completeWorkflowTask } from './commands';
import { Txn, type ActivityTaskRef, type DeadlineTask, type EngineContext, type WorkflowTaskRef } from './context';
import { describeExecution } from './describe';
import { decodeReverseToken, reverseHistoryPage } from './history-reverse';
import { PRE_ENCODED_HISTORY, withHistory, type WithPreEncodedHistory } from './encoded';
import { invalidArgument, namespaceNotFound, notFound, queryFailed, ServiceError } from './errors';
import { setOwn } from './own-keys';
import { CLOSE_EVENT_TYPES } from './history';
import { terminateRun, timeoutRun } from './close';
import { enforceHistoryLimits } from './history-limits';
import { DEFAULT_LIMITS, type LimitSettings } from './limit-settings';
import { requestCancelRun, signalRun, startDelayedRun } from './lifecycle';
import { Matching, type Poller } from './matching';
import { CLUSTER_NAME, currentRun, describeNamespace, newNamespace, requireNamespace } from './namespaces';
import { durationMs, enums, history, i64, num, opsv, wsv, type common } from './proto';
import { QueryRegistry, type QueryOutcome } from './queries';
import {
  fromIndexedValueType,
  registerSearchAttribute,
  SYSTEM_SEARCH_ATTRIBUTES,
  toIndexedValueType,
  type SearchAttributeTypeName,
} from './search-attributes';
import { startWorkflow } from './start';
import { describeTaskQueue } from './task-queues';
import { resetWorkflow } from './reset';
import {
  activityOptionsProto,
  pauseActivity,
  resetActivity,
  selectActivities,
  unpauseActivity,
  updateActivityOptions,
} from './activity-operations';
import { decodeToken, type IssuedToken } from './tokens';
import { fireTimer } from './timers';
import type { ActivityState, ExecutionState, NamespaceState } from './types';
import { Schedules } from '../schedules/service';
import { WorkerDeployments } from '../deployments/service';
import { activityTaskVersion, sameVersion, workerVersion, workflowTaskVersion } from '../deployments/routing';
import type { VersionRef } from '../deployments/types';
import type { UpdateStatus } from './update-decisions';
import { UpdateWaiters } from './update-waiters';
import { admitUpdate, findUpdate, reachedStatus, updateStatus, validateUpdateRequest } from './updates';
import { countExecutions, listExecutions } from './visibility';
import type { WriteAhead } from './write-ahead';
import {
  failWorkflowTask,
  isRunning,
  queryTaskResponse,
  scheduleWorkflowTask,
  startWorkflowTask,
  timeoutWorkflowTask,
  type PollWorkflowTaskResponse,
} from './workflow-tasks';

/** What an RPC handler tells the engine about the call it serves. */
export interface CallContext {
  /** Absolute deadline of the call (epoch ms), or Infinity. */
  deadlineMs: number;
  /** Registers a callback for when the caller goes away. */
  onCancel(callback: () => void): void;
}

export interface EngineOptions {
  clock: Clock;
  log: Logger;
  namespaces: readonly string[];
  searchAttributes?: readonly { name: string; type: SearchAttributeTypeName }[];
  /** Longest time a poll or history long-poll is held before answering empty (default 60 s). */
  longPollMs?: number;
  /** Longest time a query waits for a worker (default 60 s). */
  queryTimeoutMs?: number;
  /**
   * Longest time an update call waits for its stage before answering the stage reached (default
   * 20 s, the real server's `history.longPollExpirationInterval`); the SDK client then asks again.
   */
  updateLongPollMs?: number;
  /** Thresholds for suggesting continue-as-new (defaults: 4,096 events, 4 MiB, as on a real server). */
  suggestContinueAsNew?: { historyCount?: number; historySizeBytes?: number };
  /** Payload and history limits (defaults: the real server's, {@link DEFAULT_LIMITS}). */
  limits?: Partial<LimitSettings>;
}

/** Server identity reported by GetSystemInfo. */
export const SERVER_VERSION = '1.29.0-cellops-dev';

/** Client versions the server accepts, reported by GetClusterInfo as the real server does. */
const SUPPORTED_CLIENTS: Record<string, string> = {
  'temporal-cli': '<2.0.0',
  'temporal-go': '<2.0.0',
  'temporal-java': '<2.0.0',
  'temporal-php': '<2.0.0',
  'temporal-python': '<2.0.0',
  'temporal-typescript': '<2.0.0',
  'temporal-server': '<2.0.0',
  'temporal-ui': '<3.0.0',
};

/** Field number of `history` in GetWorkflowExecutionHistoryResponse. */
const HISTORY_RESPONSE_FIELD = 1;

interface HistoryPageToken {
  runId: string;
  nextEventId: number;
}

/**
 * The dev server's engine: all workflow state and the rules that change it. Every mutating
 * operation runs in {@link Engine.transact}, whose commit is the one place where changes become
 * visible (waiters wake, tasks are handed to pollers) and where a write-ahead log will make them
 * durable before the RPC answers.
 */
export class Engine implements EngineContext {
  /** Fixed for the length of each transaction (see {@link TransactionClock}). */
  readonly clock: TransactionClock;
  readonly log: Logger;
  readonly scheduler: DeadlineScheduler<DeadlineTask>;
  readonly namespaces = new Map<string, NamespaceState>();
  readonly executions = new Map<string, ExecutionState>();
  readonly workflowMatching = new Matching<WorkflowTaskRef>();
  readonly activityMatching = new Matching<ActivityTaskRef>();
  readonly queries = new QueryRegistry();
  readonly updateWaiters = new UpdateWaiters();
  readonly suggestContinueAsNew: { historyCount: number; historySizeBytes: number };
  readonly limits: LimitSettings;
  /** The Schedule API and the schedules' deadlines (`schedules/`). */
  readonly schedules: Schedules;
  /** Worker deployments and their versions (`deployments/`). */
  readonly deployments: WorkerDeployments;
  /** The last history event taskId handed out (persistence restores it). */
  taskIdSeq = 0;
  private writeAhead: WriteAhead | undefined;
  private readonly longPollMs: number;
  private readonly queryTimeoutMs: number;
  private readonly updateLongPollMs: number;
  /** Runs with callers waiting for history changes (GetWorkflowExecutionHistory long polls). */
  private readonly historyWaiters = new Map<string, Set<() => boolean>>();
  /** Sticky-queue pollers to release on ShutdownWorker, by sticky queue name. */
  private readonly stickyPollers = new Map<string, Set<() => void>>();
  /** Told about every commit, as soon as its state changes are made (time skipping derives its locks here). */
  private readonly commitObservers: ((txn: Txn) => void)[] = [];

  constructor(options: EngineOptions) {
    this.clock = new TransactionClock(options.clock);
    this.log = options.log;
    this.longPollMs = options.longPollMs ?? 60_000;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 60_000;
    this.updateLongPollMs = options.updateLongPollMs ?? 20_000;
    this.suggestContinueAsNew = {
      historyCount: options.suggestContinueAsNew?.historyCount ?? 4 * 1024,
      historySizeBytes: options.suggestContinueAsNew?.historySizeBytes ?? 4 * 1024 * 1024,
    };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.scheduler = new DeadlineScheduler<DeadlineTask>(options.clock, (task) => this.onDeadline(task));
    this.schedules = new Schedules(this);
    this.deployments = new WorkerDeployments(this);
    for (const name of options.namespaces) this.namespaces.set(name, newNamespace(name));
    for (const ns of this.namespaces.values()) {
      for (const { name, type } of options.searchAttributes ?? []) registerSearchAttribute(ns, name, type);
    }
  }

  nextTaskId(): number {
    return ++this.taskIdSeq;
  }

  newId(): string {
    return randomUUID();
  }

  /** Starts firing deadlines on the real clock. */
  start(): void {
    this.scheduler.start();
  }

  /** Stops firing deadlines. */
  stop(): void {
    this.scheduler.stop();
  }

  /** Registers `observer` to run at every commit, synchronously, before it is durable or published. */
  onCommit(observer: (txn: Txn) => void): void {
    this.commitObservers.push(observer);
  }

  // ---------------------------------------------------------------------------------------------
  // Transactions

  /** Runs one mutating operation and commits it, even if it throws half-way (state is in memory). */
  transact<T>(fn: (txn: Txn) => T): T {
    const txn = new Txn();
    try {
      return this.clock.during(() => fn(txn));
    } finally {
      this.commit(txn);
    }
  }

  /**
   * The commit point. With persistence, the write-ahead hook appends a record of `txn` and the
   * change is published (waiters woken, tasks handed out) only once that record is durable; the
   * RPC layer awaits {@link durable} before answering.
   */
  private commit(txn: Txn): void {
    // Observers read state, which is final here; they must not wait for durability (time
    // skipping decides from them, synchronously, whether the clock may jump again).
    for (const observe of this.commitObservers) observe(txn);
    const durable = this.writeAhead?.commit(txn);
    if (!durable) {
      this.publish(txn);
      return;
    }
    void durable
      .then(() => this.publish(txn), () => undefined)
      .catch((err: unknown) => this.log.error('publishing a commit failed', { error: String(err) }));
  }

  /**
   * A transaction changing one run. A run whose history is past the history limits is
   * terminated instead and the request refused with the reason (history-limits.ts).
   */
  private transactOn<T>(exec: ExecutionState, fn: (txn: Txn) => T): T {
    return this.transact((txn) => {
      const exceeded = enforceHistoryLimits(this, exec, txn);
      if (exceeded) throw invalidArgument(exceeded);
      return fn(txn);
    });
  }

  /** Installs the write-ahead hook (engine/persist.ts); without one, state is in memory only. */
  attachWriteAhead(writeAhead: WriteAhead): void {
    this.writeAhead = writeAhead;
  }

  /**
   * Settles once everything committed so far is durable (rejects if persistence failed);
   * undefined when nothing is pending or state is in memory only.
   */
  durable(): Promise<void> | undefined {
    return this.writeAhead?.flushed();
  }

  private publish(txn: Txn): void {
    for (const exec of txn.touched) {
      // Queries waiting for a workflow task that will not come are served directly.
      if (!isRunning(exec) || !exec.wft) this.dispatchBufferedQueries(exec);
      this.updateWaiters.notify(exec);
      const waiters = this.historyWaiters.get(exec.runId);
      if (waiters) {
        for (const check of [...waiters]) if (check()) waiters.delete(check);
        if (waiters.size === 0) this.historyWaiters.delete(exec.runId);
      }
    }
    this.updateWaiters.endCommit();
    for (const { namespace, taskQueue, ref } of txn.workflowTasks) this.workflowMatching.add(namespace, taskQueue, ref);
    for (const { namespace, taskQueue, ref } of txn.activityTasks) this.activityMatching.add(namespace, taskQueue, ref);
    for (const { namespace, taskQueue } of txn.rematch) {
      this.workflowMatching.rematch(namespace, taskQueue);
      this.activityMatching.rematch(namespace, taskQueue);
    }
  }

  private dispatchBufferedQueries(exec: ExecutionState): void {
    for (const q of this.queries.forRun(exec.runId, 'buffered')) {
      q.phase = 'direct';
      this.workflowMatching.add(exec.namespace, exec.taskQueue, { kind: 'query', queryId: q.id });
    }
  }

  private onDeadline(task: DeadlineTask): void {
    if (task.kind === 'schedule') {
      this.schedules.onDeadline(task);
      return;
    }
    const exec = this.executions.get(task.runId);
    if (!exec) return;
    try {
      this.transact((txn) => {
        if (enforceHistoryLimits(this, exec, txn)) return;
        switch (task.kind) {
          case 'workflowTaskTimeout':
            if (exec.wft?.phase === 'started' && exec.wft.startSeq === task.startSeq) timeoutWorkflowTask(this, exec, txn);
            return;
          case 'workflowTaskRetry':
            scheduleWorkflowTask(this, exec, txn);
            return;
          case 'workflowStart':
            startDelayedRun(this, exec, txn);
            return;
          case 'timer':
            fireTimer(this, exec, task.timerId, task.startedEventId, txn);
            return;
          case 'activityTimeout':
            timeoutActivity(this, exec, task.scheduledEventId, task.attempt, task.timeoutType, txn);
            return;
          case 'activityRetry':
            retryActivity(this, exec, task.scheduledEventId, task.attempt, txn);
            return;
          case 'workflowTimeout':
            timeoutRun(this, exec, txn);
            return;
        }
      });
    } catch (err) {
      this.log.error('deadline handler failed', { kind: task.kind, runId: task.runId, error: String(err) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups

  private runFor(ns: NamespaceState, execution: common.IWorkflowExecution | null | undefined): ExecutionState {
    const workflowId = execution?.workflowId ?? '';
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const runId = execution?.runId ?? '';
    if (runId) {
      const exec = this.executions.get(runId);
      if (!exec || exec.namespace !== ns.name || exec.workflowId !== workflowId) {
        throw notFound(`Workflow execution not found: WorkflowId ${workflowId}, RunId ${runId}.`);
      }
      return exec;
    }
    const exec = currentRun(this, ns, workflowId);
    if (!exec) throw notFound(`Workflow execution not found: WorkflowId ${workflowId}.`);
    return exec;
  }

  private openRunFor(ns: NamespaceState, execution: common.IWorkflowExecution | null | undefined): ExecutionState {
    const exec = this.runFor(ns, execution);
    if (!isRunning(exec)) throw notFound('workflow execution already completed');
    return exec;
  }

  // ---------------------------------------------------------------------------------------------
  // Namespaces and system

  /** GetSystemInfo. `sdkMetadata` makes the worker send internal flags, which we copy into history. */
  getSystemInfo(): wsv.IGetSystemInfoResponse {
    return {
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        encodedFailureAttributes: true,
        upsertMemo: true,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        eagerWorkflowStart: true,
        supportsSchedules: false,
        buildIdBasedVersioning: false,
        nexus: false,
      },
    };
  }

  describeNamespace(req: wsv.IDescribeNamespaceRequest): wsv.IDescribeNamespaceResponse {
    if (req.id) {
      const ns = [...this.namespaces.values()].find((n) => n.id === req.id);
      if (!ns) throw notFound(`Namespace with id ${req.id} is not found.`);
      return describeNamespace(ns);
    }
    return describeNamespace(requireNamespace(this, req.namespace));
  }

  /** ListNamespaces, `pageSize` at a time (all when 0); the token is the index of the next namespace. */
  listNamespaces(req: wsv.IListNamespacesRequest = {}): wsv.IListNamespacesResponse {
    const all = [...this.namespaces.values()];
    let from = 0;
    if (req.nextPageToken && req.nextPageToken.length > 0) {
      from = Number(Buffer.from(req.nextPageToken).toString('utf8'));
      if (!Number.isInteger(from) || from < 0) throw invalidArgument('Invalid NextPageToken.');
    }
    const to = (req.pageSize ?? 0) > 0 ? Math.min(all.length, from + (req.pageSize as number)) : all.length;
    return {
      namespaces: all.slice(from, to).map(describeNamespace),
      nextPageToken: to < all.length ? Buffer.from(String(to)) : Buffer.alloc(0),
    };
  }

  /** GetClusterInfo, as the Web UI reads it (server version, stores, cluster name). */
  getClusterInfo(): wsv.IGetClusterInfoResponse {
    return {
      supportedClients: SUPPORTED_CLIENTS,
      serverVersion: SERVER_VERSION,
      clusterId: 'cellops-dev',
      clusterName: CLUSTER_NAME,
      historyShardCount: 1,
      persistenceStore: 'memory',
      visibilityStore: 'memory',
      failoverVersionIncrement: i64(10),
      initialFailoverVersion: i64(1),
    };
  }

  /** DescribeTaskQueue: pollers seen in the last 5 minutes, optionally the backlog. */
  describeTaskQueue(req: wsv.IDescribeTaskQueueRequest): wsv.IDescribeTaskQueueResponse {
    return describeTaskQueue(this, requireNamespace(this, req.namespace), req);
  }

  getSearchAttributes(): wsv.IGetSearchAttributesResponse {
    const keys: Record<string, enums.IndexedValueType> = {};
    for (const [name, type] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) keys[name] = toIndexedValueType(type);
    // Without a namespace in the request, custom attributes of every namespace are reported.
    for (const ns of this.namespaces.values()) {
      for (const [name, type] of Object.entries(ns.customSearchAttributes)) {
        setOwn(keys, name, toIndexedValueType(type as SearchAttributeTypeName));
      }
    }
    return { keys };
  }

  listSearchAttributes(req: opsv.IListSearchAttributesRequest): opsv.IListSearchAttributesResponse {
    const ns = requireNamespace(this, req.namespace || 'default');
    const systemAttributes: Record<string, enums.IndexedValueType> = {};
    for (const [name, type] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) systemAttributes[name] = toIndexedValueType(type);
    const customAttributes: Record<string, enums.IndexedValueType> = {};
    for (const [name, type] of Object.entries(ns.customSearchAttributes)) {
      setOwn(customAttributes, name, toIndexedValueType(type as SearchAttributeTypeName));
    }
    return { systemAttributes, customAttributes, storageSchema: {} };
  }

  addSearchAttributes(req: opsv.IAddSearchAttributesRequest): opsv.IAddSearchAttributesResponse {
    const ns = requireNamespace(this, req.namespace || 'default');
    const entries = Object.entries(req.searchAttributes ?? {});
    if (entries.length === 0) throw invalidArgument('SearchAttributes are not set on request.');
    const typed = entries.map(([name, value]) => {
      const type = fromIndexedValueType(value);
      if (!type) throw invalidArgument(`Unknown search attribute type ${value} for ${name}.`);
      return { name, type };
    });
    this.transact((txn) => {
      for (const { name, type } of typed) registerSearchAttribute(ns, name, type);
      txn.namespaces.add(ns);
    });
    return {};
  }

  /** ShutdownWorker: releases the worker's sticky-queue polls (sticky queues are never used). */
  shutdownWorker(req: wsv.IShutdownWorkerRequest): wsv.IShutdownWorkerResponse {
    const pollers = req.stickyTaskQueue ? this.stickyPollers.get(req.stickyTaskQueue) : undefined;
    if (pollers) for (const release of [...pollers]) release();
    return {};
  }

  // ---------------------------------------------------------------------------------------------
  // Starting and changing workflows from outside

  /**
   * StartWorkflowExecution. With `requestEagerExecution` (a client sharing its connection with a
   * worker that reserved a slot), a newly started run's first workflow task is started at once
   * and returned in `eagerWorkflowTask`, as the real server does; when it cannot be (the run
   * already existed, a start delay, a repeated request id) the start is an ordinary one and the
   * task goes to the task queue.
   */
  startWorkflowExecution(req: wsv.IStartWorkflowExecutionRequest): wsv.IStartWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    const { exec, started, eagerWorkflowTask } = this.transact((txn) => {
      const outcome = startWorkflow(this, ns, req, txn);
      const eager = req.requestEagerExecution === true && outcome.started && outcome.exec.wft?.phase === 'scheduled' && outcome.exec.nextEventId === 3;
      return { ...outcome, eagerWorkflowTask: eager ? startWorkflowTask(this, outcome.exec, req.identity ?? '', txn) : undefined };
    });
    if (!eagerWorkflowTask) return { runId: exec.runId, started, status: exec.status };
    // The task's history is the run's first events, sent as event objects inside this response.
    const { [PRE_ENCODED_HISTORY]: _encoded, ...task } = eagerWorkflowTask;
    const events = exec.log.encoded.slice(0, num(task.startedEventId)).map((bytes) => history.HistoryEvent.decode(bytes));
    return { runId: exec.runId, started, status: exec.status, eagerWorkflowTask: { ...task, history: { events } } };
  }

  signalWithStartWorkflowExecution(
    req: wsv.ISignalWithStartWorkflowExecutionRequest,
  ): wsv.ISignalWithStartWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
    const requestId = req.requestId || this.newId();
    const running = req.workflowId ? currentRun(this, ns, req.workflowId) : undefined;
    const terminatesRunning =
      req.workflowIdConflictPolicy === enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
      req.workflowIdReusePolicy === enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
    const { exec, started } = this.transact((txn) => {
      // A signal for the running run is a change to it like any signal (history-limits.ts).
      const exceeded = running && !terminatesRunning ? enforceHistoryLimits(this, running, txn) : undefined;
      if (exceeded) throw invalidArgument(exceeded);
      return startWorkflow(this, ns, { ...req, requestId }, txn, {
        name: req.signalName ?? '',
        input: req.signalInput ?? null,
        header: req.header ?? null,
        requestId,
      });
    });
    return { runId: exec.runId, started };
  }

  signalWorkflowExecution(req: wsv.ISignalWorkflowExecutionRequest): wsv.ISignalWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
    const exec = this.openRunFor(ns, req.workflowExecution);
    this.transactOn(exec, (txn) =>
      signalRun(this, exec, req.signalName ?? '', req.input ?? null, req.header ?? null, req.identity ?? '', req.requestId ?? '', txn),
    );
    return {};
  }

  requestCancelWorkflowExecution(req: wsv.IRequestCancelWorkflowExecutionRequest): wsv.IRequestCancelWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    const exec = this.openRunFor(ns, req.workflowExecution);
    this.transactOn(exec, (txn) => requestCancelRun(this, exec, req.reason ?? '', req.identity ?? '', txn));
    return {};
  }

  terminateWorkflowExecution(req: wsv.ITerminateWorkflowExecutionRequest): wsv.ITerminateWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    const exec = this.openRunFor(ns, req.workflowExecution);
    if (req.firstExecutionRunId && req.firstExecutionRunId !== exec.firstExecutionRunId) {
      throw notFound(`Workflow execution not found for first run id ${req.firstExecutionRunId}.`);
    }
    this.transact((txn) => terminateRun(this, exec, req.reason ?? '', req.details ?? null, req.identity ?? '', txn));
    return {};
  }

  /** The pending activities an activity operator request names, in an open run. */
  private operatedActivities(req: {
    namespace?: string | null;
    execution?: common.IWorkflowExecution | null;
    id?: string | null;
    type?: string | null;
    matchAll?: boolean | null;
    unpauseAll?: boolean | null;
  }): { exec: ExecutionState; acts: ActivityState[] } {
    const ns = requireNamespace(this, req.namespace);
    if (!req.execution?.workflowId) throw invalidArgument('Execution is not set on request.');
    const exec = this.openRunFor(ns, req.execution);
    return { exec, acts: selectActivities(exec, { id: req.id, type: req.type, all: req.matchAll ?? req.unpauseAll }) };
  }

  /** PauseActivity: see `activity-operations.ts`. */
  pauseActivity(req: wsv.IPauseActivityRequest): wsv.IPauseActivityResponse {
    const { exec, acts } = this.operatedActivities(req);
    this.transact((txn) => {
      for (const act of acts) pauseActivity(this, exec, act, req.identity ?? '', req.reason ?? '', txn);
    });
    return {};
  }

  /** UnpauseActivity: see `activity-operations.ts`. */
  unpauseActivity(req: wsv.IUnpauseActivityRequest): wsv.IUnpauseActivityResponse {
    const { exec, acts } = this.operatedActivities(req);
    const options = { resetAttempts: req.resetAttempts === true, resetHeartbeat: req.resetHeartbeat === true, jitterMs: durationMs(req.jitter) };
    this.transact((txn) => {
      for (const act of acts) unpauseActivity(this, exec, act, options, txn);
    });
    return {};
  }

  /** ResetActivity: see `activity-operations.ts`. */
  resetActivity(req: wsv.IResetActivityRequest): wsv.IResetActivityResponse {
    const { exec, acts } = this.operatedActivities(req);
    const options = {
      resetHeartbeat: req.resetHeartbeat === true,
      keepPaused: req.keepPaused === true,
      jitterMs: durationMs(req.jitter),
      restoreOriginalOptions: req.restoreOriginalOptions === true,
    };
    this.transact((txn) => {
      for (const act of acts) resetActivity(this, exec, act, options, txn);
    });
    return {};
  }

  /** UpdateActivityOptions: see `activity-operations.ts`; answers the options now in force. */
  updateActivityOptions(req: wsv.IUpdateActivityOptionsRequest): wsv.IUpdateActivityOptionsResponse {
    const { exec, acts } = this.operatedActivities(req);
    const paths = req.updateMask?.paths ?? [];
    if (!req.restoreOriginal && paths.length === 0) throw invalidArgument('Update mask is not set on request.');
    this.transact((txn) => {
      for (const act of acts) updateActivityOptions(this, exec, act, req.activityOptions, paths, req.restoreOriginal === true, txn);
    });
    return { activityOptions: activityOptionsProto(acts[0]) };
  }

  /** ResetWorkflowExecution: a new run from a workflow task of the given (or current) run; see `reset.ts`. */
  resetWorkflowExecution(req: wsv.IResetWorkflowExecutionRequest): wsv.IResetWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    const base = this.runFor(ns, req.workflowExecution);
    return { runId: this.transact((txn) => resetWorkflow(this, ns, base, req, txn)) };
  }

  // ---------------------------------------------------------------------------------------------
  // Workflow tasks

  /** PollWorkflowTaskQueue: a task, or an empty response when the long poll expires. */
  pollWorkflowTaskQueue(req: wsv.IPollWorkflowTaskQueueRequest, call: CallContext): Promise<PollWorkflowTaskResponse> {
    const ns = requireNamespace(this, req.namespace);
    const queue = req.taskQueue?.name;
    if (!queue) throw invalidArgument('TaskQueue is not set on request.');
    const identity = req.identity ?? '';
    if (req.taskQueue?.kind === enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY) return this.holdStickyPoll(queue, call);
    const version = workerVersion(req.deploymentOptions);
    if (version) this.deployments.workerPolled(ns, version, queue, enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    return this.longPoll<WorkflowTaskRef, PollWorkflowTaskResponse>(
      this.workflowMatching,
      ns.name,
      queue,
      identity,
      call,
      (ref) => this.startWorkflowTaskRef(ref, identity),
      () => ({}),
      (ref) => this.workflowTaskFor(version, ref),
    );
  }

  /** Whether a worker of `version` (undefined: unversioned) may take a workflow task or direct query (see deployments/routing.ts). */
  private workflowTaskFor(version: VersionRef | undefined, ref: WorkflowTaskRef): boolean {
    const runId = ref.kind === 'query' ? this.queries.get(ref.queryId)?.runId : ref.runId;
    const exec = runId === undefined ? undefined : this.executions.get(runId);
    const ns = exec ? this.namespaces.get(exec.namespace) : undefined;
    // A stale entry is taken, to be dropped.
    if (!exec || !ns) return true;
    return sameVersion(workflowTaskVersion(ns, exec), version);
  }

  /** Whether a worker of `version` may take an activity task. */
  private activityTaskFor(version: VersionRef | undefined, ref: ActivityTaskRef): boolean {
    const exec = this.executions.get(ref.runId);
    const ns = exec ? this.namespaces.get(exec.namespace) : undefined;
    const act = exec ? activityForRef(exec, ref) : undefined;
    if (!exec || !ns || !act) return true;
    return sameVersion(activityTaskVersion(ns, exec, act.taskQueue), version);
  }

  /** Sticky queues are declined: their polls just wait, so every task goes to the normal queue. */
  private holdStickyPoll(queue: string, call: CallContext): Promise<PollWorkflowTaskResponse> {
    return new Promise((resolve) => {
      let pollers = this.stickyPollers.get(queue);
      if (!pollers) {
        pollers = new Set();
        this.stickyPollers.set(queue, pollers);
      }
      const set = pollers;
      const release = (): void => {
        clearTimeout(timer);
        set.delete(release);
        if (set.size === 0) this.stickyPollers.delete(queue);
        resolve({});
      };
      const timer = setTimeout(release, this.pollWaitMs(call));
      set.add(release);
      call.onCancel(release);
    });
  }

  private pollWaitMs(call: CallContext): number {
    const untilDeadline = call.deadlineMs - Date.now() - 1000;
    return Math.max(0, Math.min(this.longPollMs, untilDeadline));
  }

  /** Waits for a task from `matching`, starting it with `start`; `empty` when the poll expires. */
  private longPoll<Ref, Res>(
    matching: Matching<Ref>,
    namespace: string,
    queue: string,
    identity: string,
    call: CallContext,
    start: (ref: Ref) => Res | undefined,
    empty: () => Res,
    accepts?: (ref: Ref) => boolean,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const finish = (result: Res): void => {
        poller.active = false;
        if (timer) clearTimeout(timer);
        resolve(result);
      };
      const poller: Poller<Ref> = {
        active: true,
        accepts,
        offer: (ref) => {
          let result: Res | undefined;
          try {
            result = start(ref);
          } catch (err) {
            poller.active = false;
            if (timer) clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
            return true;
          }
          if (result === undefined) return false;
          finish(result);
          return true;
        },
      };
      if (matching.poll(namespace, queue, poller, this.clock.now(), identity)) return;
      timer = setTimeout(() => {
        finish(empty());
        matching.prune(namespace, queue);
      }, this.pollWaitMs(call));
      call.onCancel(() => {
        if (!poller.active) return;
        finish(empty());
        matching.prune(namespace, queue);
      });
    });
  }

  /** Starts the task a matching entry names, or undefined if the entry is stale. */
  private startWorkflowTaskRef(ref: WorkflowTaskRef, identity: string): PollWorkflowTaskResponse | undefined {
    if (ref.kind === 'query') {
      const q = this.queries.get(ref.queryId);
      const exec = q ? this.executions.get(q.runId) : undefined;
      if (!q || !exec || q.phase !== 'direct') return undefined;
      q.phase = 'dispatched';
      return queryTaskResponse(this, exec, q.id, q.query);
    }
    const exec = this.executions.get(ref.runId);
    const wft = exec?.wft;
    if (!exec || !isRunning(exec) || !wft || wft.phase !== 'scheduled' || wft.scheduleSeq !== ref.scheduleSeq) return undefined;
    return this.transact((txn) => (enforceHistoryLimits(this, exec, txn) ? undefined : startWorkflowTask(this, exec, identity, txn)));
  }

  /**
   * Decodes a worker's task token. A token of another server (the real server's format) answers
   * as the real server answers one it did not issue: NOT_FOUND, with the namespace-not-found
   * detail when its namespace id is not one of ours.
   */
  private taskToken(bytes: Uint8Array | null | undefined): IssuedToken {
    const token = decodeToken(bytes);
    if (token.kind !== 'foreign') return token;
    const known = [...this.namespaces.values()].some((ns) => ns.id === token.namespaceId);
    if (!known) throw namespaceNotFound(token.namespaceId);
    throw notFound('Workflow execution not found: the task token was issued by another server.');
  }

  private startedWorkflowTask(taskToken: Uint8Array | null | undefined): { ns: NamespaceState; exec: ExecutionState } {
    const token = this.taskToken(taskToken);
    if (token.kind !== 'workflow') throw invalidArgument('Task token is not a workflow task token.');
    const ns = requireNamespace(this, token.namespace);
    const exec = this.executions.get(token.runId);
    if (!exec || !isRunning(exec)) throw notFound('Workflow execution already completed.');
    if (exec.wft?.phase !== 'started' || exec.wft.startSeq !== token.startSeq) throw notFound('Workflow task not found.');
    return { ns, exec };
  }

  respondWorkflowTaskCompleted(req: wsv.IRespondWorkflowTaskCompletedRequest): wsv.IRespondWorkflowTaskCompletedResponse {
    const { ns, exec } = this.startedWorkflowTask(req.taskToken);
    const { error, activityTasks, resetHistoryEventId } = this.transactOn(exec, (txn) => completeWorkflowTask(this, ns, exec, req, txn));
    if (error) throw error;
    return resetHistoryEventId === undefined ? { activityTasks } : { activityTasks, resetHistoryEventId: i64(resetHistoryEventId) };
  }

  respondWorkflowTaskFailed(req: wsv.IRespondWorkflowTaskFailedRequest): wsv.IRespondWorkflowTaskFailedResponse {
    const { exec } = this.startedWorkflowTask(req.taskToken);
    this.transactOn(exec, (txn) =>
      failWorkflowTask(
        this,
        exec,
        req.cause ?? enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
        req.failure,
        req.identity ?? '',
        req.binaryChecksum ?? '',
        txn,
      ),
    );
    return {};
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /** QueryWorkflow: consistent (with the next workflow task) when one is pending, direct otherwise. */
  async queryWorkflow(req: wsv.IQueryWorkflowRequest, call: CallContext): Promise<wsv.IQueryWorkflowResponse> {
    const ns = requireNamespace(this, req.namespace);
    const exec = this.runFor(ns, req.execution);
    if (!req.query?.queryType) throw invalidArgument('QueryType is not set on request.');
    const condition = req.queryRejectCondition ?? enums.QueryRejectCondition.QUERY_REJECT_CONDITION_NONE;
    const closed = !isRunning(exec);
    if (
      (condition === enums.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN && closed) ||
      (condition === enums.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
        closed &&
        exec.status !== enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return { queryRejected: { status: exec.status } };
    }
    const id = this.newId();
    const outcome = await new Promise<QueryOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (this.queries.remove(id)) {
          resolve({ ok: false, message: 'query timed out: no worker answered', failure: null });
        }
      }, Math.max(0, Math.min(this.queryTimeoutMs, call.deadlineMs - Date.now())));
      const phase = isRunning(exec) && exec.wft ? 'buffered' : 'direct';
      this.queries.add({
        id,
        namespace: ns.name,
        runId: exec.runId,
        query: req.query ?? {},
        phase,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      });
      if (phase === 'direct') this.workflowMatching.add(ns.name, exec.taskQueue, { kind: 'query', queryId: id });
      call.onCancel(() => {
        clearTimeout(timer);
        this.queries.remove(id);
      });
    });
    if (outcome.ok) return { queryResult: outcome.answer ?? { payloads: [] } };
    if (outcome.message.startsWith('query timed out')) throw new ServiceError(status.DEADLINE_EXCEEDED, outcome.message);
    throw queryFailed(outcome.message, outcome.failure);
  }

  respondQueryTaskCompleted(req: wsv.IRespondQueryTaskCompletedRequest): wsv.IRespondQueryTaskCompletedResponse {
    const token = this.taskToken(req.taskToken);
    if (token.kind !== 'query') throw invalidArgument('Task token is not a query task token.');
    if (!this.queries.get(token.queryId)) throw notFound('Query not found: the caller gave up or it was already answered.');
    if (req.completedType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) {
      this.queries.settle(token.queryId, { ok: true, answer: req.queryResult });
    } else {
      this.queries.settle(token.queryId, { ok: false, message: req.errorMessage || 'query failed', failure: req.failure });
    }
    return {};
  }

  // ---------------------------------------------------------------------------------------------
  // Updates

  /** UpdateWorkflowExecution: admits (or finds) the update and waits for the requested stage. */
  async updateWorkflowExecution(req: wsv.IUpdateWorkflowExecutionRequest, call: CallContext): Promise<wsv.IUpdateWorkflowExecutionResponse> {
    const ns = requireNamespace(this, req.namespace);
    const exec = this.runFor(ns, req.workflowExecution);
    const { update } = this.transactOn(exec, (txn) => {
      const admission = admitUpdate(this, exec, req, txn);
      if (admission.needsWorkflowTask) scheduleWorkflowTask(this, exec, txn, { speculative: true });
      return admission;
    });
    const waitStage = req.waitPolicy?.lifecycleStage ?? enums.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
    const status = await this.waitForUpdate(exec, update.updateId, waitStage, call);
    return {
      updateRef: { workflowExecution: { workflowId: exec.workflowId, runId: exec.runId }, updateId: update.updateId },
      outcome: status.outcome,
      stage: status.stage,
    };
  }

  /**
   * ExecuteMultiOperation, in its one supported shape (update-with-start): start the workflow
   * (or use the running one, per its conflict policy), then admit the update on that run, in one
   * transaction; a new run's first workflow task carries the update.
   */
  async executeMultiOperation(req: wsv.IExecuteMultiOperationRequest, call: CallContext): Promise<wsv.IExecuteMultiOperationResponse> {
    const ns = requireNamespace(this, req.namespace);
    const [first, second, ...rest] = req.operations ?? [];
    const start = first?.startWorkflow;
    const update = second?.updateWorkflow;
    if (!start || !update || rest.length > 0) {
      throw invalidArgument('Operations have to be exactly [StartWorkflow, UpdateWorkflow].');
    }
    if (update.workflowExecution?.workflowId !== start.workflowId) {
      throw invalidArgument('WorkflowId is not consistent with previous operation(s).');
    }
    if (update.workflowExecution?.runId || update.firstExecutionRunId) {
      throw invalidArgument('RunId and FirstExecutionRunId must be empty for an update with start.');
    }
    validateUpdateRequest(update.request);
    const requestId = start.requestId || this.newId();
    const { exec, started, admitted } = this.transact((txn) => {
      const outcome = startWorkflow(this, ns, { ...start, requestId }, txn);
      const admission = admitUpdate(this, outcome.exec, update, txn);
      if (admission.needsWorkflowTask) scheduleWorkflowTask(this, outcome.exec, txn, { speculative: true });
      return { ...outcome, admitted: admission.update };
    });
    const waitStage = update.waitPolicy?.lifecycleStage ?? enums.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
    const status = await this.waitForUpdate(exec, admitted.updateId, waitStage, call);
    return {
      responses: [
        { startWorkflow: { runId: exec.runId, started, status: exec.status } },
        {
          updateWorkflow: {
            updateRef: { workflowExecution: { workflowId: exec.workflowId, runId: exec.runId }, updateId: admitted.updateId },
            outcome: status.outcome,
            stage: status.stage,
          },
        },
      ],
    };
  }

  /** PollWorkflowExecutionUpdate: waits for (or returns) the outcome of an update by id. */
  async pollWorkflowExecutionUpdate(
    req: wsv.IPollWorkflowExecutionUpdateRequest,
    call: CallContext,
  ): Promise<wsv.IPollWorkflowExecutionUpdateResponse> {
    const ns = requireNamespace(this, req.namespace);
    const updateId = req.updateRef?.updateId ?? '';
    if (!updateId) throw invalidArgument('UpdateRef.UpdateId is not set on request.');
    const exec = this.runFor(ns, req.updateRef?.workflowExecution);
    if (!findUpdate(exec, updateId)) throw notFound(`update "${updateId}" not found`);
    const waitStage = req.waitPolicy?.lifecycleStage ?? enums.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
    const status = await this.waitForUpdate(exec, updateId, waitStage, call);
    return {
      outcome: status.outcome,
      stage: status.stage,
      updateRef: { workflowExecution: { workflowId: exec.workflowId, runId: exec.runId }, updateId },
    };
  }

  /**
   * Waits until the update reaches `waitStage` (answered at commit by `updateWaiters`). When the
   * long poll runs out, answers the stage reached so far; the SDK client then asks again.
   */
  private waitForUpdate(
    exec: ExecutionState,
    updateId: string,
    waitStage: enums.UpdateWorkflowExecutionLifecycleStage,
    call: CallContext,
  ): Promise<UpdateStatus> {
    const now = updateStatus(exec, updateId, waitStage);
    if (now instanceof ServiceError) return Promise.reject(now);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter = {
        runId: exec.runId,
        updateId,
        waitStage,
        settle: (result: UpdateStatus | ServiceError) => {
          clearTimeout(timer);
          if (result instanceof ServiceError) reject(result);
          else resolve(result);
        },
      };
      const giveUp = (): void => {
        clearTimeout(timer);
        this.updateWaiters.remove(waiter);
        resolve(reachedStatus(exec, updateId));
      };
      const timer = setTimeout(giveUp, Math.min(this.updateLongPollMs, this.pollWaitMs(call)));
      this.updateWaiters.add(waiter);
      call.onCancel(giveUp);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Activities

  pollActivityTaskQueue(req: wsv.IPollActivityTaskQueueRequest, call: CallContext): Promise<wsv.IPollActivityTaskQueueResponse> {
    const ns = requireNamespace(this, req.namespace);
    const queue = req.taskQueue?.name;
    if (!queue) throw invalidArgument('TaskQueue is not set on request.');
    const identity = req.identity ?? '';
    const version = workerVersion(req.deploymentOptions);
    if (version) this.deployments.workerPolled(ns, version, queue, enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    return this.longPoll<ActivityTaskRef, wsv.IPollActivityTaskQueueResponse>(
      this.activityMatching,
      ns.name,
      queue,
      identity,
      call,
      (ref) => {
        const exec = this.executions.get(ref.runId);
        const act = exec ? activityForRef(exec, ref) : undefined;
        if (!exec || !act) return undefined;
        return this.transact((txn) => (enforceHistoryLimits(this, exec, txn) ? undefined : startActivity(this, exec, act, identity, txn)));
      },
      () => ({}),
      (ref) => this.activityTaskFor(version, ref),
    );
  }

  private startedActivity(taskToken: Uint8Array | null | undefined) {
    const token = this.taskToken(taskToken);
    if (token.kind !== 'activity') throw invalidArgument('Task token is not an activity task token.');
    requireNamespace(this, token.namespace);
    const exec = this.executions.get(token.runId);
    const act = activityForToken(exec, token.scheduledEventId, token.attempt);
    return { exec: exec as ExecutionState, act };
  }

  private activityByIdRequest(req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null }) {
    const ns = requireNamespace(this, req.namespace);
    if (!req.activityId) throw invalidArgument('ActivityId is not set on request.');
    const exec = this.runFor(ns, { workflowId: req.workflowId, runId: req.runId });
    return { exec, act: activityById(exec, req.activityId) };
  }

  respondActivityTaskCompleted(req: wsv.IRespondActivityTaskCompletedRequest): wsv.IRespondActivityTaskCompletedResponse {
    const { exec, act } = this.startedActivity(req.taskToken);
    this.transactOn(exec, (txn) => completeActivity(this, exec, act, req.result, req.identity ?? '', txn));
    return {};
  }

  respondActivityTaskCompletedById(req: wsv.IRespondActivityTaskCompletedByIdRequest): wsv.IRespondActivityTaskCompletedByIdResponse {
    const { exec, act } = this.activityByIdRequest(req);
    this.transactOn(exec, (txn) => completeActivity(this, exec, act, req.result, req.identity ?? '', txn));
    return {};
  }

  respondActivityTaskFailed(req: wsv.IRespondActivityTaskFailedRequest): wsv.IRespondActivityTaskFailedResponse {
    const { exec, act } = this.startedActivity(req.taskToken);
    this.transactOn(exec, (txn) => failActivity(this, exec, act, req.failure, req.lastHeartbeatDetails, req.identity ?? '', txn));
    return {};
  }

  respondActivityTaskFailedById(req: wsv.IRespondActivityTaskFailedByIdRequest): wsv.IRespondActivityTaskFailedByIdResponse {
    const { exec, act } = this.activityByIdRequest(req);
    this.transactOn(exec, (txn) => failActivity(this, exec, act, req.failure, req.lastHeartbeatDetails, req.identity ?? '', txn));
    return {};
  }

  respondActivityTaskCanceled(req: wsv.IRespondActivityTaskCanceledRequest): wsv.IRespondActivityTaskCanceledResponse {
    const { exec, act } = this.startedActivity(req.taskToken);
    this.transactOn(exec, (txn) => canceledActivity(this, exec, act, req.details, req.identity ?? '', txn));
    return {};
  }

  respondActivityTaskCanceledById(req: wsv.IRespondActivityTaskCanceledByIdRequest): wsv.IRespondActivityTaskCanceledByIdResponse {
    const { exec, act } = this.activityByIdRequest(req);
    this.transactOn(exec, (txn) => canceledActivity(this, exec, act, req.details, req.identity ?? '', txn));
    return {};
  }

  recordActivityTaskHeartbeat(req: wsv.IRecordActivityTaskHeartbeatRequest): wsv.IRecordActivityTaskHeartbeatResponse {
    const { exec, act } = this.startedActivity(req.taskToken);
    return this.transactOn(exec, (txn) => heartbeatActivity(this, exec, act, req.details, txn));
  }

  recordActivityTaskHeartbeatById(req: wsv.IRecordActivityTaskHeartbeatByIdRequest): wsv.IRecordActivityTaskHeartbeatByIdResponse {
    const { exec, act } = this.activityByIdRequest(req);
    return this.transactOn(exec, (txn) => heartbeatActivity(this, exec, act, req.details, txn));
  }

  // ---------------------------------------------------------------------------------------------
  // Reading workflows

  describeWorkflowExecution(req: wsv.IDescribeWorkflowExecutionRequest): wsv.IDescribeWorkflowExecutionResponse {
    const ns = requireNamespace(this, req.namespace);
    return describeExecution(ns, this.runFor(ns, req.execution));
  }

  listWorkflowExecutions(req: wsv.IListWorkflowExecutionsRequest): wsv.IListWorkflowExecutionsResponse {
    const ns = requireNamespace(this, req.namespace);
    return listExecutions(this, ns, req.query ?? '', req.pageSize ?? 0, req.nextPageToken);
  }

  countWorkflowExecutions(req: wsv.ICountWorkflowExecutionsRequest): wsv.ICountWorkflowExecutionsResponse {
    const ns = requireNamespace(this, req.namespace);
    return countExecutions(this, ns, req.query ?? '');
  }

  /**
   * GetWorkflowExecutionHistory: pages of events (all of them unless `maximumPageSize`), or just
   * the close event; with `waitNewEvent` the call is held until there is something new.
   */
  async getWorkflowExecutionHistory(
    req: wsv.IGetWorkflowExecutionHistoryRequest,
    call: CallContext,
  ): Promise<WithPreEncodedHistory<wsv.IGetWorkflowExecutionHistoryResponse>> {
    const ns = requireNamespace(this, req.namespace);
    const token = this.decodeHistoryToken(req.nextPageToken);
    const exec = token
      ? this.runFor(ns, { workflowId: req.execution?.workflowId, runId: token.runId })
      : this.runFor(ns, req.execution);
    const closeOnly = req.historyEventFilterType === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

    if (closeOnly) {
      if (isRunning(exec) && req.waitNewEvent) {
        await this.waitForHistory(exec, call, () => !isRunning(exec));
      }
      const last = exec.log.encoded.length - 1;
      if (!isRunning(exec) && last >= 0 && CLOSE_EVENT_TYPES.has(exec.log.lastEventType)) {
        return withHistory({ nextPageToken: Buffer.alloc(0), archived: false }, HISTORY_RESPONSE_FIELD, [
          { events: exec.log.encoded, start: last, end: last + 1 },
        ]);
      }
      // Still open after the long poll: an empty page with a token to poll again.
      return { history: { events: [] }, nextPageToken: this.encodeHistoryToken({ runId: exec.runId, nextEventId: 1 }) };
    }

    const from = token?.nextEventId ?? 1;
    if (req.waitNewEvent && isRunning(exec) && from >= exec.nextEventId) {
      await this.waitForHistory(exec, call, () => exec.nextEventId > from || !isRunning(exec));
    }
    const total = exec.log.encoded.length;
    const pageSize = (req.maximumPageSize ?? 0) > 0 ? (req.maximumPageSize as number) : Number.MAX_SAFE_INTEGER;
    const start = Math.min(from - 1, total);
    const end = Math.min(total, start + pageSize);
    const more = end < total || (req.waitNewEvent === true && isRunning(exec));
    return withHistory(
      {
        nextPageToken: more ? this.encodeHistoryToken({ runId: exec.runId, nextEventId: end + 1 }) : Buffer.alloc(0),
        archived: false,
      },
      HISTORY_RESPONSE_FIELD,
      [{ events: exec.log.encoded, start, end }],
    );
  }

  /** GetWorkflowExecutionHistoryReverse: newest events first, page by page. */
  getWorkflowExecutionHistoryReverse(
    req: wsv.IGetWorkflowExecutionHistoryReverseRequest,
  ): WithPreEncodedHistory<wsv.IGetWorkflowExecutionHistoryReverseResponse> {
    const ns = requireNamespace(this, req.namespace);
    const token = decodeReverseToken(req.nextPageToken);
    const exec = token
      ? this.runFor(ns, { workflowId: req.execution?.workflowId, runId: token.runId })
      : this.runFor(ns, req.execution);
    return reverseHistoryPage(exec, token, req.maximumPageSize ?? 0);
  }

  private waitForHistory(exec: ExecutionState, call: CallContext, ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      let waiters = this.historyWaiters.get(exec.runId);
      if (!waiters) {
        waiters = new Set();
        this.historyWaiters.set(exec.runId, waiters);
      }
      const set = waiters;
      const done = (): void => {
        clearTimeout(timer);
        set.delete(check);
        resolve();
      };
      const check = (): boolean => {
        if (!ready()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(done, this.pollWaitMs(call));
      set.add(check);
      call.onCancel(done);
    });
  }

  private encodeHistoryToken(token: HistoryPageToken): Buffer {
    return Buffer.from(JSON.stringify([token.runId, token.nextEventId]));
  }

  private decodeHistoryToken(bytes: Uint8Array | null | undefined): HistoryPageToken | undefined {
    if (!bytes || bytes.length === 0) return undefined;
    try {
      const [runId, nextEventId] = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown[];
      if (typeof runId === 'string' && typeof nextEventId === 'number') return { runId, nextEventId };
    } catch {
      // fall through
    }
    throw invalidArgument('Invalid NextPageToken.');
  }

  /** The number of live deadlines and runs, for diagnostics and tests. */
  stats(): { executions: number; deadlines: number } {
    return { executions: this.executions.size, deadlines: this.scheduler.size };
  }
}
