import { createDeploymentActivities, type DeploymentActivities } from './deployment';
import { resolveDeps, type ActivityDeps } from './deps';
import { createHealthActivities, type HealthActivities } from './health';
import { createMonitoringActivities, type MonitoringActivities } from './monitoring';
import { createRecoveryPointActivities, type RecoveryPointActivities } from './recovery-point';
import { createStackActivities, type StackActivities } from './stacks';
import { createTrafficActivities, type TrafficActivities } from './traffic';

export type { ActivityDeps } from './deps';
export type * from './deployment';
export type * from './health';
export type * from './monitoring';
export type * from './recovery-point';
export type * from './stacks';
export type * from './traffic';
export { ErrorType, NON_RETRYABLE_ERROR_TYPES, RETRYABLE_ERROR_TYPES } from './error-types';

/** Every AWS activity; workflows use `proxyActivities<ReturnType<typeof createActivities>>`. */
export type AwsActivities = TrafficActivities & StackActivities & HealthActivities & MonitoringActivities & RecoveryPointActivities & DeploymentActivities;

/**
 * Builds the AWS activities from injected SDK v3 clients. Call it once per worker: the Route 53
 * rate limiter and the per-hosted-zone serialisation it creates are shared by every activity
 * the worker runs. Each returned function is one activity taking one input object with a
 * `requestToken`.
 */
export function createActivities(deps: ActivityDeps): AwsActivities {
  const resolved = resolveDeps(deps);
  return {
    ...createTrafficActivities(resolved),
    ...createStackActivities(resolved),
    ...createHealthActivities(resolved),
    ...createMonitoringActivities(resolved),
    ...createRecoveryPointActivities(resolved),
    ...createDeploymentActivities(resolved),
  };
}
