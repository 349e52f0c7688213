/**
 * The failure types procedures themselves throw (activities' own types are in
 * `activities/error-types.ts`). Plain data, bundled into workflow code.
 */
export const ProcedureFailure = {
  /** The observed traffic share did not follow the weights within the checks allowed. */
  TrafficDidNotMove: 'TrafficDidNotMove',
  /** A health check found the cell in alarm or outside the policy's thresholds. */
  CellUnhealthy: 'CellUnhealthy',
  /** The rest of the fleet is not healthy enough to take the cell's traffic. */
  FleetNotHealthy: 'FleetNotHealthy',
  /** The fleet guard refused a drain permit (blast radius, or the cell is out for another procedure). */
  DrainPermitRefused: 'DrainPermitRefused',
  /** The cell fell out of health during the stability watch. */
  StabilityWatchFailed: 'StabilityWatchFailed',
  /** An approval was rejected, or timed out with the `abort` default. */
  ApprovalDenied: 'ApprovalDenied',
} as const;

export type ProcedureFailure = (typeof ProcedureFailure)[keyof typeof ProcedureFailure];
