/**
 * A cell's life: provisioning and decommissioning (their inputs, the cell's own monitoring,
 * their reports) and the lifecycle states the fleet guard keeps for every procedure and
 * `cellops fleet` to read. Pure, so the workflows, the CLI and the tests share it.
 */
import type { Cell } from '../registry/schema';
import type { ProcedureInput } from './input';
import type { ProcedureReport } from './report';

/** Where a cell is in its life. `failed`: provisioning was rolled back, or decommissioning stopped. */
export type CellLifecycleState = 'provisioning' | 'ready' | 'draining' | 'decommissioned' | 'failed';

/** One cell's lifecycle state as the fleet guard keeps it. */
export interface CellLifecycleRecord {
  cellId: string;
  state: CellLifecycleState;
  /** The workflow that set it. */
  by: string;
  /** Workflow time it was set. */
  since: string;
  /** A new cell's description (stack, record, metrics), so others can act on it before the registry lists it. */
  cell?: Cell;
  detail?: string;
}

/** Lifecycle states kept (the oldest decommissioned cells dropped first past it): the guard's state stays small. */
export const MAX_LIFECYCLE_RECORDS = 500;

/** Applies `record` to `records` (one per cell, the latest wins); pure. */
export function applyLifecycleRecord(records: readonly CellLifecycleRecord[], record: CellLifecycleRecord): CellLifecycleRecord[] {
  const next = [...records.filter((r) => r.cellId !== record.cellId), record];
  while (next.length > MAX_LIFECYCLE_RECORDS) {
    const oldestGone = next.findIndex((r) => r.state === 'decommissioned' || r.state === 'failed');
    next.splice(oldestGone >= 0 ? oldestGone : 0, 1);
  }
  return next;
}

/** Input of `cellProvisioning`: `cellId` is the new cell's id (not in the registry yet). */
export interface CellProvisioningInput extends ProcedureInput {
  /** Recovery priority of the new cell in a cascade. Default: after every registry cell. */
  priority?: number;
  /** The weight it ends at. Default: the cell template's in-service weight. */
  weight?: number;
  /** Why the capacity watch asked for it, when it did. */
  requestedByWatch?: string;
}

/** Input of `cellDecommissioning`. */
export interface CellDecommissioningInput extends ProcedureInput {
  /** Where its customers go. Default: the other cell with the most spare capacity. */
  migrateTo?: string;
}

/** The names of a cell's own monitoring (`cellops-<cellId>…`, the IAM policy's scope). */
export interface CellMonitoringNames {
  alarms: string[];
  dashboard: string;
}

/** Utilisation above this share of a cell's capacity sets off its capacity alarm, and the capacity watch. */
export const DEFAULT_UTILIZATION_THRESHOLD_PERCENT = 80;

export function cellMonitoringNames(cellId: string): CellMonitoringNames {
  return {
    alarms: ['error-rate', 'latency-p99', 'availability', 'utilization'].map((s) => `cellops-${cellId}-${s}`),
    dashboard: `cellops-${cellId}`,
  };
}

/** What a provisioning run created, in the order it created it (rolled back in reverse). */
export type ProvisionedResource = 'stack' | 'monitoring' | 'record';

/** The provisioning-specific part of the report. */
export interface ProvisioningDetails {
  cellId: string;
  stackName: string;
  /** In service at its weight, and marked ready. */
  ready: boolean;
  weight: number;
  alarms: string[];
  dashboard?: string;
  /** What was created and then removed again by the rollback, in the order removed. */
  rolledBack: ProvisionedResource[];
}

export interface CellProvisioningReport extends ProcedureReport {
  provisioning: ProvisioningDetails;
}

/** How far decommissioning got. */
export type DecommissionOutcome =
  | { kind: 'decommissioned'; backupId: string; approvedBy: string }
  /** Stopped before anything was destroyed: the cell's stack and data are intact. */
  | { kind: 'kept'; because: 'backup-failed' | 'approval-rejected' | 'approval-timed-out' | 'customers-remain' | 'aborted' | 'failed'; detail: string };

export interface DecommissioningDetails {
  cellId: string;
  migratedTo?: string;
  migratedCustomers: number;
  /** Removed from its weighted group. */
  unrouted: boolean;
  outcome: DecommissionOutcome;
}

export interface CellDecommissioningReport extends ProcedureReport {
  decommissioning: DecommissioningDetails;
}

/** The other cell with the most spare capacity (capacity minus its share of `loadRps` by weight). */
export function cellWithMostRoom(cells: readonly Cell[], excluding: string): Cell | undefined {
  const others = cells.filter((c) => c.id !== excluding);
  return [...others].sort((a, b) => b.capacity / Math.max(1, b.customers) - a.capacity / Math.max(1, a.customers) || a.id.localeCompare(b.id))[0];
}
