import { deadlineKey, type EngineContext, type Txn } from './context';
import { withHistory, type WithPreEncodedHistory } from './encoded';
import { appendEvent, appendEvents, flushBuffered, makeEvent } from './history';
import { duration, enums, failure, history, i64, query, timestamp, wsv } from './proto';
import { encodeToken } from './tokens';
import type { ExecutionState, PendingEvent, WorkflowTaskState } from './types';
import { requeueSentUpdates, takeUpdateRequestMessages } from './updates';

const EventType = enums.EventType;
const RUNNING = enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

/** Field number of `history` in PollWorkflowTaskQueueResponse. */
const POLL_HISTORY_FIELD = 8;
/** After this many attempts the real server lengthens the task timeout as a backoff. */
const RETRY_BACKOFF_MIN_ATTEMPTS = 3;
const RETRY_BACKOFF_INITIAL_MS = 5_000;
const RETRY_BACKOFF_MAX_MS = 10 * 60_000;

export type PollWorkflowTaskResponse = WithPreEncodedHistory<wsv.IPollWorkflowTaskQueueResponse>;

/** Whether the run is still open. */
export function isRunning(exec: ExecutionState): boolean {
  return exec.status === RUNNING;
}

/** Task timeout for an attempt: the configured one, plus a growing backoff after attempt 3. */
function taskTimeoutFor(baseMs: number, attempt: number): number {
  if (attempt <= RETRY_BACKOFF_MIN_ATTEMPTS) return baseMs;
  const backoff = RETRY_BACKOFF_INITIAL_MS * Math.pow(2, attempt - RETRY_BACKOFF_MIN_ATTEMPTS - 1);
  return baseMs + Math.min(backoff, RETRY_BACKOFF_MAX_MS);
}

function normalTaskQueue(exec: ExecutionState) {
  return { name: exec.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
}

/**
 * Schedules the run's workflow task unless one is pending. Buffered events are flushed first; if
 * there were any, the attempt count restarts at 1. A task of attempt > 1 is transient: no
 * WorkflowTaskScheduled event is written until it succeeds. A speculative task (for updates
 * only) is an attempt-1 task written the same way, only if it is kept.
 */
export function scheduleWorkflowTask(ctx: EngineContext, exec: ExecutionState, txn: Txn, options: { speculative?: boolean } = {}): void {
  if (exec.wft || !isRunning(exec)) return;
  ctx.scheduler.delete(deadlineKey.workflowTaskRetry(exec.runId));
  const flushed = flushBuffered(ctx, exec, txn);
  if (flushed) exec.wftAttempt = 1;
  const now = ctx.clock.now();
  const attempt = exec.wftAttempt;
  const timeoutMs = taskTimeoutFor(exec.workflowTaskTimeoutMs, attempt);
  const speculative = options.speculative === true && !flushed && attempt === 1;
  const transient = attempt > 1 || speculative;
  const scheduledEventId = transient
    ? exec.nextEventId
    : appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
          workflowTaskScheduledEventAttributes: {
            taskQueue: normalTaskQueue(exec),
            startToCloseTimeout: duration(timeoutMs),
            attempt,
          },
        }),
        txn,
      );
  const wft: WorkflowTaskState = {
    phase: 'scheduled',
    scheduleSeq: ++exec.wftSeq,
    startSeq: 0,
    attempt,
    transient,
    scheduledEventId,
    startedEventId: 0,
    scheduledTimeMs: now,
    originalScheduledTimeMs: now,
    startedTimeMs: 0,
    timeoutMs,
    requestId: '',
    identity: '',
    attachedQueryIds: [],
    speculative,
  };
  exec.wft = wft;
  txn.touched.add(exec);
  txn.workflowTasks.push({
    namespace: exec.namespace,
    taskQueue: exec.taskQueue,
    ref: { kind: 'workflow', runId: exec.runId, scheduleSeq: wft.scheduleSeq },
  });
}

/**
 * Records events the workflow must see (signals, activity results, fired timers, ...): held
 * back while a workflow task is started, appended otherwise, and a workflow task is scheduled.
 */
export function deliverEvents(ctx: EngineContext, exec: ExecutionState, pending: PendingEvent[], txn: Txn): void {
  if (exec.wft?.phase === 'started') {
    exec.buffered.push(...pending);
    txn.touched.add(exec);
    return;
  }
  appendEvents(ctx, exec, pending, txn);
  scheduleWorkflowTask(ctx, exec, txn);
}

function scheduledEvent(ctx: EngineContext, exec: ExecutionState, wft: WorkflowTaskState): PendingEvent {
  const pending = makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
    workflowTaskScheduledEventAttributes: {
      taskQueue: normalTaskQueue(exec),
      startToCloseTimeout: duration(wft.timeoutMs),
      attempt: wft.attempt,
    },
  });
  pending.event.eventTime = timestamp(wft.scheduledTimeMs);
  return pending;
}

