import { deriveActivityTimeouts, requestCancelActivity, scheduleActivity, startActivity, type ActivityTimeouts } from './activities';
import { initiateChild, prepareChildStart, startInitiatedChild, type PreparedChild } from './children';
import { deadlineKey, type EngineContext, type Txn } from './context';
import { continueAsNew, prepareContinueAsNew, type PreparedContinueAsNew } from './continue-as-new';
import { initiateExternal, prepareCancelExternal, prepareSignalExternal, resolveExternal, type PreparedExternal } from './external';
import { invalidArgument, type ServiceError } from './errors';
import { appendEvent, flushBuffered, makeEvent } from './history';
import { closeRun, terminateRun } from './close';
import { oversizedCommand, oversizedMessage } from './command-limits';
import { PendingCounter } from './pending-limits';
import { mergeMemo, newRunSearchAttributeKeysOverLimit, PropertySizes, searchAttributeKeysOverLimit } from './property-limits';
import { HISTORY_SERVICE_IDENTITY } from './history-limits';
import { command, common, durationMs, enumName, enums, i64, wsv } from './proto';
import { mergeSearchAttributes } from './search-attributes';
import { cancelTimer, startTimer } from './timers';
import { settleTaskQueries } from './queries';
import { addResetPoint, deploymentAttributes, trackBuildIds } from './reset-points';
import { recordRunVersioning } from '../deployments/routing';
import type { ActivityState, ExecutionState, NamespaceState } from './types';
import {
  abortSentUpdates,
  applyUpdateMessage,
  hasUndeliveredUpdates,
  isDiscardable,
  planUpdateMessages,
  rejectUnprocessedUpdates,
  UpdateMessageRejected,
  type MessagePlan,
} from './updates';
import { failWorkflowTask, materializeTransientTask, scheduleWorkflowTask } from './workflow-tasks';
import { retryRun } from './workflow-retry';

const CommandType = enums.CommandType;
const EventType = enums.EventType;
const Cause = enums.WorkflowTaskFailedCause;
const Status = enums.WorkflowExecutionStatus;

