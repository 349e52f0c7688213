/**
 * Workflow ids are business keys. Every recovery procedure on a cell runs under the same id,
 * so Temporal itself refuses a second recovery of a cell while one runs (whatever procedure
 * either is); the procedure is told apart by the `Procedure` search attribute.
 */

/** The fleet guard: one long-lived workflow per namespace. */
export const FLEET_GUARD_WORKFLOW_ID = 'cellops-fleet-guard';

/** The id of any recovery procedure (restart, replacement, ...) on `cellId`. */
export function recoveryWorkflowId(cellId: string): string {
  return `cell-recovery-${cellId}`;
}

/** Router failover of the fleet `fleetName`: one at a time per fleet. */
export function routerRecoveryWorkflowId(fleetName: string): string {
  return `router-recovery-${fleetName}`;
}

/** Cascade recovery of the fleet `fleetName`: one at a time per fleet. */
export function cascadeRecoveryWorkflowId(fleetName: string): string {
  return `cascade-recovery-${fleetName}`;
}

/** Wave deployment across the fleet `fleetName`: one rollout at a time per fleet. */
export function deploymentWorkflowId(fleetName: string): string {
  return `wave-deployment-${fleetName}`;
}

/** The capacity watch of the fleet `fleetName`: one per fleet, long-lived. */
export function capacityWatchWorkflowId(fleetName: string): string {
  return `capacity-watch-${fleetName}`;
}
