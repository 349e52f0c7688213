/**
 * The alarm gateway process: `npm run gateway`. Temporal is found as by every cellops process
 * (`client/connect.ts`: `TEMPORAL_ADDRESS`, profiles etc. through envconfig, else the local dev
 * server); the registry as for the worker (`CELLOPS_REGISTRY`); the gateway's own settings are in
 * `config.ts`.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import pino from 'pino';
import { loadRegistry } from '../../domain/registry';
import { loadWorkerConfig } from '../../workers/config';
import { connectTemporal } from '../connect';
import { loadConsoleConfig } from '../console/config';
import { consolePlugin } from '../console/plugin';
import { createAwsFleetReader } from '../data/aws-fleet-reader';
import { loadGatewayConfig } from './config';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const consoleConfig = loadConsoleConfig();
  const workerConfig = loadWorkerConfig();
  const registryPath = workerConfig.registryPath;
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
    // The operator console at /console, on the same client.
    register: consoleConfig.enabled
      ? async (app) => {
          await app.register(consolePlugin, {
            prefix: '/console',
            client: temporal.client,
            registry,
            webUiUrl: config.webUiBaseUrl,
            access: consoleConfig.access,
            ...(workerConfig.aws === 'aws'
              ? { fleetReader: createAwsFleetReader({ route53: new Route53Client({}), cloudWatch: new CloudWatchClient({ region: registry.fleet.region }) }, `AWS (${registry.fleet.region})`) }
              : { fleetUnavailable: 'live weights and alarms are read from AWS (CELLOPS_AWS=aws); the simulated fleet lives in the worker process' }),
          });
        }
      : undefined,
  });
  const sources = [config.sns && 'sns', config.eventBridge && 'eventbridge', config.webhook && 'webhook'].filter(Boolean).join(', ');
  logger.info({ url: gateway.url, console: consoleConfig.enabled ? `${gateway.url}/console` : 'off', sources, temporal: temporal.target.address, namespace: temporal.target.namespace, registry: registryPath }, 'cellops alarm gateway listening');
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
