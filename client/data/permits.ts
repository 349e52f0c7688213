/**
 * The fleet guard's drain permits in use, against the blast-radius limits of the registry:
 * how many cells and how much capacity are out of service now, and how much may be.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DrainPermit } from '../../domain/procedures/drain-permits';
import type { Registry } from '../../domain/registry/schema';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { drainPermitsQuery } from '../../workflows/messages';

export interface DrainPermitsView {
  /** The permits held now (none when the guard has not started yet). */
  held: DrainPermit[];
  /** The registry's `blastRadius.maxCellsOut`. */
  maxCellsOut: number;
  /** The registry's `blastRadius.maxCapacityOutPercent`. */
  maxCapacityOutPercent: number;
  /** Capacity out now, in percent of the fleet's. */
  capacityOutPercent: number;
  /** Why the permits could not be read (no worker answered the guard's query). */
  unavailable?: string;
}

/** Reads the permits from the fleet guard workflow (`cellops-fleet-guard`). */
export async function getDrainPermits(client: Client, registry: Registry, options: { queryTimeoutMs?: number; workflowId?: string } = {}): Promise<DrainPermitsView> {
  const limits = registry.policies.blastRadius;
  const fleetCapacity = registry.cells.reduce((sum, cell) => sum + cell.capacity, 0);
  const view = (held: DrainPermit[], unavailable?: string): DrainPermitsView => ({
    held,
    maxCellsOut: limits.maxCellsOut,
    maxCapacityOutPercent: limits.maxCapacityOutPercent,
    capacityOutPercent: fleetCapacity > 0 ? (held.reduce((sum, p) => sum + p.capacity, 0) / fleetCapacity) * 100 : 0,
    ...(unavailable ? { unavailable } : {}),
  });
  const handle = client.workflow.getHandle(options.workflowId ?? FLEET_GUARD_WORKFLOW_ID);
  try {
    const held = await client.connection.withDeadline(Date.now() + (options.queryTimeoutMs ?? 3_000), () => handle.query(drainPermitsQuery));
    return view(held);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return view([]);
    return view([], `the fleet guard did not answer (${err instanceof Error ? err.message : String(err)})`);
  }
}
