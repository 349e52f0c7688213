/** Pieces every planner uses: approval gates from the policy, pacing of weight steps, the budget. */
import type { ApprovalStep, Cell, Registry } from '../../registry/schema';
import { fleetCapacity } from '../../registry/lookup';
import type { ApprovalPlan, PlannedStep, ProcedurePlan } from './types';

/** A drain step's first traffic reading waits for the policy's pause and a whole published minute (see workflows/lib/traffic.ts). */
export const MIN_READING_DELAY_SECONDS = 65;
/** Up to this many one-minute readings before a weight step counts as stuck. */
export const TRAFFIC_READINGS = 3;

/** The gate for `step` as the registry's approval policy sets it. */
export function approvalPlan(registry: Registry, step: ApprovalStep): ApprovalPlan {
  const policy = registry.policies.approvals;
  return {
    step,
    required: policy.required.includes(step),
    timeoutSeconds: policy.timeoutSeconds,
    reminderBeforeSeconds: policy.reminderBeforeSeconds,
    onTimeout: policy.onTimeout,
    fourEyes: policy.fourEyes,
    minApprovers: policy.minApprovers,
  };
}

/** The least time a gradual drain over `weights` takes: each step's pause and first reading. */
export function drainSeconds(registry: Registry, weights: number[]): number {
  return weights.length * Math.max(registry.policies.drain.pauseSeconds, MIN_READING_DELAY_SECONDS);
}

/** The least time a gradual restore over `weights` takes: each step's pause. */
export function restoreSeconds(registry: Registry, weights: number[]): number {
  return weights.length * registry.policies.restore.pauseSeconds;
}

/**
 * Fills in the approvals list, the time budget and the blast radius of a plan's steps; `cell` is
 * what the procedure takes out of service (a procedure of the fleet says how in `blastRadiusNote`).
 */
export function finishPlan(
  registry: Registry,
  cell: Pick<Cell, 'capacity'>,
  plan: Pick<ProcedurePlan, 'procedure' | 'cellId' | 'summary' | 'steps'>,
  notes: string[],
  blastRadiusNote?: string,
): ProcedurePlan {
  const approvals = plan.steps.map((s) => s.approval).filter((a): a is ApprovalPlan => a !== undefined);
  // Gates of steps that only run in some cases are listed, not counted in the budget.
  const required = plan.steps.filter((s) => !s.onlyIf && s.approval?.required).map((s) => s.approval as ApprovalPlan);
  return {
    ...plan,
    approvals,
    timeBudget: {
      minimumSeconds: plan.steps.reduce((sum, s: PlannedStep) => sum + (s.onlyIf ? 0 : s.minSeconds ?? 0), 0),
      approvalWaitUpToSeconds: required.reduce((sum, a) => sum + a.timeoutSeconds, 0),
      notes: [
        'AWS time comes on top: Route 53 propagation (usually under a minute per change), CloudFormation updates and creates.',
        `a weight step whose traffic lags gets up to ${TRAFFIC_READINGS} one-minute readings before the procedure stops`,
        ...notes,
      ],
    },
    blastRadius: {
      ...registry.policies.blastRadius,
      cellCapacityPercent: Math.round((cell.capacity / fleetCapacity(registry)) * 1000) / 10,
      ...(blastRadiusNote ? { note: blastRadiusNote } : {}),
    },
  };
}
