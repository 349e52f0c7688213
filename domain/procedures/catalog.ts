/**
 * Every procedure an operator or the alarm gateway can start, in one place: `cellops start`,
 * `cellops plan` and their help list what is here. A new procedure adds its entry (and its
 * planner in `plans/`).
 */
import { FLEET_ID } from './cascade-recovery';
import type { ProcedureName } from './progress';
import { ROUTER_ID } from './router-failover';
import { planCascadeRecovery } from './plans/cascade-recovery';
import { planCellDecommissioning } from './plans/cell-decommissioning';
import { planCellProvisioning } from './plans/cell-provisioning';
import { planCellReplacement } from './plans/cell-replacement';
import { planCellRestart } from './plans/cell-restart';
import { planPointInTimeRecovery } from './plans/point-in-time-recovery';
import { planRouterFailover } from './plans/router-failover';
import type { Planner } from './plans/types';

interface EntryBase {
  /** The workflow type. */
  procedure: ProcedureName;
  /** One line: when to use it. */
  summary: string;
  plan: Planner;
}

/** A procedure on one cell, started as `cell-recovery-<cellId>`. */
export interface CellCatalogEntry extends EntryBase {
  scope: 'cell';
}

/** A procedure building a cell the registry does not list yet, started as `cell-recovery-<newCellId>`. */
export interface NewCellCatalogEntry extends EntryBase {
  scope: 'new-cell';
}

/**
 * A procedure of the whole fleet (its router, or every cell), one at a time per fleet; `subject`
 * stands in for the cell (the `CellId` search attribute, progress, reports).
 */
export interface FleetCatalogEntry extends EntryBase {
  scope: 'fleet';
  subject: string;
}

export type CatalogEntry = CellCatalogEntry | NewCellCatalogEntry | FleetCatalogEntry;

export const PROCEDURE_CATALOG: readonly CatalogEntry[] = [
  { scope: 'cell', procedure: 'cellRestart', summary: 'restart a cell\u2019s services in place, draining it first (escalates to cellReplacement if that fails)', plan: planCellRestart },
  { scope: 'cell', procedure: 'cellReplacement', summary: 'replace a cell that cannot be saved: build a new one, move customers and traffic, decommission the old', plan: planCellReplacement },
  { scope: 'cell', procedure: 'pointInTimeRecovery', summary: 'restore a cell whose data went bad to the last moment its alarms were all OK, and promote it once approved (the writes since are lost)', plan: planPointInTimeRecovery },
  { scope: 'new-cell', procedure: 'cellProvisioning', summary: 'add a cell: build it from the cell template under a new id (--cell), monitor and validate it, ramp its weight up; any failure removes what it built', plan: planCellProvisioning },
  { scope: 'cell', procedure: 'cellDecommissioning', summary: 'retire a healthy cell: drain it, migrate its customers, take it out of routing, back it up, and once approved delete its monitoring and stack', plan: planCellDecommissioning },
  { scope: 'fleet', subject: ROUTER_ID, procedure: 'routerFailover', summary: 'the router failed: route by the hash-based fallback, restart the primary router and switch back gradually once it is healthy (no --cell)', plan: planRouterFailover },
  { scope: 'fleet', subject: FLEET_ID, procedure: 'cascadeRecovery', summary: 'several cells failed at once: shed load, add an emergency cell, recover the failed cells one by one, then lift the shedding (no --cell)', plan: planCascadeRecovery },
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

