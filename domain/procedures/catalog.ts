/**
 * Every procedure an operator or the alarm gateway can start, in one place: `cellops start`,
 * `cellops plan` and their help list what is here. A new procedure adds its entry (and its
 * planner in `plans/`).
 */
import type { ProcedureName } from './progress';
import { planCellReplacement } from './plans/cell-replacement';
import { planCellRestart } from './plans/cell-restart';
import { planPointInTimeRecovery } from './plans/point-in-time-recovery';
import type { Planner } from './plans/types';

export interface CatalogEntry {
  /** The workflow type. */
  procedure: ProcedureName;
  /** One line: when to use it. */
  summary: string;
  plan: Planner;
}

export const PROCEDURE_CATALOG: readonly CatalogEntry[] = [
  { procedure: 'cellRestart', summary: 'restart a cell\u2019s services in place, draining it first (escalates to cellReplacement if that fails)', plan: planCellRestart },
  { procedure: 'cellReplacement', summary: 'replace a cell that cannot be saved: build a new one, move customers and traffic, decommission the old', plan: planCellReplacement },
  { procedure: 'pointInTimeRecovery', summary: 'restore a cell whose data went bad to the last moment its alarms were all OK, and promote it once approved (the writes since are lost)', plan: planPointInTimeRecovery },
];

/** A procedure name not in the catalog; `known` lists the ones that are. */
export class UnknownProcedureError extends Error {
  constructor(
    readonly procedure: string,
    readonly known: readonly string[],
  ) {
    super(`unknown procedure "${procedure}"; known: ${known.join(', ')}`);
    this.name = 'UnknownProcedureError';
  }
}

/** The catalog entry of `procedure`. @throws UnknownProcedureError */
export function catalogEntry(procedure: string): CatalogEntry {
  const entry = PROCEDURE_CATALOG.find((e) => e.procedure === procedure);
  if (!entry) throw new UnknownProcedureError(procedure, PROCEDURE_CATALOG.map((e) => e.procedure));
  return entry;
}
