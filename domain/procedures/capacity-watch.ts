/**
 * The capacity watch's rules: how hot a cell runs, and what to do about it, in the order the
 * seeds give (scale the cell up, move customers to a cell with room, provision a new cell).
 * Pure, so the workflow and the tests share it.
 */
import type { Cell, Registry } from '../registry/schema';
import { DEFAULT_UTILIZATION_THRESHOLD_PERCENT } from './cell-lifecycle';

/** How the watch scales a cell up: a stack parameter giving the cell's size in percent of the template's capacity. */
export interface ScalingOptions {
  /** The stack parameter. Default `CapacityPercent`. */
  parameter: string;
  /** Added per scale-up, in percent of the base capacity. Default 50. */
  stepPercent: number;
  /** Never above this. Default 200. */
  maxPercent: number;
}

export interface CapacityWatchOptions {
  /** Between checks. Default 300 (five minutes). */
  intervalSeconds: number;
  /** A cell whose utilisation (the highest of requests, CPU, memory) is above this is hot. Default 80. */
  thresholdPercent: number;
  /** A cell takes customers only while under this. Default 60. */
  roomPercent: number;
  /** Share of a hot cell's customers moved at once. Default 25. */
  movePercent: number;
  scaling: ScalingOptions;
  /** Checks per run before it continues as new. Default 48 (four hours at the default interval). */
  checksPerRun: number;
}

export const DEFAULT_CAPACITY_WATCH_OPTIONS: CapacityWatchOptions = {
  intervalSeconds: 300,
  thresholdPercent: DEFAULT_UTILIZATION_THRESHOLD_PERCENT,
  roomPercent: 60,
  movePercent: 25,
  scaling: { parameter: 'CapacityPercent', stepPercent: 50, maxPercent: 200 },
  checksPerRun: 48,
};

/** A cell as the watch knows it: the registry's (or one it provisioned), with its size and customers as it left them. */
export interface WatchedCell {
  cell: Cell;
  /** The capacity at 100% (the registry's, or the template's). */
  baseCapacityRps: number;
  scalePercent: number;
}

/** What the watch carries across continue-as-new. */
export interface CapacityWatchCarried {
  checks: number;
  cells: WatchedCell[];
  decisions: CapacityDecision[];
  /** New cells provisioned so far (numbers the next one). */
  provisioned: string[];
  /** Paused by an operator when the run ended: the next run starts paused. */
  paused?: boolean;
}

/** Input of `capacityWatch` (one per fleet: `capacity-watch-<fleet>`). */
export interface CapacityWatchInput {
  registry: Registry;
  requestedBy: string;
  reason?: string;
  options?: Partial<Omit<CapacityWatchOptions, 'scaling'>> & { scaling?: Partial<ScalingOptions> };
  /** Set by the watch itself when it continues as new. */
  carried?: CapacityWatchCarried;
}

/** One cell's reading at a check. */
export interface CellReading {
  cellId: string;
  requestsPerSecond: number | null;
  requestUtilizationPercent: number | null;
  cpuPercent: number | null;
  memoryPercent: number | null;
  customers: number;
  /** The highest of the three utilisations; null when none had data. */
  utilizationPercent: number | null;
}

/** An action the watch takes for a hot cell. */
export type CapacityAction =
  | { kind: 'scale-up'; cellId: string; fromPercent: number; toPercent: number }
  | { kind: 'move-customers'; cellId: string; toCellId: string; customers: number }
  | { kind: 'provision-cell'; cellId: string; newCellId: string };

/** A decision, as the query and the report show it. */
export interface CapacityDecision {
  at: string;
  check: number;
  cellId: string;
  utilizationPercent: number | null;
  /** The action taken, or none (why in `detail`). */
  action?: CapacityAction;
  outcome: 'started' | 'done' | 'failed' | 'skipped' | 'declined';
  detail: string;
}

/** The `capacityWatch` query's answer. */
export interface CapacityWatchStatus {
  fleet: string;
  state: 'watching' | 'paused' | 'stopped';
  checks: number;
  lastCheckAt?: string;
  readings: CellReading[];
  /** Actions running now, one per cell at most. */
  inFlight: CapacityAction[];
  cells: { cellId: string; capacityRps: number; scalePercent: number; customers: number; weight: number }[];
  /** The last {@link MAX_DECISIONS} decisions, oldest first. */
  decisions: CapacityDecision[];
  options: CapacityWatchOptions;
}

/** Decisions kept (the oldest dropped first): carried across continue-as-new, so bounded. */
export const MAX_DECISIONS = 50;

/** The options with their defaults. */
export function capacityWatchOptions(input: CapacityWatchInput['options']): CapacityWatchOptions {
  const d = DEFAULT_CAPACITY_WATCH_OPTIONS;
  return { ...d, ...input, scaling: { ...d.scaling, ...input?.scaling } };
}

/** The registry's cells, as the watch starts knowing them (each at 100% of its capacity, unless its stack says otherwise). */
export function watchedCells(registry: Registry, parameter: string): WatchedCell[] {
  return registry.cells.map((cell) => {
    const declared = Number(cell.stack.parameters[parameter]);
    const scalePercent = Number.isFinite(declared) && declared > 0 ? declared : 100;
    return { cell, baseCapacityRps: (cell.capacity * 100) / scalePercent, scalePercent };
  });
}