function startedEvent(ctx: EngineContext, exec: ExecutionState, wft: WorkflowTaskState): PendingEvent {
  const pending = makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
    workflowTaskStartedEventAttributes: {
      scheduledEventId: i64(wft.scheduledEventId),
      identity: wft.identity,
      requestId: wft.requestId,
      historySizeBytes: i64(exec.log.sizeBytes),
      // Counted as the real server does: the events so far plus this one.
      suggestContinueAsNew:
        exec.nextEventId >= ctx.suggestContinueAsNew.historyCount || exec.log.sizeBytes >= ctx.suggestContinueAsNew.historySizeBytes,
    },
  });
  pending.event.eventTime = timestamp(wft.startedTimeMs);
  return pending;
}

/**
 * Starts the scheduled workflow task for a poller and builds its poll response: the full history
 * from event 1 (sticky queues are declined), plus the transient Scheduled/Started pair for a
 * retried task, plus any buffered queries in the `queries` map.
 */
export function startWorkflowTask(
  ctx: EngineContext,
  exec: ExecutionState,
  identity: string,
  txn: Txn,
): PollWorkflowTaskResponse {
  const wft = exec.wft;
  if (!wft || wft.phase !== 'scheduled') throw new Error('startWorkflowTask: no scheduled workflow task');
  const now = ctx.clock.now();
  // New events since a transient task was scheduled turn it back into a normal attempt-1 task.
  if (wft.transient && wft.scheduledEventId !== exec.nextEventId) {
    wft.transient = false;
    wft.speculative = false;
    wft.attempt = 1;
    exec.wftAttempt = 1;
    wft.timeoutMs = exec.workflowTaskTimeoutMs;
    wft.scheduledTimeMs = now;
    wft.scheduledEventId = appendEvent(ctx, exec, scheduledEvent(ctx, exec, wft), txn);
  }
  wft.phase = 'started';
  wft.startSeq = ++exec.wftSeq;
  wft.startedTimeMs = now;
  wft.requestId = ctx.newId();
  wft.identity = identity;

  let transientEvents: Uint8Array[] = [];
  if (wft.transient) {
    const scheduled = scheduledEvent(ctx, exec, wft).event;
    scheduled.eventId = i64(exec.nextEventId);
    scheduled.taskId = i64(ctx.nextTaskId());
    wft.startedEventId = exec.nextEventId + 1;
    const started = startedEvent(ctx, exec, wft).event;
    started.eventId = i64(wft.startedEventId);
    started.taskId = i64(ctx.nextTaskId());
    transientEvents = [history.HistoryEvent.encode(scheduled).finish(), history.HistoryEvent.encode(started).finish()];
  } else {
    wft.startedEventId = appendEvent(ctx, exec, startedEvent(ctx, exec, wft), txn);
  }
  ctx.scheduler.set(deadlineKey.workflowTaskTimeout(exec.runId), now + wft.timeoutMs, {
    kind: 'workflowTaskTimeout',
    runId: exec.runId,
    startSeq: wft.startSeq,
  });

  const queries: Record<string, query.IWorkflowQuery> = {};
  for (const q of ctx.queries.forRun(exec.runId, 'buffered')) {
    q.phase = 'attached';
    wft.attachedQueryIds.push(q.id);
    queries[q.id] = q.query;
  }
  txn.touched.add(exec);

  const response: wsv.IPollWorkflowTaskQueueResponse = {
    taskToken: encodeToken({ kind: 'workflow', namespace: exec.namespace, runId: exec.runId, startSeq: wft.startSeq }),
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: exec.workflowType },
    previousStartedEventId: i64(exec.lastCompletedWftStartedEventId),
    startedEventId: i64(wft.startedEventId),
    attempt: wft.attempt,
    backlogCountHint: i64(0),
    workflowExecutionTaskQueue: normalTaskQueue(exec),
    scheduledTime: timestamp(wft.scheduledTimeMs),
    startedTime: timestamp(wft.startedTimeMs),
    queries,
    messages: takeUpdateRequestMessages(exec, wft.startedEventId),
  };
  return withHistory(response, POLL_HISTORY_FIELD, [
    { events: exec.log.encoded, start: 0, end: exec.log.encoded.length },
    { events: transientEvents, start: 0, end: transientEvents.length },
  ]);
}

/** Queries delivered with a task that did not answer them wait for the next task. */
function requeueAttachedQueries(ctx: EngineContext, wft: WorkflowTaskState): void {
  for (const id of wft.attachedQueryIds) {
    const q = ctx.queries.get(id);
    if (q?.phase === 'attached') q.phase = 'buffered';
  }
}

