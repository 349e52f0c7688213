/**
 * @module The real server's per-run limits on pending work, checked as a workflow task's commands
 * are taken one by one: a run may have at most `limit.numPendingActivities.error` pending
 * activities, `limit.numPendingChildExecutions.error` pending children,
 * `limit.numPendingSignals.error` pending signals to other workflows and
 * `limit.numPendingCancelRequests.error` pending requests to cancel them (2,000 each; 0 is no
 * limit). A command that would go past one fails the task (not the run) with the limit's cause;
 * the worker retries the task, which succeeds once enough of that work is done.
 */
import type { EngineContext } from './context';
import { command, enumName, enums } from './proto';
import type { ExecutionState } from './types';

const CommandType = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;

type PendingKind = 'activities' | 'children' | 'signals' | 'cancels';

/** Per kind: the command adding one, the task-failure cause, and the real server's wording. */
const KINDS: Record<PendingKind, { adds: enums.CommandType; cause: enums.WorkflowTaskFailedCause; description: string }> = {
  activities: {
    adds: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
    description: 'pending activities',
  },
  children: {
    adds: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
    description: 'pending child workflow executions',
  },
  signals: {
    adds: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED,
    description: 'pending signals to external workflows',
  },
  cancels: {
    adds: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
    description: 'pending requests to cancel external workflows',
  },
};

/** A command past a pending limit: the task-failure cause and the real server's message ("<cause>: <reason>"). */
export interface PendingOverLimit {
  cause: enums.WorkflowTaskFailedCause;
  message: string;
}

function kindOf(cmd: command.ICommand): PendingKind | undefined {
  return (Object.keys(KINDS) as PendingKind[]).find((kind) => KINDS[kind].adds === cmd.commandType);
}

/**
 * Counts a run's pending work through a completion's commands. External signals and cancel
 * requests are delivered within the completion that makes them, so none is pending before it.
 */
export class PendingCounter {
  private readonly counts: Record<PendingKind, number>;
  private readonly limits: Record<PendingKind, number>;
  private readonly cancelledActivities = new Set<number>();

  constructor(
    ctx: EngineContext,
    private readonly exec: ExecutionState,
  ) {
    this.counts = {
      activities: Object.keys(exec.activities).length,
      children: Object.keys(exec.children).length,
      signals: 0,
      cancels: 0,
    };
    this.limits = {
      activities: ctx.limits.numPendingActivitiesError,
      children: ctx.limits.numPendingChildExecutionsError,
      signals: ctx.limits.numPendingSignalsError,
      cancels: ctx.limits.numPendingCancelRequestsError,
    };
  }

  /** Whether the command's pending count is checked before its payload is measured (as the real server orders them). */
  static countedBeforePayload(cmd: command.ICommand): boolean {
    const kind = kindOf(cmd);
    return kind === 'signals' || kind === 'cancels';
  }

  /** Takes the command into the counts; the limit it would go past, if any. */
  admit(cmd: command.ICommand): PendingOverLimit | undefined {
    if (cmd.commandType === CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK) {
      // An activity not started yet is cancelled at once, and is no longer pending.
      const id = Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
      if (this.exec.activities[id]?.phase === 'scheduled' && !this.cancelledActivities.has(id)) {
        this.cancelledActivities.add(id);
        this.counts.activities -= 1;
      }
      return undefined;
    }
    const kind = kindOf(cmd);
    if (!kind) return undefined;
    const count = this.counts[kind];
    const limit = this.limits[kind];
    if (limit > 0 && count >= limit) {
      const { cause, description } = KINDS[kind];
      const reason = `the number of ${description}, ${count}, has reached the per-workflow limit of ${limit}`;
      return { cause, message: `${enumName(Cause, cause)}: ${reason}` };
    }
    this.counts[kind] = count + 1;
    return undefined;
  }
}
