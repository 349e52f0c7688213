export { buildGateway, type GatewayDeps } from './app';
export { startGateway, type RunningGateway, type StartGatewayOptions } from './server';
export type { GatewayAnswer, GatewayOutcome } from './answers';
export type { GatewayContext } from './context';
export { webhookSignature } from './shared-secrets';
