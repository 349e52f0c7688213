/**
 * The alarm gateway process: `npm run gateway`. Temporal and the registry are configured as for the
 * worker (`workers/config.ts`: `TEMPORAL_ADDRESS` etc. through envconfig, else the dev server on
 * localhost:7233; `CELLOPS_REGISTRY`); the gateway's own settings are in `config.ts`.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import pino from 'pino';
import { loadRegistry } from '../../domain/registry';
import { loadWorkerConfig } from '../../workers/config';
import { loadGatewayConfig } from './config';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const workerConfig = loadWorkerConfig();
  const registry = await loadRegistry(workerConfig.registryPath);
  const { connectionOptions, namespace } =
    workerConfig.temporal.kind === 'configured'
      ? loadClientConnectConfig()
      : { connectionOptions: { address: `127.0.0.1:${workerConfig.temporal.port}` }, namespace: workerConfig.temporal.namespace };
  const logger = pino({ level: config.logLevel });
  const connection = await Connection.connect(connectionOptions);
  const gateway = await startGateway({
    port: config.port,
    host: config.host,
    deps: {
      client: new Client({ connection, namespace: namespace ?? 'default' }),
      namespace: namespace ?? 'default',
      registry,
      webUiBaseUrl: config.webUiBaseUrl,
      logger,
      sns: config.sns,
      eventBridge: config.eventBridge,
      webhook: config.webhook,
    },
  });
  const sources = [config.sns && 'sns', config.eventBridge && 'eventbridge', config.webhook && 'webhook'].filter(Boolean).join(', ');
  logger.info({ url: gateway.url, sources, temporal: String(connectionOptions.address ?? 'envconfig'), namespace, registry: workerConfig.registryPath }, 'cellops alarm gateway listening');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      gateway
        .close()
        .then(() => connection.close())
        .catch((err: unknown) => logger.error({ err }, 'shutdown failed'));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
