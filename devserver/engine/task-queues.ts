import { status } from '@grpc/grpc-js';
import type { EngineContext } from './context';
import { invalidArgument, ServiceError } from './errors';
import { duration, enums, i64, taskqueue, timestamp, wsv } from './proto';
import type { NamespaceState } from './types';
import { isRunning } from './workflow-tasks';

const TaskQueueType = enums.TaskQueueType;

/** How long a poller stays listed after its last poll, as on the real server (matching's poller history). */
export const POLLER_HISTORY_TTL_MS = 5 * 60_000;
/** The rate limit the real server reports for an unlimited queue. */
const DEFAULT_RATE_PER_SECOND = 100_000;

/** Tasks waiting in a queue: how many, and since when the oldest waits (0 when none). */
function backlog(ctx: EngineContext, ns: NamespaceState, queue: string, type: enums.TaskQueueType): { count: number; oldestMs: number } {
  let count = 0;
  let oldestMs = 0;
  const add = (sinceMs: number): void => {
    count++;
    if (oldestMs === 0 || sinceMs < oldestMs) oldestMs = sinceMs;
  };
  for (const exec of ctx.executions.values()) {
    if (exec.namespace !== ns.name || !isRunning(exec)) continue;
    if (type === TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) {
      if (exec.taskQueue === queue && exec.wft?.phase === 'scheduled') add(exec.wft.scheduledTimeMs);
    } else if (type === TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY) {
      for (const act of Object.values(exec.activities)) {
        if (act.taskQueue === queue && act.phase === 'scheduled') add(act.currentAttemptScheduledTimeMs);
      }
    }
  }
  return { count, oldestMs };
}

/**
 * DescribeTaskQueue in the classic mode the Web UI uses: the workers that polled the queue for
 * the given task type in the last 5 minutes (identity and last access time), plus, if asked,
 * the backlog. Sticky queues are never used, so they have no pollers; the versioning ("enhanced")
 * mode is not supported.
 */
export function describeTaskQueue(
  ctx: EngineContext,
  ns: NamespaceState,
  req: wsv.IDescribeTaskQueueRequest,
): wsv.IDescribeTaskQueueResponse {
  const name = req.taskQueue?.name;
  if (!name) throw invalidArgument('TaskQueue is not set on request.');
  if (req.apiMode === enums.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED) {
    throw new ServiceError(status.UNIMPLEMENTED, 'DescribeTaskQueue in ENHANCED mode (worker versioning) is not implemented by the cellops dev server');
  }
  const type = req.taskQueueType || TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW;
  const sticky = req.taskQueue?.kind === enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
  const now = ctx.clock.now();
  const matching =
    type === TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
      ? ctx.workflowMatching
      : type === TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
        ? ctx.activityMatching
        : undefined;
  const pollers: taskqueue.IPollerInfo[] =
    matching && !sticky
      ? matching.pollersSince(ns.name, name, now - POLLER_HISTORY_TTL_MS).map((p) => ({
          identity: p.identity,
          lastAccessTime: timestamp(p.lastAccessTimeMs),
          ratePerSecond: DEFAULT_RATE_PER_SECOND,
        }))
      : [];
  const response: wsv.IDescribeTaskQueueResponse = { pollers };
  if (req.reportStats || req.includeTaskQueueStatus) {
    const waiting = sticky ? { count: 0, oldestMs: 0 } : backlog(ctx, ns, name, type);
    if (req.reportStats) {
      response.stats = {
        approximateBacklogCount: i64(waiting.count),
        approximateBacklogAge: duration(waiting.oldestMs > 0 ? now - waiting.oldestMs : 0),
        tasksAddRate: 0,
        tasksDispatchRate: 0,
      };
    }
    if (req.includeTaskQueueStatus) {
      response.taskQueueStatus = { backlogCountHint: i64(waiting.count), ratePerSecond: DEFAULT_RATE_PER_SECOND };
    }
  }
  return response;
}
