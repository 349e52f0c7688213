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
  | 'capacityWatch'
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
  /** Distinct approvers (other than the requester under four-eyes) needed to open the gate; default 1. */
  minApprovers?: number;
  /** Approvals counted so far for this gate, in the order they came. */
  approvedBy?: { approver: string; at: string; via: DecisionChannel }[];
}

/** How an operator's decision reached the procedure: the `approve` update or the `approval` signal. */
export type DecisionChannel = 'update' | 'signal';

/** Every decision an operator sent, whether it counted or not (a signal cannot be refused to its sender). */
export interface DecisionRecord {
  step: string;
  approved: boolean;
  approver: string;
  reason: string;
  via: DecisionChannel;
  /** Workflow time the decision arrived. */
  at: string;
  /** `accepted` counted; `rejected` did not apply (see `rejection`); `late` came after the gate had been decided. */
  outcome: 'accepted' | 'rejected' | 'late';
  rejection?: string;
}

/** One reading of the cell's traffic, taken when a drain or restore step set or checked a weight. */
export interface TrafficSample {
  at: string;
  /** The cell whose weight this is: the procedure's own cell, or another it moves traffic to (a replacement). */
  cellId?: string;
  /** The Route 53 weight set for the cell (or read, before the first change). */
  weight: number;
  /** The share of the group's requests the cell was observed to take, when it was measured. */
  observedSharePercent?: number;
  /** The share the weight should give, when the share was measured. */
  expectedSharePercent?: number;
  /**
   * Set when the group served too few requests for a share to mean anything (a quiet cell: night,
   * a new region, a canary): the step relied on the Route 53 change being in sync alone.
   */
  unmeasured?: { groupRequests: number; minGroupRequestsPerMinute: number };
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
  /** Decisions received, accepted or not, in arrival order. */
  decisions?: DecisionRecord[];
  /** The cell's weight (and observed share) over time, for `cellops watch` and the console's chart. */
  traffic?: TrafficSample[];
}