/** The highest of a reading's utilisations, or null without data. */
export function utilizationOf(r: Pick<CellReading, 'requestUtilizationPercent' | 'cpuPercent' | 'memoryPercent'>): number | null {
  const known = [r.requestUtilizationPercent, r.cpuPercent, r.memoryPercent].filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/** The next cell id after the fleet's: `cell-003` → `cell-004` (same prefix and width), skipping ids in use. */
export function nextCellId(cellIds: readonly string[]): string {
  const numbered = cellIds.map((id) => /^(.*?)(\d+)$/.exec(id)).filter((m): m is RegExpExecArray => m !== null);
  const prefix = numbered[0]?.[1] ?? 'cell-';
  const width = numbered[0]?.[2].length ?? 3;
  let n = Math.max(0, ...numbered.filter((m) => m[1] === prefix).map((m) => Number(m[2]))) + 1;
  while (cellIds.includes(`${prefix}${String(n).padStart(width, '0')}`)) n++;
  return `${prefix}${String(n).padStart(width, '0')}`;
}

/**
 * The actions for this check, one per hot cell at most, never for a cell (or to a cell) with
 * an action in flight, and at most one new cell at a time. For each hot cell, hottest first:
 * scale it up while its size allows; else move a share of its customers to the cell with the
 * most room (under `roomPercent`); else provision a new cell.
 */
export function decideActions(readings: readonly CellReading[], cells: readonly WatchedCell[], busy: ReadonlySet<string>, options: CapacityWatchOptions, newCellId: () => string): { actions: CapacityAction[]; skipped: { cellId: string; why: string }[] } {
  const actions: CapacityAction[] = [];
  const skipped: { cellId: string; why: string }[] = [];
  const taken = new Set(busy);
  const hot = readings.filter((r) => r.utilizationPercent !== null && r.utilizationPercent > options.thresholdPercent).sort((a, b) => (b.utilizationPercent ?? 0) - (a.utilizationPercent ?? 0) || a.cellId.localeCompare(b.cellId));
  for (const reading of hot) {
    const watched = cells.find((c) => c.cell.id === reading.cellId);
    if (watched === undefined) continue;
    if (taken.has(reading.cellId)) {
      skipped.push({ cellId: reading.cellId, why: 'an action for it is still running' });
      continue;
    }
    const { scaling } = options;
    if (watched.scalePercent + scaling.stepPercent <= scaling.maxPercent) {
      actions.push({ kind: 'scale-up', cellId: reading.cellId, fromPercent: watched.scalePercent, toPercent: watched.scalePercent + scaling.stepPercent });
      taken.add(reading.cellId);
      continue;
    }
    const roomy = readings
      .filter((r) => r.cellId !== reading.cellId && !taken.has(r.cellId) && r.utilizationPercent !== null && r.utilizationPercent < options.roomPercent)
      .sort((a, b) => (a.utilizationPercent ?? 0) - (b.utilizationPercent ?? 0) || a.cellId.localeCompare(b.cellId))[0];
    const customers = Math.ceil((reading.customers * options.movePercent) / 100);
    if (roomy !== undefined && customers > 0) {
      actions.push({ kind: 'move-customers', cellId: reading.cellId, toCellId: roomy.cellId, customers });
      taken.add(reading.cellId);
      taken.add(roomy.cellId);
      continue;
    }
    if (taken.has(NEW_CELL_LOCK)) {
      skipped.push({ cellId: reading.cellId, why: 'a new cell is already being provisioned' });
      continue;
    }
    actions.push({ kind: 'provision-cell', cellId: reading.cellId, newCellId: newCellId() });
    taken.add(reading.cellId);
    taken.add(NEW_CELL_LOCK);
  }
  return { actions, skipped };
}

/** The lock a provisioning holds in the busy set: one new cell at a time. */
export const NEW_CELL_LOCK = '(new cell)';

/** The cells an action keeps busy while it runs. */
export function locksOf(action: CapacityAction): string[] {
  if (action.kind === 'move-customers') return [action.cellId, action.toCellId];
  if (action.kind === 'provision-cell') return [action.cellId, NEW_CELL_LOCK];
  return [action.cellId];
}

/** The weights after moving `customers` of `from`'s customers to `to`: `from` loses the same share of its weight, `to` gains it. */
export function weightsAfterMove(from: Cell, to: Cell, customers: number): { from: number; to: number } {
  const share = from.customers > 0 ? Math.min(1, customers / from.customers) : 0;
  const moved = Math.round(from.route53.weight * share);
  return { from: from.route53.weight - moved, to: Math.min(255, to.route53.weight + moved) };
}

/** One line saying what an action does. */
export function describeAction(a: CapacityAction): string {
  switch (a.kind) {
    case 'scale-up':
      return `scale ${a.cellId} up from ${a.fromPercent}% to ${a.toPercent}%`;
    case 'move-customers':
      return `move ${a.customers} customers from ${a.cellId} to ${a.toCellId}`;
    case 'provision-cell':
      return `provision ${a.newCellId} for the load of ${a.cellId}`;
  }
}
