import type { CellLifecycleRecord } from './cell-lifecycle';

/**
 * The fleet guard's rule: how many cells, and how much capacity, may be out of service at once
 * across every procedure. Pure, so the guard workflow and the CLI's `plan` share it.
 */

export interface DrainPermit {
  /** The workflow holding the permit. */
  holder: string;
  cellId: string;
  /** Requests per second the cell serves when in service. */
  capacity: number;
  grantedAt: string;
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
}

export type PermitVerdict = { granted: true; alreadyHeld: boolean } | { granted: false; reason: string };

/** Decides a permit request against the permits already granted. */
export function decidePermit(request: PermitRequest, held: readonly DrainPermit[], limits: BlastRadius): PermitVerdict {
  const same = held.find((p) => p.cellId === request.cellId);
  if (same) {
    return same.holder === request.holder
      ? { granted: true, alreadyHeld: true }
      : { granted: false, reason: `cell ${request.cellId} is already out of service for ${same.holder}` };
  }
  if (held.length + 1 > limits.maxCellsOut) {
    return {
      granted: false,
      reason: `${held.length} of at most ${limits.maxCellsOut} cells already out (${held.map((p) => p.cellId).join(', ')})`,
    };
  }
  const capacityOut = held.reduce((sum, p) => sum + p.capacity, 0) + request.capacity;
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