/** Commands that close the run; at most one, and it must be last. */
const CLOSING_COMMANDS: ReadonlySet<number> = new Set([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

/**
 * Commands the engine does not handle yet (Nexus), with the task-failure cause a real server
 * uses for a bad command of that kind. Handling one means adding a validator and an applier below.
 */
const NOT_YET_SUPPORTED: ReadonlyMap<number, enums.WorkflowTaskFailedCause> = new Map([
  [CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES],
  [
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES,
  ],
]);

/** Per-command data computed while validating, used when applying. */
interface Prepared {
  activityTimeouts: Map<number, ActivityTimeouts>;
  searchAttributes: Map<number, Record<string, common.IPayload>>;
  /** The update protocol messages, validated with the commands that place them. */
  messages: MessagePlan;
  /** Child starts and external signals/cancels, by command index; they take effect after all commands. */
  children: Map<number, PreparedChild>;
  external: Map<number, PreparedExternal>;
  /** The new run of a ContinueAsNewWorkflowExecution command (at most one: it closes the run). */
  continueAsNew?: PreparedContinueAsNew;
}

class CommandRejected extends Error {
  constructor(
    readonly failedCause: enums.WorkflowTaskFailedCause,
    message: string,
  ) {
    super(message);
  }
}

/** A command or update message over the blob size limit: the task fails and the run is terminated. */
class PayloadOverLimit extends CommandRejected {}

/**
 * Checks every command against the run's state before anything is applied, so a bad command
 * leaves no partial effects; ids introduced earlier in the same completion count.
 */
function validateCommands(
  ctx: EngineContext,
  ns: NamespaceState,
  exec: ExecutionState,
  commands: command.ICommand[],
): Prepared {
  const prepared: Prepared = {
    activityTimeouts: new Map(),
    searchAttributes: new Map(),
    messages: { byId: new Map(), remaining: [], onlyRejections: true },
    children: new Map(),
    external: new Map(),
  };
  const activityIds = new Set(Object.values(exec.activities).map((a) => a.activityId));
  const cancelableActivities = new Set(Object.keys(exec.activities).map(Number));
  const timers = new Set(Object.keys(exec.timers));
  let searchAttributes = exec.searchAttributes;
  const reject = (cause: enums.WorkflowTaskFailedCause, message: string): never => {
    throw new CommandRejected(cause, message);
  };

  const validateOne = (cmd: command.ICommand, index: number): void => {
    const type = cmd.commandType ?? CommandType.COMMAND_TYPE_UNSPECIFIED;
    switch (type) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const a = cmd.scheduleActivityTaskCommandAttributes;
        const bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES;
        if (!a) return reject(bad, 'ScheduleActivityTaskCommandAttributes is not set on command.');
        if (!a.activityId) return reject(bad, 'ActivityId is not set on command.');
        if (!a.activityType?.name) return reject(bad, 'ActivityType is not set on command.');
        if (activityIds.has(a.activityId)) {
          return reject(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            `Activity with id ${a.activityId} is already pending.`,
          );
        }
        const timeouts = deriveActivityTimeouts(
          {
            scheduleToCloseMs: durationMs(a.scheduleToCloseTimeout),
            scheduleToStartMs: durationMs(a.scheduleToStartTimeout),
            startToCloseMs: durationMs(a.startToCloseTimeout),
            heartbeatMs: durationMs(a.heartbeatTimeout),
          },
          exec.runTimeoutMs,
        );
        if (typeof timeouts === 'string') return reject(bad, timeouts);
        activityIds.add(a.activityId);
        prepared.activityTimeouts.set(index, timeouts);
        return;
      }
      case CommandType.COMMAND_TYPE_START_TIMER: {
        const a = cmd.startTimerCommandAttributes;
        const bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES;
        if (!a?.timerId) return reject(bad, 'TimerId is not set on command.');
        if (durationMs(a.startToFireTimeout) <= 0) return reject(bad, 'A valid StartToFireTimeout is not set on command.');
        if (timers.has(a.timerId)) {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `Timer with id ${a.timerId} is already started.`);
        }
        timers.add(a.timerId);
        return;
      }
      case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
        const timerId = cmd.cancelTimerCommandAttributes?.timerId;
        if (!timerId || !timers.has(timerId)) {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `Timer ${timerId ?? ''} is not pending.`);
        }
        timers.delete(timerId);
        return;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const id = Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
        if (!cancelableActivities.has(id)) {
          return reject(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
            `No pending activity was scheduled by event ${id}.`,
          );
        }
        return;
      }
      case CommandType.COMMAND_TYPE_RECORD_MARKER:
        if (!cmd.recordMarkerCommandAttributes?.markerName) {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, 'MarkerName is not set on command.');
        }
        return;
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const tooMany = searchAttributeKeysOverLimit(ctx.limits, cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes);
        if (tooMany) {
          const bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES;
          return reject(bad, `${enumName(Cause, bad)}: ${tooMany}`);
        }
        try {
          searchAttributes = mergeSearchAttributes(
            ns,
            searchAttributes,
            cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes,
          );
        } catch (err) {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, (err as Error).message);
        }
        prepared.searchAttributes.set(index, searchAttributes);
        return;
      }
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
        if (!cmd.modifyWorkflowPropertiesCommandAttributes) {
          return reject(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
            'ModifyWorkflowPropertiesCommandAttributes is not set on command.',
          );
        }
        return;
      case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
        if (!cmd.protocolMessageCommandAttributes?.messageId) {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, 'MessageID is not set on command.');
        }
        return;
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const tooMany = newRunSearchAttributeKeysOverLimit(ctx.limits, exec, cmd);
        if (tooMany) return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, tooMany);
        const child = prepareChildStart(ctx, exec, cmd.startChildWorkflowExecutionCommandAttributes);
        if (typeof child === 'string') return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, child);
        prepared.children.set(index, child);
        return;
      }
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
        const signal = prepareSignalExternal(exec, cmd.signalExternalWorkflowExecutionCommandAttributes);
        if (typeof signal === 'string') return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, signal);
        prepared.external.set(index, signal);
        return;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
        const cancel = prepareCancelExternal(exec, cmd.requestCancelExternalWorkflowExecutionCommandAttributes);
        if (typeof cancel === 'string') {
          return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES, cancel);
        }
        prepared.external.set(index, cancel);
        return;
      }
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const tooMany = newRunSearchAttributeKeysOverLimit(ctx.limits, exec, cmd);
        if (tooMany) return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, tooMany);
        const next = prepareContinueAsNew(ctx, ns, exec, cmd.continueAsNewWorkflowExecutionCommandAttributes);
        if (typeof next === 'string') return reject(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, next);
        prepared.continueAsNew = next;
        return;
      }
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        return;
      default: {
        const name = enumName(CommandType, type);
        return reject(
          NOT_YET_SUPPORTED.get(type) ?? Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
          `${name} is not supported by the cellops dev server yet.`,
        );
      }
    }
  };
  const pending = new PendingCounter(ctx, exec);
  const propertySizes = new PropertySizes(ctx.limits, ctx.log, exec.memo);
  const admit = (cmd: command.ICommand): void => {
    const over = pending.admit(cmd);
    if (over) throw new CommandRejected(over.cause, over.message);
  };
  commands.forEach((cmd, index) => {
    validateOne(cmd, index);
    // As the real server: a command's attributes are validated before its payload is measured,
    // and its pending count checked before (signals, cancel requests) or after (the rest) that.
    const countedFirst = PendingCounter.countedBeforePayload(cmd);
    if (countedFirst) admit(cmd);
    const oversized = oversizedCommand(ctx, exec, cmd);
    if (oversized) throw new PayloadOverLimit(oversized.cause, oversized.message);
    const overSize = propertySizes.overLimit(cmd, prepared.searchAttributes.get(index));
    if (overSize) throw new PayloadOverLimit(overSize.cause, overSize.message);
    if (!countedFirst) admit(cmd);
  });
  return prepared;
}

