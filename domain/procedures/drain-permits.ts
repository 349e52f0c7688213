import type { CellLifecycleRecord } from './cell-lifecycle';

/**
 * The fleet guard's rule: how many cells, and how much capacity, may be out of service at once
 * across every procedure. Pure, so the guard workflow and the CLI's `plan` share it.
 */

/**
 * `drain`: the cell is taken out of service (counted against the blast radius). `change`: the
 * cell stays in service while its stack is changed (a deployment); it is not counted, but no
 * other procedure may take the cell meanwhile. Permits without a kind are drains.
 */
export type PermitKind = 'drain' | 'change';

export interface DrainPermit {
  /** The workflow holding the permit. */
  holder: string;
  cellId: string;
  /** Requests per second the cell serves when in service. */
  capacity: number;
  grantedAt: string;
  kind?: PermitKind;
}

export interface BlastRadius {
  maxCellsOut: number;
  maxCapacityOutPercent: number;
  /** Total capacity of the fleet, for the percentage. */
  fleetCapacity: number;
}

export interface PermitRequest {
  holder: string;
  cellId: string;
  capacity: number;
  /** Default `drain`. */
  kind?: PermitKind;
}

export type PermitVerdict = { granted: true; alreadyHeld: boolean } | { granted: false; reason: string };

/** Decides a permit request against the permits already granted. */
export function decidePermit(request: PermitRequest, held: readonly DrainPermit[], limits: BlastRadius): PermitVerdict {
  const same = held.find((p) => p.cellId === request.cellId);
  if (same) {
    if (same.holder === request.holder) return { granted: true, alreadyHeld: true };
    return { granted: false, reason: same.kind === 'change' ? `cell ${request.cellId} is being updated by ${same.holder}` : `cell ${request.cellId} is already out of service for ${same.holder}` };
  }
  // A cell changed in service takes nothing out: only its exclusivity above applies.
  if (request.kind === 'change') return { granted: true, alreadyHeld: false };
  const out = held.filter((p) => p.kind !== 'change');
  if (out.length + 1 > limits.maxCellsOut) {
    return {
      granted: false,
      reason: `${out.length} of at most ${limits.maxCellsOut} cells already out (${out.map((p) => p.cellId).join(', ')})`,
    };
  }
  const capacityOut = out.reduce((sum, p) => sum + p.capacity, 0) + request.capacity;
  const percentOut = limits.fleetCapacity > 0 ? (capacityOut / limits.fleetCapacity) * 100 : 100;
  if (percentOut > limits.maxCapacityOutPercent) {
    return {
      granted: false,
      reason: `draining ${request.cellId} would put ${percentOut.toFixed(1)}% of capacity out, above the ${limits.maxCapacityOutPercent}% limit`,
    };
  }
  return { granted: true, alreadyHeld: false };
}

/** A procedure's request to the fleet guard: the permit it wants and the limits of its registry. */
export interface DrainPermitRequest extends PermitRequest {
  limits: BlastRadius;
}

/** Gives a permit back; releasing a permit not held is a no-op (a retried release). */
export interface DrainPermitRelease {
  holder: string;
  cellId: string;
}

export interface DrainPermitReleased {
  released: boolean;
  /** Permits still held after the release. */
  held: number;
}

/** The fleet guard's state, carried across continue-as-new. */
export interface FleetGuardState {
  permits: DrainPermit[];
  /** Each cell's lifecycle state, set by provisioning and decommissioning (absent in runs from before they existed). */
  cells?: CellLifecycleRecord[];
}

/** A deployment's request for change permits on a batch of cells. */
export interface ChangePermitsRequest {
  holder: string;
  cellIds: string[];
  /** Grant all or none (a batch about to be updated); else each cell that can be (a rollback). */
  allOrNothing: boolean;
}

export interface ChangePermitsVerdict {
  granted: string[];
  refused: { cellId: string; reason: string }[];
}

/** Decides change permits for a batch of cells against the permits held (see {@link decidePermit}). */
export function decideChangePermits(request: ChangePermitsRequest, held: readonly DrainPermit[]): ChangePermitsVerdict {
  const verdicts = request.cellIds.map((cellId) => ({ cellId, verdict: decidePermit({ holder: request.holder, cellId, capacity: 0, kind: 'change' }, held, { maxCellsOut: 0, maxCapacityOutPercent: 0, fleetCapacity: 0 }) }));
  const refused = verdicts.flatMap(({ cellId, verdict }) => (verdict.granted ? [] : [{ cellId, reason: verdict.reason }]));
  const granted = request.allOrNothing && refused.length > 0 ? [] : verdicts.filter((v) => v.verdict.granted).map((v) => v.cellId);
  return { granted, refused };
}

/** Gives a deployment's change permits back (those not held are ignored). */
export interface ChangePermitsRelease {
  holder: string;
  cellIds: string[];
}
