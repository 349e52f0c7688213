/** Every cellops workflow: the worker's single `workflowsPath`. Workflows only, no activities. */
export { fleetGuard } from './fleet-guard';
export { stabilityWatch } from './stability-watch';
