/**
 * Cascade recovery: its input, the order the failed cells are recovered in, the load-shedding
 * schedule on the router's stack, and its report (one line per cell). Pure, so the workflow,
 * the CLI's `plan` and the tests share it.
 */
import type { Cell, Registry } from '../registry/schema';
import type { ProcedureName } from './progress';
import type { ProcedureReport } from './report';

/** The id the fleet goes by in progress, search attributes and reports while a cascade is recovered. */
export const FLEET_ID = 'fleet';

/**
 * The router stack's parameter that sheds load: the percent of requests the router turns away
 * (HTTP 503 with Retry-After) before they reach a cell. 0 is no shedding.
 */
export const LOAD_SHEDDING_PARAMETER = 'LoadSheddingPercent';
/** The router stack's parameter listing the cells whose circuit breakers are open (comma-separated; empty: all closed). */
export const CIRCUIT_BREAKERS_PARAMETER = 'OpenCircuitBreakers';

/** Percent of requests shed while the failed cells are recovered, unless the input says otherwise. */
export const DEFAULT_SHEDDING_PERCENT = 50;
/** The shedding comes off in steps of this many percent, the fleet checked stable before each. */
export const SHEDDING_LIFT_STEP_PERCENT = 25;
/** One-minute checks the fleet gets to be stable (every cell expected in service healthy) before the cascade stops waiting. */
export const DEFAULT_FLEET_STABILITY_CHECKS = 10;
/** Consecutive healthy checks that make the fleet stable. */
export const STABLE_CHECKS_NEEDED = 2;

/** Input of the `cascadeRecovery` workflow. */
export interface CascadeRecoveryInput {
  /** Why it was started: the alarms, or the operator's words. */
  reason: string;
  /** Who (or which alarm gateway) asked for it; four-eyes approvals compare against it. */
  requestedBy: string;
  /** The fleet, its router and its policies as loaded when the procedure was requested. */
  registry: Registry;
  /** Percent of requests to shed while recovering (1-100). Default {@link DEFAULT_SHEDDING_PERCENT}. */
  sheddingPercent?: number;
  /** Emergency cells to add (0 for none). Default 1. */
  emergencyCells?: number;
  /** One-minute checks the fleet gets to be stable after each cell and before shedding is lifted. Default {@link DEFAULT_FLEET_STABILITY_CHECKS}. */
  fleetStabilityChecks?: number;
}

/**
 * How one failed cell came out of the cascade. `held-back`: its procedure was not started (or
 * was refused its drain permit before touching anything) because the fleet guard's blast radius
 * is used up, typically by a cell an earlier failed recovery left drained. `already-in-recovery`:
 * not started because the cell's own recovery (same recovery id) was already running; it is left to it.
 */
export type CellRecoveryOutcome = 'recovered' | 'failed' | 'aborted' | 'manual' | 'held-back' | 'already-in-recovery' | 'not-started';

/** One line of the report: a failed cell, what was run on it and how it ended. */
export interface CascadeCellLine {
  cellId: string;
  priority: number;
  /** The alarms (or health problems) that made it a failed cell. */
  problems: string[];
  /** The procedure the decision matrix chose; absent when a person must act. */
  procedure?: ProcedureName;
  /** The child workflow's id (the cell's recovery id). */
  workflowId?: string;
  outcome: CellRecoveryOutcome;
  /** The child's own report outcome and cell end state, when it reported. */
  childOutcome?: string;
  cellEndState?: string;
  detail?: string;
}

/** The cascade report: the shared report with the fleet as its cell, plus a line per failed cell. */
export interface CascadeRecoveryReport extends ProcedureReport {
  cascade: {
    cells: CascadeCellLine[];
    emergencyCells: string[];
    /** Shedding left on the router when the procedure ended (0: none). */
    sheddingPercent: number;
    /** Cells whose circuit breakers were left open. */
    openCircuitBreakers: string[];
    fleetStable: boolean;
  };
}

/** The failed cells in recovery order: priority first (0 is the most important), then id. */
export function recoveryOrder<T>(items: readonly T[], cellOf: (item: T) => Pick<Cell, 'id' | 'priority'>): T[] {
  return [...items].sort((x, y) => {
    const a = cellOf(x);
    const b = cellOf(y);
    return a.priority - b.priority || a.id.localeCompare(b.id);
  });
}

/** The shedding percents written while lifting it, from `from` down to 0. */
export function sheddingLiftSchedule(from: number, step = SHEDDING_LIFT_STEP_PERCENT): number[] {
  const out: number[] = [];
  for (let p = from - step; p > 0; p -= step) out.push(p);
  out.push(0);
  return out;
}

/** A bad cascade input, named. */
export function cascadeInputProblems(input: Pick<CascadeRecoveryInput, 'sheddingPercent' | 'emergencyCells' | 'fleetStabilityChecks'>): string[] {
  const problems: string[] = [];
  const s = input.sheddingPercent;
  if (s !== undefined && (!Number.isInteger(s) || s < 1 || s > 100)) problems.push(`sheddingPercent must be a whole number 1-100, got ${s}`);
  const e = input.emergencyCells;
  if (e !== undefined && (!Number.isInteger(e) || e < 0 || e > 10)) problems.push(`emergencyCells must be a whole number 0-10, got ${e}`);
  const c = input.fleetStabilityChecks;
  if (c !== undefined && (!Number.isInteger(c) || c < STABLE_CHECKS_NEEDED)) problems.push(`fleetStabilityChecks must be a whole number of at least ${STABLE_CHECKS_NEEDED}, got ${c}`);
  return problems;
}
