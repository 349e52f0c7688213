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
  /** The registry's router lacks what router failover acts on (its stack, its or the fallback's metrics). */
  RouterNotConfigured: 'RouterNotConfigured',
  /** Router failover was asked for while the primary router is healthy (and not forced). */
  RouterHealthy: 'RouterHealthy',
  /** Requests did not reach the right cells through the fallback routing. */
  FallbackRoutingInvalid: 'FallbackRoutingInvalid',
  /** The primary router was not healthy again after its restart (or fell ill again while traffic came back). */
  PrimaryRouterNotRecovered: 'PrimaryRouterNotRecovered',
  /** The cell's alarm history names no moment before the incident when they were all OK. */
  NoKnownGoodRecoveryPoint: 'NoKnownGoodRecoveryPoint',
  /** The application's integrity validation found problems in the (restored) data. */
  IntegrityValidationFailed: 'IntegrityValidationFailed',
  /** Cascade recovery was asked for while every cell is healthy. */
  NoFailedCells: 'NoFailedCells',
  /** The fleet was not stable within the checks allowed (load shedding stays on). */
  FleetNotStable: 'FleetNotStable',
} as const;

export type ProcedureFailure = (typeof ProcedureFailure)[keyof typeof ProcedureFailure];
