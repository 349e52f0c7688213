/**
 * Cell replacement: its input, the new cells it builds (the replacement and emergency cells),
 * the capacity rule for emergency cells, and its report. Pure, so the workflow, the CLI's
 * `plan` and the tests share it.
 */
import type { Cell, Registry } from '../registry/schema';
import type { ProcedureInput } from './input';
import type { ProcedureName } from './progress';
import type { DataLossWindow, ProcedureReport } from './report';

/** The procedure that handed its cell over to this replacement (continuing as new under the same workflow id). */
export interface EscalatedFrom {
  workflowId: string;
  runId: string;
  procedure: ProcedureName;
  /** The step that failed there and made the hand-over necessary. */
  step: string;
  error: string;
  /** Its report up to the hand-over. */
  report: ProcedureReport;
}

/** Input of the `cellReplacement` workflow: the failed cell, who asked and why, the registry. */
export interface CellReplacementInput extends ProcedureInput {
  /** The procedure that handed the cell over (a restart that failed), if any. */
  escalatedFrom?: EscalatedFrom;
  /**
   * Emergency cells are added while the remaining cells would run above this share of their
   * capacity. Default {@link DEFAULT_MAX_UTILIZATION_PERCENT}.
   */
  maxUtilizationPercent?: number;
}

/** Above this share of their capacity, the cells left after a drain get emergency help. */
export const DEFAULT_MAX_UTILIZATION_PERCENT = 80;

const MAX_ID_LENGTH = 63;

/** The replacement of `cellId`: one per failed cell, so a repeated replacement finds the same cell. */
export function replacementCellId(cellId: string): string {
  return boundedId(`${cellId}-r`);
}

/** The `n`-th (from 1) emergency cell added while `cellId` is being replaced. */
export function emergencyCellId(cellId: string, n: number): string {
  return boundedId(`${cellId}-e${n}`);
}

function boundedId(id: string): string {
  if (id.length > MAX_ID_LENGTH) throw new RangeError(`cell id ${id} is longer than ${MAX_ID_LENGTH} characters`);
  return id;
}

/**
 * The stack name of a new cell: `<prefix>-<id>`, without repeating the prefix's last word
 * (`shop-cell` and `cell-002-r` give `shop-cell-002-r`, not `shop-cell-cell-002-r`).
 */
export function newCellStackName(stackNamePrefix: string, cellId: string): string {
  const lastWord = stackNamePrefix.split('-').pop() ?? '';
  const rest = lastWord !== '' && cellId.startsWith(`${lastWord}-`) ? cellId.slice(lastWord.length + 1) : cellId;
  return `${stackNamePrefix}-${rest}`.slice(0, 128);
}

/**
 * A new cell built from the registry's cell template, described like a registry cell (in the
 * fleet's region, no customers or alarms yet) so the shared traffic and health steps take it.
 */
export function newCell(registry: Registry, cellId: string, priority = 0): Cell {
  const template = registry.cellTemplate;
  const { valuePattern, ...route53 } = template.route53;
  return {
    id: cellId,
    region: registry.fleet.region,
    priority,
    capacity: template.capacity,
    customers: 0,
    stack: {
      name: newCellStackName(template.stackNamePrefix, cellId),
      template: template.template,
      parameters: { ...template.parameters },
      restartParameter: 'RestartNonce',
    },
    route53: { ...route53, setIdentifier: cellId, value: valuePattern.replaceAll('{cellId}', cellId) },
    alarms: [],
    metrics: { ...template.metrics, dimensions: { [cellMetricsDimension(registry.cells)]: cellId } },
  };
}

/** Tags on a new cell's stack: `cellops:cell` names the cell it serves. */
export function newCellTags(cellId: string): Record<string, string> {
  return { 'cellops:cell': cellId };
}

/** The metrics dimension the registry names cells by (`CellId` in the example). */
export function cellMetricsDimension(cells: readonly Cell[]): string {
  for (const cell of cells) {
    const key = Object.entries(cell.metrics.dimensions).find(([, value]) => value === cell.id)?.[0];
    if (key !== undefined) return key;
  }
  return 'CellId';
}

/** What the capacity check found, and how many emergency cells it asks for. */
export interface CapacityPlan {
  /** Requests per second the fleet serves (measured). */
  loadRps: number;
  /** Capacity of the cells still in service. */
  remainingCapacityRps: number;
  maxUtilizationPercent: number;
  /** Utilisation of the remaining cells at this load, in percent; null when no capacity remains. */
  utilizationPercent: number | null;
  emergencyCells: number;
}

