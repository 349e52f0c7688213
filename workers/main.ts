/**
 * The worker process: `npx tsx workers/main.ts`. Configuration comes from the environment
 * (`workers/config.ts`); with nothing configured it starts the embedded dev server on
 * localhost:7233 and runs on the simulated fleet of `cells.example.yaml`.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createNotifyOnlyHooks, createWebhookHooks, type ApplicationHooks } from '../activities/hooks';
import type { ActivityDeps } from '../activities';
import { loadRegistry } from '../domain/registry';
import { createSimulatedFleet, createSimulatedHooks } from '../simulator';
import { createAwsClientPool, describeAwsReach, verifyIdentities, type AwsClientPool } from './aws-clients';
import { assertHooksBackend, loadWorkerConfig } from './config';
import { createCellopsWorker } from './create-worker';
import { startEmbeddedDevServer } from './embedded-dev-server';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  assertHooksBackend(config);
  const registry = await loadRegistry(config.registryPath);
  const server = config.temporal.kind === 'embedded' ? await startEmbeddedDevServer(config.temporal) : undefined;
  const connectionOptions = config.temporal.kind === 'configured' ? config.temporal.connectionOptions : { address: server?.address };
  const namespace = config.temporal.namespace;

  let aws: ActivityDeps;
  let hooks: ApplicationHooks | undefined;
  let pool: AwsClientPool | undefined;
  if (config.aws === 'simulator') {
    const sim = createSimulatedFleet({ registry, seed: config.simulatorSeed });
    aws = sim.clients;
    if (config.hooks.kind === 'simulator') hooks = createSimulatedHooks(sim.fleet);
  } else {
    pool = createAwsClientPool({ registry });
    aws = { clients: pool };
    for (const line of [...describeAwsReach(registry), ...(await verifyIdentities(pool, registry))]) console.log(`cellops worker AWS ${line}`);
  }
  if (config.hooks.kind === 'webhook') hooks = createWebhookHooks(config.hooks);
  if (config.hooks.kind === 'notify-only') {
    const topicArn = registry.fleet.notificationTopicArn;
    hooks = createNotifyOnlyHooks({ topicArn, sns: topicArn === undefined ? undefined : pool?.sns() });
    console.log(`cellops worker hooks: notify-only (${topicArn === undefined ? 'logged only: the registry names no fleet.notificationTopicArn' : `logged and published to ${topicArn}`}; data hooks refused)`);
  }

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
    pool?.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
