/**
 * Recovery drills: a real procedure run on a healthy cell on a schedule, to practise it. Pure
 * types and rules shared by the drill workflow, the CLI and the tests.
 */
import type { ProcedurePlan } from './procedures/plans/types';
import type { ProcedureReport } from './procedures/report';
import type { Registry } from './registry/schema';

/** A period in which no drill may run (a change freeze), ISO-8601 times. */
export interface FreezeWindow {
  start: string;
  end: string;
  reason: string;
}

/** What the schedule hands every drill run. */
export interface DrillInput {
  /** The drill's name; its schedule is `drill-<name>`. */
  name: string;
  procedure: 'cellRestart';
  /** The cell to drill, or the rotation (one cell per drill, in this order). */
  cells: string[];
  /** Checked before the drill: any in ALARM and the drill is skipped (the cell's own alarms are checked too). */
  blockingAlarms: string[];
  /** Watched while the drill runs: one in ALARM and the drill aborts the procedure. */
  outcomeAlarms: string[];
  freezeWindows: FreezeWindow[];
  requestedBy: string;
  registry: Registry;
}

/** One step of the practised procedure against its time budget. */
export interface DrillStepTime {
  name: string;
  status: string;
  tookSeconds: number | null;
  /** The least time the policy gives the step (the plan's `minSeconds`); null when the plan sets none. */
  budgetSeconds: number | null;
  overBudget: boolean;
}

export type DrillOutcome = 'completed' | 'skipped' | 'aborted' | 'failed';

/** A drill's report: what was practised, how each step did against the budget, whether the runbook held. */
export interface DrillReport {
  name: string;
  procedure: 'cellRestart';
  /** The cell drilled (or that would have been, for a skipped drill). */
  cellId: string;
  /** The last cell actually drilled, which the rotation continues from. */
  rotationCell: string | undefined;
  outcome: DrillOutcome;
  /** Why it was skipped, aborted or failed. */
  why?: string;
  procedureWorkflowId?: string;
  procedureReport?: ProcedureReport;
  steps: DrillStepTime[];
  tookSeconds: number | null;
  budgetSeconds: number;
  /** The procedure completed with the planned steps, in order, and left the cell in service. */
  runbookHeld: boolean;
  startedAt: string;
}

/** The next cell of the rotation after `last` (the first when none was drilled yet). */
export function nextDrillCell(cells: readonly string[], last: string | undefined): string {
  if (cells.length === 0) throw new Error('a drill needs at least one cell');
  const index = last === undefined ? -1 : cells.indexOf(last);
  return cells[(index + 1) % cells.length];
}

/** The freeze window `atMs` falls in, if any. */
export function freezeAt(windows: readonly FreezeWindow[], atMs: number): FreezeWindow | undefined {
  return windows.find((w) => Date.parse(w.start) <= atMs && atMs < Date.parse(w.end));
}

/** Each planned step with the time the procedure took on it, against the plan's budget. */
export function drillStepTimes(plan: ProcedurePlan, report: ProcedureReport | undefined): DrillStepTime[] {
  const records = report?.steps ?? [];
  const names = [...new Set([...plan.steps.map((s) => s.name), ...records.map((r) => r.name)])];
  return names
    .map((name) => {
      const planned = plan.steps.find((s) => s.name === name);
      const record = records.find((r) => r.name === name);
      const tookSeconds = record?.endedAt ? (Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000 : null;
      const budgetSeconds = planned?.minSeconds ?? null;
      return {
        name,
        status: record?.status ?? 'not-run',
        tookSeconds,
        budgetSeconds,
        // AWS's own time comes on top of the policy's pauses: a step more than twice its budget (plus a minute) is over.
        overBudget: tookSeconds !== null && budgetSeconds !== null && tookSeconds > budgetSeconds * 2 + 60,
      };
    })
    .filter((s) => s.status !== 'not-run' || plan.steps.some((p) => p.name === s.name && !p.onlyIf));
}

/** Whether the runbook held: completed, every planned step (bar conditional ones) completed in order, cell in service. */
export function runbookHeld(plan: ProcedurePlan, report: ProcedureReport | undefined): boolean {
  if (!report || report.outcome !== 'completed' || report.cellEndState !== 'in-service') return false;
  const done = report.steps.filter((s) => s.status === 'done').map((s) => s.name);
  const required = plan.steps.filter((s) => !s.onlyIf).map((s) => s.name);
  let at = 0;
  for (const name of done) if (name === required[at]) at++;
  return at === required.length;
}

/** The schedule id of a drill. */
export function drillScheduleId(name: string): string {
  return `drill-${name}`;
}