/**
 * A completion carrying a payload over the blob size limit, handled as the real server does: the
 * task fails, events buffered during it are written, and the run is terminated; nothing of the
 * completion is stored. A retried task (attempt > 1) is only refused, and times out.
 */
function terminateForOversized(
  ctx: EngineContext,
  exec: ExecutionState,
  rejected: PayloadOverLimit,
  identity: string,
  binaryChecksum: string,
  txn: Txn,
): CompletionOutcome {
  const message = `${enumName(Cause, rejected.failedCause)}: ${rejected.message}`;
  if ((exec.wft?.attempt ?? 1) > 1) return { error: invalidArgument(message), activityTasks: [] };
  abortSentUpdates(exec, ctx.updateWaiters);
  failWorkflowTask(ctx, exec, rejected.failedCause, serverFailure(message), identity, binaryChecksum, txn);
  terminateRun(ctx, exec, message, null, HISTORY_SERVICE_IDENTITY, txn);
  return { error: invalidArgument(message), activityTasks: [] };
}

/** Retry delay for a task the server rejected: the worker would repeat the same commands at once. */
function rejectionRetryDelayMs(attempt: number): number {
  return attempt < 2 ? 0 : Math.min(1000 * Math.pow(2, attempt - 2), 60_000);
}

function serverFailure(message: string): { message: string; source: string; serverFailureInfo: { nonRetryable: boolean } } {
  return { message, source: 'Server', serverFailureInfo: { nonRetryable: true } };
}

