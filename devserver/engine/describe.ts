import { activityOptionsProto, pauseInfo } from './activity-operations';
import { pendingChildren } from './children';
import { duration, enums, history, timestamp, workflow, wsv } from './proto';
import type { ActivityState, ExecutionState, NamespaceState } from './types';
import { executionInfo } from './visibility';

const PendingActivityState = enums.PendingActivityState;

function pendingActivity(act: ActivityState): workflow.IPendingActivityInfo {
  const state = act.cancelRequested
    ? PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    : act.paused
      ? act.phase === 'started'
        ? PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED
        : PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED
      : act.phase === 'started'
      ? PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
      : PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;
  return {
    activityId: act.activityId,
    activityType: { name: act.activityType },
    state,
    heartbeatDetails: act.heartbeatDetails,
    lastHeartbeatTime: act.lastHeartbeatTimeMs > 0 ? timestamp(act.lastHeartbeatTimeMs) : null,
    lastStartedTime: act.startedTimeMs > 0 ? timestamp(act.startedTimeMs) : null,
    attempt: act.attempt,
    maximumAttempts: act.retry.maximumAttempts,
    scheduledTime: timestamp(act.currentAttemptScheduledTimeMs),
    expirationTime: act.scheduleToCloseMs > 0 ? timestamp(act.scheduledTimeMs + act.scheduleToCloseMs) : null,
    lastFailure: act.lastFailure,
    lastWorkerIdentity: act.startedIdentity,
    currentRetryInterval: act.currentRetryIntervalMs > 0 ? duration(act.currentRetryIntervalMs) : null,
    lastAttemptCompleteTime: act.lastAttemptCompleteTimeMs > 0 ? timestamp(act.lastAttemptCompleteTimeMs) : null,
    nextAttemptScheduleTime:
      act.phase === 'backoff' && !act.paused ? timestamp(act.lastAttemptCompleteTimeMs + act.currentRetryIntervalMs) : null,
    ...pauseInfo(act),
    activityOptions: activityOptionsProto(act),
  };
}

/** DescribeWorkflowExecution: configuration, execution info, pending activities and workflow task. */
export function describeExecution(ns: NamespaceState, exec: ExecutionState): wsv.IDescribeWorkflowExecutionResponse {
  const wft = exec.wft;
  return {
    executionConfig: {
      taskQueue: { name: exec.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      workflowExecutionTimeout: duration(exec.executionTimeoutMs),
      workflowRunTimeout: duration(exec.runTimeoutMs),
      defaultWorkflowTaskTimeout: duration(exec.workflowTaskTimeoutMs),
      // The start's summary and details, as WorkflowExecutionStarted keeps them.
      userMetadata: exec.log.encoded[0] ? history.HistoryEvent.decode(exec.log.encoded[0]).userMetadata : null,
    },
    workflowExecutionInfo: executionInfo(ns, exec),
    pendingActivities: Object.values(exec.activities).map(pendingActivity),
    pendingChildren: pendingChildren(exec),
    workflowExtendedInfo: {
      cancelRequested: exec.cancelRequested,
      originalStartTime: timestamp(exec.startTimeMs),
      resetRunId: exec.resetRunId ?? '',
      lastResetTime: exec.lastResetTimeMs ? timestamp(exec.lastResetTimeMs) : null,
    },
    pendingWorkflowTask: wft
      ? {
          state:
            wft.phase === 'started'
              ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
              : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
          scheduledTime: timestamp(wft.scheduledTimeMs),
          originalScheduledTime: timestamp(wft.originalScheduledTimeMs),
          startedTime: wft.phase === 'started' ? timestamp(wft.startedTimeMs) : null,
          attempt: wft.attempt,
        }
      : null,
  };
}

