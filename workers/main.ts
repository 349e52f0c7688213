/**
 * The worker process: `npx tsx workers/main.ts`. Configuration comes from the environment
 * (`workers/config.ts`); with nothing configured it starts the embedded dev server on
 * localhost:7233 and runs on the simulated fleet of `cells.example.yaml`.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createWebhookHooks, type ApplicationHooks } from '../activities/hooks';
import type { ActivityDeps } from '../activities';
import { loadRegistry } from '../domain/registry';
import { createSimulatedFleet, createSimulatedHooks } from '../simulator';
import { loadWorkerConfig } from './config';
import { createCellopsWorker } from './create-worker';
import { startEmbeddedDevServer } from './embedded-dev-server';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const registry = await loadRegistry(config.registryPath);
  const server = config.temporal.kind === 'embedded' ? await startEmbeddedDevServer(config.temporal) : undefined;
  const connectionOptions = config.temporal.kind === 'configured' ? config.temporal.connectionOptions : { address: server?.address };
  const namespace = config.temporal.namespace;

  let aws: ActivityDeps;
  let hooks: ApplicationHooks | undefined;
  if (config.aws === 'simulator') {
    const sim = createSimulatedFleet({ registry, seed: config.simulatorSeed });
    aws = sim.clients;
    if (config.hooks.kind === 'simulator') hooks = createSimulatedHooks(sim.fleet);
  } else {
    const region = process.env.AWS_REGION ?? registry.fleet.region;
    aws = { cloudFormation: new CloudFormationClient({ region }), route53: new Route53Client({ region }), cloudWatch: new CloudWatchClient({ region }) };
  }
  if (config.hooks.kind === 'webhook') hooks = createWebhookHooks(config.hooks);

  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  const client = new Client({ connection: clientConnection, namespace });
  const workers = await createCellopsWorker({ connection, namespace, client, aws, hooks });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
  console.log(`cellops worker: Temporal ${server ? `${server.address} (embedded dev server)` : String(connectionOptions.address)}, AWS ${config.aws}, registry ${config.registryPath}`);
  try {
    await workers.run();
  } finally {
    await clientConnection.close();
    await connection.close();
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
