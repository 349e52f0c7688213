/** Payloads of the signals, queries and updates every procedure answers. */

export interface ApprovalDecision {
  /** The step the approver means; a decision for another step is rejected. */
  step: string;
  approved: boolean;
  approver: string;
  reason: string;
}

export interface ApprovalOutcome {
  /** Whether the decision was taken into account (false when it came too late or for another step). */
  accepted: boolean;
  step: string;
  approved: boolean;
  message: string;
}

export interface AbortRequest {
  requestedBy: string;
  reason: string;
}

export interface PauseRequest {
  requestedBy: string;
  reason: string;
}
