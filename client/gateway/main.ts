/**
 * The alarm gateway process: `npm run gateway`. Temporal is found as by every cellops process
 * (`client/connect.ts`: `TEMPORAL_ADDRESS`, profiles etc. through envconfig, else the local dev
 * server); the registry as for the worker (`CELLOPS_REGISTRY`); the gateway's own settings are in
 * `config.ts`.
 */
import pino from 'pino';
import { loadRegistry } from '../../domain/registry';
import { loadWorkerConfig } from '../../workers/config';
import { connectTemporal } from '../connect';
import { loadGatewayConfig } from './config';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const registryPath = loadWorkerConfig().registryPath;
  const registry = await loadRegistry(registryPath);
  const logger = pino({ level: config.logLevel });
  const temporal = await connectTemporal();
  const gateway = await startGateway({
    port: config.port,
    host: config.host,
    deps: {
      client: temporal.client,
      namespace: temporal.target.namespace,
      registry,
      webUiBaseUrl: config.webUiBaseUrl,
      logger,
      sns: config.sns,
      eventBridge: config.eventBridge,
      webhook: config.webhook,
    },
  });
  const sources = [config.sns && 'sns', config.eventBridge && 'eventbridge', config.webhook && 'webhook'].filter(Boolean).join(', ');
  logger.info({ url: gateway.url, sources, temporal: temporal.target.address, namespace: temporal.target.namespace, registry: registryPath }, 'cellops alarm gateway listening');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      gateway
        .close()
        .then(() => temporal.close())
        .catch((err: unknown) => logger.error({ err }, 'shutdown failed'));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
