/**
 * What a procedure would do on a cell, worked out from the registry without starting it
 * (`cellops plan`): its steps in runbook order, the weights it would set, its approval gates
 * and a time budget.
 */
import type { ApprovalStep, Registry } from '../../registry/schema';
import type { ProcedureName } from '../progress';

/** One approval gate as the policy sets it. */
export interface ApprovalPlan {
  step: ApprovalStep;
  /** Whether the policy requires it (a gate not required is passed through). */
  required: boolean;
  timeoutSeconds: number;
  reminderBeforeSeconds: number;
  onTimeout: 'proceed' | 'abort';
  /** The requester may not approve. */
  fourEyes: boolean;
  /** Distinct approvers needed. */
  minApprovers: number;
}

export interface PlannedStep {
  /** The step's name as the running procedure reports it (progress, `Step` search attribute). */
  name: string;
  /** What it does, in a line. */
  does: string;
  /** The Route 53 weights it sets, in order. */
  weights?: number[];
  /** The least time it takes by policy (pauses, readings, watches), in seconds; AWS's own time comes on top. */
  minSeconds?: number;
  /** When the step only runs in some cases. */
  onlyIf?: string;
  approval?: ApprovalPlan;
}

export interface ProcedurePlan {
  procedure: ProcedureName;
  cellId: string;
  summary: string;
  steps: PlannedStep[];
  approvals: ApprovalPlan[];
  timeBudget: {
    /** The sum of the steps' `minSeconds`. */
    minimumSeconds: number;
    /** Added by the approval gates of steps that always run, when nobody answers until their timeout. */
    approvalWaitUpToSeconds: number;
    notes: string[];
  };
  /** The fleet guard's limits the procedure's drain permit is checked against. */
  blastRadius: {
    maxCellsOut: number;
    maxCapacityOutPercent: number;
    /** The share of the fleet's capacity the procedure takes out (for a procedure of the fleet: the most one of its steps can). */
    cellCapacityPercent: number;
    /** How a procedure of the fleet (not of one cell) meets the blast radius. */
    note?: string;
  };
}

/**
 * Plans one procedure on `cellId` of `registry`; throws `UnknownCellError` for a cell not in it.
 * A procedure of the fleet (catalog scope `fleet`) ignores `cellId` and plans under its subject.
 */
export type Planner = (registry: Registry, cellId: string) => ProcedurePlan;
