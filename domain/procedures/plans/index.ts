export type * from './types';
export { planCellRestart } from './cell-restart';
export { planCellReplacement } from './cell-replacement';
export { planCellProvisioning } from './cell-provisioning';
export { planCellDecommissioning } from './cell-decommissioning';
export { planPointInTimeRecovery } from './point-in-time-recovery';
export { planRouterFailover } from './router-failover';
export { planCascadeRecovery } from './cascade-recovery';