/** Emergency cells of `cellCapacity` needed so the remaining cells plus them stay at or under `maxUtilizationPercent`. */
export function planCapacity(loadRps: number, remainingCapacityRps: number, cellCapacity: number, maxUtilizationPercent = DEFAULT_MAX_UTILIZATION_PERCENT): CapacityPlan {
  if (!(cellCapacity > 0)) throw new RangeError(`cell capacity must be positive, got ${cellCapacity}`);
  if (!(maxUtilizationPercent > 0 && maxUtilizationPercent <= 100)) throw new RangeError(`maxUtilizationPercent must be in (0, 100], got ${maxUtilizationPercent}`);
  const usable = (capacity: number) => (capacity * maxUtilizationPercent) / 100;
  const shortRps = loadRps - usable(remainingCapacityRps);
  const emergencyCells = shortRps > 0 ? Math.ceil(shortRps / usable(cellCapacity)) : 0;
  const utilizationPercent = remainingCapacityRps > 0 ? round((loadRps / remainingCapacityRps) * 100) : null;
  return { loadRps, remainingCapacityRps, maxUtilizationPercent, utilizationPercent, emergencyCells };
}

/**
 * A safe weight for `count` new cells joining cells that weigh `remainingWeight` in total: the
 * highest weight up to `inServiceWeight` at which each new cell's share of `loadRps` stays at or
 * under its usable capacity. A cold cell is never handed more than it can serve.
 */
export function safeNewCellWeight(plan: CapacityPlan, count: number, cellCapacity: number, remainingWeight: number, inServiceWeight: number): number {
  const usable = (cellCapacity * plan.maxUtilizationPercent) / 100;
  // share of one new cell = w / (R + n*w); it must carry at most `usable`: L*w <= usable*(R + n*w).
  const excess = plan.loadRps - count * usable;
  if (excess <= 0 || remainingWeight === 0) return inServiceWeight;
  return Math.max(1, Math.min(inServiceWeight, Math.floor((usable * remainingWeight) / excess)));
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** How the failed cell's customers reached the replacement. */
export type CustomerMove =
  | { kind: 'migrated'; customers: number }
  | {
      kind: 'restored-from-backup';
      customers: number;
      backupId: string;
      /** Why the failed cell's data could not be read. */
      reason: string;
      /** Writes between the backup's consistency point and the drain are lost. */
      dataLossWindow: DataLossWindow;
    };

/** Why the failed cell was kept rather than decommissioned. */
export type KeptBecause = 'approval-rejected' | 'approval-timed-out' | 'backup-failed' | 'aborted' | 'failed';

/** What became of the failed cell. */
export type FailedCellOutcome =
  | { kind: 'decommissioned'; backupId: string; approvedBy: string }
  | { kind: 'kept'; because: KeptBecause; detail: string };

/** The replacement-specific part of the final report. */
export interface ReplacementDetails {
  failedCellId: string;
  replacementCellId: string;
  /** Whether the replacement serves the failed cell's traffic now. */
  replacementInService: boolean;
  capacity?: CapacityPlan;
  /** Emergency cells added (they stay in service; decommission them once the fleet allows). */
  emergencyCells: string[];
  customers?: CustomerMove;
  failedCell: FailedCellOutcome;
  /** Post-recovery alarms put on the replacement. */
  postRecoveryAlarms: string[];
  /** Whether this run gave its drain permit back (kept while a cell is out with nothing replacing it). */
  permitReleased: boolean;
}

/** What `cellReplacement` returns (and carries as the failure's details when it fails or is aborted). */
export interface CellReplacementReport extends ProcedureReport {
  replacement: ReplacementDetails;
}

/** The data-loss window of a restore: from the backup's consistency point to when the cell stopped taking writes. */
export function dataLossWindow(backupTakenAt: string, writesStoppedAt: string): DataLossWindow {
  const durationMs = Math.max(0, Date.parse(writesStoppedAt) - Date.parse(backupTakenAt));
  return { from: backupTakenAt, to: writesStoppedAt, durationMs };
}

/**
 * When the failed cell stopped taking writes: when a procedure that handed over drained it (its
 * `drain-traffic` step), or else when this replacement drained it.
 */
export function writesStoppedAt(escalatedFrom: EscalatedFrom | undefined, drainedAt: string): string {
  const handedOverDrain = escalatedFrom?.report.steps.find((s) => s.name === 'drain-traffic' && s.status === 'done')?.endedAt;
  return handedOverDrain !== undefined && handedOverDrain < drainedAt ? handedOverDrain : drainedAt;
}