/** The outcome of a workflow task completion. */
export interface CompletionOutcome {
  /** Answered to the worker after the task failure it describes has been committed. */
  error?: ServiceError;
  /** Activities started eagerly, returned in the response (in command order, as core expects). */
  activityTasks: wsv.IPollActivityTaskQueueResponse[];
  /** Set when a speculative task was dropped: the worker rolls its history back to this event. */
  resetHistoryEventId?: number;
}

/** RespondWorkflowTaskCompleted on the run's started task. */
export function completeWorkflowTask(
  ctx: EngineContext,
  ns: NamespaceState,
  exec: ExecutionState,
  req: wsv.IRespondWorkflowTaskCompletedRequest,
  txn: Txn,
): CompletionOutcome {
  const wft = exec.wft;
  if (!wft || wft.phase !== 'started') throw new Error('completeWorkflowTask: no started workflow task');
  const commands = req.commands ?? [];
  const identity = req.identity ?? '';
  const binaryChecksum = req.binaryChecksum ?? '';

  const closingIndex = commands.findIndex((c) => CLOSING_COMMANDS.has(c.commandType ?? 0));
  if (closingIndex >= 0 && closingIndex !== commands.length - 1) {
    const name = enumName(CommandType, commands[closingIndex].commandType ?? 0);
    throw invalidArgument(`invalid command sequence: ${name} must be the last command.`);
  }

  let prepared: Prepared;
  try {
    prepared = validateCommands(ctx, ns, exec, commands);
    const oversized = oversizedMessage(ctx, exec, req.messages ?? []);
    if (oversized) throw new PayloadOverLimit(oversized.cause, oversized.message);
    const messageIds = commands.flatMap((c) => (c.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE ? [c.protocolMessageCommandAttributes?.messageId ?? ''] : []));
    prepared.messages = planUpdateMessages(exec, messageIds, req.messages ?? []);
  } catch (err) {
    if (err instanceof PayloadOverLimit) return terminateForOversized(ctx, exec, err, identity, binaryChecksum, txn);
    if (!(err instanceof CommandRejected || err instanceof UpdateMessageRejected)) throw err;
    abortSentUpdates(exec, ctx.updateWaiters);
    failWorkflowTask(ctx, exec, err.failedCause, serverFailure(err.message), identity, binaryChecksum, txn, rejectionRetryDelayMs(wft.attempt));
    return { error: invalidArgument(err.message), activityTasks: [] };
  }

  // New events arrived while the workflow decided to close: it must see them first.
  if (closingIndex >= 0 && exec.buffered.length > 0) {
    abortSentUpdates(exec, ctx.updateWaiters);
    failWorkflowTask(
      ctx,
      exec,
      Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
      serverFailure('UnhandledCommand'),
      identity,
      binaryChecksum,
      txn,
    );
    return { error: invalidArgument('UnhandledCommand'), activityTasks: [] };
  }

  // A speculative task that only rejected updates leaves no trace; the worker rolls back its history.
  if (isDiscardable(exec, req, prepared.messages)) {
    ctx.scheduler.delete(deadlineKey.workflowTaskTimeout(exec.runId));
    exec.wft = null;
    for (const msg of prepared.messages.remaining) applyUpdateMessage(ctx, exec, msg, ctx.updateWaiters, txn);
    rejectUnprocessedUpdates(exec, false, ctx.updateWaiters);
    settleTaskQueries(ctx.queries, wft.attachedQueryIds, req.queryResults);
    if (hasUndeliveredUpdates(exec)) scheduleWorkflowTask(ctx, exec, txn, { speculative: true });
    txn.touched.add(exec);
    return { activityTasks: [], resetHistoryEventId: exec.lastCompletedWftStartedEventId };
  }

  materializeTransientTask(ctx, exec, txn);
  const completedId = appendEvent(
    ctx,
    exec,
    makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: i64(wft.scheduledEventId),
        startedEventId: i64(wft.startedEventId),
        identity,
        binaryChecksum,
        workerVersion: req.workerVersionStamp ?? null,
        ...deploymentAttributes(req),
        sdkMetadata: req.sdkMetadata ?? null,
        meteringMetadata: req.meteringMetadata ?? null,
      },
    }),
    txn,
  );
  addResetPoint(ctx, exec, binaryChecksum, req.deploymentOptions?.buildId || req.workerVersionStamp?.buildId || '', completedId);
  trackBuildIds(exec, req);
  recordRunVersioning(exec, req);
  ctx.scheduler.delete(deadlineKey.workflowTaskTimeout(exec.runId));
  exec.lastCompletedWftStartedEventId = wft.startedEventId;
  exec.wftAttempt = 1;
  exec.wft = null;

  let needsWorkflowTask = req.forceCreateNewWorkflowTask === true;
  const eager: ActivityState[] = [];
  commands.forEach((cmd, index) => {
    needsWorkflowTask = applyCommand(ctx, exec, cmd, index, prepared, completedId, identity, eager, txn) || needsWorkflowTask;
  });

  // Messages no PROTOCOL_MESSAGE command placed come after the commands' events.
  for (const msg of prepared.messages.remaining) applyUpdateMessage(ctx, exec, msg, ctx.updateWaiters, txn);
  rejectUnprocessedUpdates(exec, req.forceCreateNewWorkflowTask === true, ctx.updateWaiters);
  settleTaskQueries(ctx.queries, wft.attachedQueryIds, req.queryResults);

  const activityTasks: wsv.IPollActivityTaskQueueResponse[] = [];
  if (exec.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING) {
    needsWorkflowTask = flushBuffered(ctx, exec, txn) || needsWorkflowTask;
    if (needsWorkflowTask) scheduleWorkflowTask(ctx, exec, txn);
    else if (hasUndeliveredUpdates(exec)) scheduleWorkflowTask(ctx, exec, txn, { speculative: true });
    // Children start and external requests are delivered after the task's own events, as the
    // real server's transfer tasks do.
    commands.forEach((_cmd, index) => {
      const child = prepared.children.get(index);
      if (child) startInitiatedChild(ctx, exec, child, txn);
      const external = prepared.external.get(index);
      if (external) resolveExternal(ctx, exec, external, txn);
    });
    for (const act of eager) {
      if (exec.activities[act.scheduledEventId] === act && act.phase === 'scheduled') {
        activityTasks.push(startActivity(ctx, exec, act, identity, txn));
      }
    }
  }
  txn.touched.add(exec);
  return { activityTasks };
}

