/**
 * What a running procedure reports about itself: the answer to the `progress` query, the
 * workflow's current details in the Web UI, and the skeleton of its final report.
 */

export type ProcedureName =
  | 'cellRestart'
  | 'cellReplacement'
  | 'cellProvisioning'
  | 'cellDecommissioning'
  | 'routerFailover'
  | 'pointInTimeRecovery'
  | 'cascadeRecovery'
  | 'waveDeployment';

export type StepStatus = 'running' | 'done' | 'failed' | 'skipped';

export interface StepRecord {
  /** Runbook step name, e.g. `drain-traffic`. */
  name: string;
  status: StepStatus;
  /** ISO-8601 times, from the workflow's deterministic clock. */
  startedAt: string;
  endedAt?: string;
  detail?: string;
}

export interface PendingApproval {
  step: string;
  requestedAt: string;
  /** When the policy's default action is taken if nobody answers. */
  deadline: string;
  onTimeout: 'proceed' | 'abort';
}

export type ProcedureState = 'running' | 'paused' | 'awaiting-approval' | 'aborting' | 'completed' | 'failed' | 'aborted';

export interface ProcedureProgress {
  procedure: ProcedureName;
  cellId: string;
  state: ProcedureState;
  currentStep?: string;
  steps: StepRecord[];
  pendingApproval?: PendingApproval;
  lastError?: string;
  requestedBy: string;
}