/**
 * Ends the started workflow task without success: writes WorkflowTaskFailed (attempt 1 only;
 * later attempts are transient), counts the attempt and schedules the next one, after
 * `retryDelayMs` if given (used when the server itself rejected the task, which a worker would
 * otherwise repeat in a tight loop).
 */
export function failWorkflowTask(
  ctx: EngineContext,
  exec: ExecutionState,
  cause: enums.WorkflowTaskFailedCause,
  taskFailure: failure.IFailure | null | undefined,
  identity: string,
  binaryChecksum: string,
  txn: Txn,
  retryDelayMs = 0,
): void {
  const wft = exec.wft;
  if (!wft || wft.phase !== 'started') return;
  ctx.scheduler.delete(deadlineKey.workflowTaskTimeout(exec.runId));
  // A failing speculative task is kept, so the failure is visible in history.
  if (wft.speculative) materializeTransientTask(ctx, exec, txn);
  if (!wft.transient) {
    appendEvent(
      ctx,
      exec,
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: i64(wft.scheduledEventId),
          startedEventId: i64(wft.startedEventId),
          cause,
          failure: taskFailure ?? null,
          identity,
          binaryChecksum,
        },
      }),
      txn,
    );
  }
  endFailedTask(ctx, exec, wft, txn, retryDelayMs);
}

/** The started task ran past its start-to-close timeout. */
export function timeoutWorkflowTask(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  const wft = exec.wft;
  if (!wft || wft.phase !== 'started') return;
  if (wft.speculative) materializeTransientTask(ctx, exec, txn);
  if (!wft.transient) {
    appendEvent(
      ctx,
      exec,
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId: i64(wft.scheduledEventId),
          startedEventId: i64(wft.startedEventId),
          timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        },
      }),
      txn,
    );
  }
  endFailedTask(ctx, exec, wft, txn, 0);
}

function endFailedTask(
  ctx: EngineContext,
  exec: ExecutionState,
  wft: WorkflowTaskState,
  txn: Txn,
  retryDelayMs: number,
): void {
  exec.wft = null;
  exec.wftAttempt = wft.attempt + 1;
  requeueAttachedQueries(ctx, wft);
  requeueSentUpdates(exec);
  txn.touched.add(exec);
  if (retryDelayMs > 0 && exec.buffered.length === 0) {
    ctx.scheduler.set(deadlineKey.workflowTaskRetry(exec.runId), ctx.clock.now() + retryDelayMs, {
      kind: 'workflowTaskRetry',
      runId: exec.runId,
    });
    return;
  }
  scheduleWorkflowTask(ctx, exec, txn);
}

/**
 * Before a run is closed from outside (terminate, timeout): a started task is failed with
 * FORCE_CLOSE_COMMAND, a scheduled one dropped, and buffered events are flushed, as the real
 * server does.
 */
export function dropWorkflowTaskForClose(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  const wft = exec.wft;
  ctx.scheduler.delete(deadlineKey.workflowTaskTimeout(exec.runId));
  ctx.scheduler.delete(deadlineKey.workflowTaskRetry(exec.runId));
  if (wft?.phase === 'started' && !wft.transient) {
    appendEvent(
      ctx,
      exec,
      makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: i64(wft.scheduledEventId),
          startedEventId: i64(wft.startedEventId),
          cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
          identity: 'history-service',
        },
      }),
      txn,
    );
  }
  if (wft) requeueAttachedQueries(ctx, wft);
  exec.wft = null;
  flushBuffered(ctx, exec, txn);
}

/**
 * The poll response for a query-only (legacy) task: no history (the worker fetches it on a
 * cache miss) and `query` set, never together with `queries`.
 */
export function queryTaskResponse(
  ctx: EngineContext,
  exec: ExecutionState,
  queryId: string,
  workflowQuery: query.IWorkflowQuery,
): wsv.IPollWorkflowTaskQueueResponse {
  const now = timestamp(ctx.clock.now());
  return {
    taskToken: encodeToken({ kind: 'query', namespace: exec.namespace, queryId }),
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: exec.workflowType },
    previousStartedEventId: i64(exec.lastCompletedWftStartedEventId),
    startedEventId: i64(0),
    attempt: 1,
    history: {},
    query: workflowQuery,
    workflowExecutionTaskQueue: normalTaskQueue(exec),
    scheduledTime: now,
    startedTime: now,
  };
}

/** Writes the Scheduled/Started events of a transient task that is completing successfully. */
export function materializeTransientTask(ctx: EngineContext, exec: ExecutionState, txn: Txn): void {
  const wft = exec.wft;
  if (!wft?.transient) return;
  wft.scheduledEventId = appendEvent(ctx, exec, scheduledEvent(ctx, exec, wft), txn);
  wft.startedEventId = appendEvent(ctx, exec, startedEvent(ctx, exec, wft), txn);
  wft.transient = false;
  wft.speculative = false;
}