/**
 * Applies one validated command, writing its event(s) after WorkflowTaskCompleted. Returns true
 * when the command's outcome needs a new workflow task.
 */
function applyCommand(
  ctx: EngineContext,
  exec: ExecutionState,
  cmd: command.ICommand,
  index: number,
  prepared: Prepared,
  completedId: number,
  identity: string,
  eager: ActivityState[],
  txn: Txn,
): boolean {
  const wftCompleted = i64(completedId);
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
      const attrs = cmd.scheduleActivityTaskCommandAttributes ?? {};
      // The worker asks for eager execution only for its own task queue, with a slot reserved.
      const wantsEager = attrs.requestEagerExecution === true && (attrs.taskQueue?.name || exec.taskQueue) === exec.taskQueue;
      const timeouts = prepared.activityTimeouts.get(index) as ActivityTimeouts;
      const act = scheduleActivity(ctx, exec, attrs, timeouts, completedId, wantsEager, txn, cmd.userMetadata);
      if (wantsEager) eager.push(act);
      return false;
    }
    case CommandType.COMMAND_TYPE_START_TIMER: {
      const a = cmd.startTimerCommandAttributes ?? {};
      startTimer(ctx, exec, a.timerId ?? '', durationMs(a.startToFireTimeout), completedId, txn, cmd.userMetadata);
      return false;
    }
    case CommandType.COMMAND_TYPE_CANCEL_TIMER:
      cancelTimer(ctx, exec, cmd.cancelTimerCommandAttributes?.timerId ?? '', completedId, identity, txn);
      return false;
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
      const act = exec.activities[Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0)];
      return act ? requestCancelActivity(ctx, exec, act, completedId, identity, txn) : false;
    }
    case CommandType.COMMAND_TYPE_RECORD_MARKER: {
      const a = cmd.recordMarkerCommandAttributes ?? {};
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_MARKER_RECORDED, {
          markerRecordedEventAttributes: {
            markerName: a.markerName,
            details: a.details,
            header: a.header,
            failure: a.failure,
            workflowTaskCompletedEventId: wftCompleted,
          },
        }),
        txn,
      );
      return false;
    }
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      exec.searchAttributes = prepared.searchAttributes.get(index) ?? exec.searchAttributes;
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          upsertWorkflowSearchAttributesEventAttributes: {
            searchAttributes: cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes,
            workflowTaskCompletedEventId: wftCompleted,
          },
        }),
        txn,
      );
      return false;
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
      const upserted = cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo ?? null;
      exec.memo = mergeMemo(exec.memo, upserted);
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
          workflowPropertiesModifiedEventAttributes: { upsertedMemo: upserted, workflowTaskCompletedEventId: wftCompleted },
        }),
        txn,
      );
      return false;
    }
    case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE: {
      const msg = prepared.messages.byId.get(cmd.protocolMessageCommandAttributes?.messageId ?? '');
      if (msg) applyUpdateMessage(ctx, exec, msg, ctx.updateWaiters, txn);
      return false;
    }
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      initiateChild(
        ctx,
        exec,
        cmd.startChildWorkflowExecutionCommandAttributes ?? {},
        prepared.children.get(index) as PreparedChild,
        completedId,
        txn,
        cmd.userMetadata,
      );
      return false;
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      initiateExternal(ctx, exec, prepared.external.get(index) as PreparedExternal, completedId, txn);
      return false;
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
      const ns = ctx.namespaces.get(exec.namespace);
      if (ns && prepared.continueAsNew) {
        continueAsNew(ctx, ns, exec, cmd.continueAsNewWorkflowExecutionCommandAttributes ?? {}, prepared.continueAsNew, completedId, txn);
      }
      return false;
    }
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
          workflowExecutionCompletedEventAttributes: {
            result: cmd.completeWorkflowExecutionCommandAttributes?.result,
            workflowTaskCompletedEventId: wftCompleted,
          },
        }),
        txn,
      );
      closeRun(ctx, exec, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, txn);
      return false;
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
      // A retryable failure under the run's retry policy starts the next attempt as a new run.
      const failure = cmd.failWorkflowExecutionCommandAttributes?.failure;
      const { retryState, newExecutionRunId } = retryRun(ctx, exec, failure, txn);
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
          workflowExecutionFailedEventAttributes: { failure, retryState, workflowTaskCompletedEventId: wftCompleted, newExecutionRunId },
        }),
        txn,
      );
      closeRun(ctx, exec, Status.WORKFLOW_EXECUTION_STATUS_FAILED, txn);
      return false;
    }
    case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      appendEvent(
        ctx,
        exec,
        makeEvent(ctx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
          workflowExecutionCanceledEventAttributes: {
            details: cmd.cancelWorkflowExecutionCommandAttributes?.details,
            workflowTaskCompletedEventId: wftCompleted,
          },
        }),
        txn,
      );
      closeRun(ctx, exec, Status.WORKFLOW_EXECUTION_STATUS_CANCELED, txn);
      return false;
    default:
      // validateCommands rejected every other type.
      throw new Error(`unexpected command ${enumName(CommandType, cmd.commandType ?? 0)}`);
  }
}
