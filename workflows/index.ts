/** Every cellops workflow: the worker's single `workflowsPath`. Workflows only, no activities. */
export { capacityWatch } from './capacity-watch';
export { cascadeRecovery } from './cascade-recovery';
export { cellDecommissioning } from './cell-decommissioning';
export { cellProvisioning } from './cell-provisioning';
export { cellReplacement } from './cell-replacement';
export { cellRestart } from './cell-restart';
export { fleetGuard } from './fleet-guard';
export { pointInTimeRecovery } from './point-in-time-recovery';
export { provisionEmergencyCell } from './provision-emergency-cell';
export { routerFailover } from './router-failover';
export { stabilityWatch } from './stability-watch';
export { waveDeployment } from './wave-deployment';
export { recoveryDrill } from './drill';
