export type * from './types';
export { planCellRestart } from './cell-restart';
export { planCellReplacement } from './cell-replacement';
export { planPointInTimeRecovery } from './point-in-time-recovery';
export { planRouterFailover } from './router-failover';
export { planCascadeRecovery } from './cascade-recovery';
