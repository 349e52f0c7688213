import type { api, common, failure } from '../engine/proto';

/** A start the schedule owes: from its spec, a trigger or a backfill; waits in the buffer while others run. */
export interface PendingStart {
  nominalMs: number;
  actualMs: number;
  /** The overlap policy of this start (UNSPECIFIED: the schedule's). */
  overlapPolicy: number;
  /** Triggers and backfills: taken even when paused or out of limited actions. */
  manual: boolean;
}

/** An action the schedule took, for Describe's recent actions. */
export interface ActionResult {
  scheduleMs: number;
  actualMs: number;
  workflowId: string;
  runId: string;
  status: number;
}

/**
 * One schedule, plain data kept in its namespace (so `--db-filename` persists it with the
 * namespace, in the same record as the runs it starts).
 */
export interface ScheduleState {
  id: string;
  /** Spec normalized (calendars and cron strings compiled). */
  spec: api.schedule.v1.IScheduleSpec;
  /** The workflow to start, as the client gave it. */
  action: api.workflow.v1.INewWorkflowExecutionInfo;
  /** Overlap policy defaulted to SKIP. */
  overlapPolicy: number;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  keepOriginalWorkflowId: boolean;
  paused: boolean;
  notes: string;
  limitedActions: boolean;
  remainingActions: number;
  memo: common.IMemo | null;
  searchAttributes: Record<string, common.IPayload>;
  createTimeMs: number;
  updateTimeMs: number;
  conflictToken: number;
  /** The nominal time up to which the spec has been processed; the next action is after it. */
  lastNominalMs: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  buffer: PendingStart[];
  /** Workflows started by the schedule still running: workflow id and first run id (a run may continue as new). */
  running: { workflowId: string; runId: string }[];
  /** The last actions, oldest first (at most 10). */
  recent: ActionResult[];
  /** The last completed run's result and the last failure since, handed to the next run. */
  lastCompletionResult: common.IPayloads | null;
  lastFailure: failure.IFailure | null;
  /** Workflows asked to cancel for a CANCEL_OTHER start. */
  cancelRequested: string[];
}
