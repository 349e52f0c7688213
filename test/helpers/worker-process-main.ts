/**
 * A real cellops worker process on a bridged simulated fleet (see simulator/bridge.ts), for the
 * crash-and-resume tests. Env: CELLOPS_TEST_ADDRESS, CELLOPS_TEST_NAMESPACE, CELLOPS_BRIDGE_URL,
 * CELLOPS_BUNDLE_PATH. Prints `ready` once its workers poll; SIGTERM shuts it down gracefully,
 * SIGKILL is the crash.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { TokenBucket } from '../../activities/rate-limit';
import { connectSimulatedFleet } from '../../simulator/bridge';
import { createCellopsWorker } from '../../workers/create-worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = required('CELLOPS_TEST_ADDRESS');
  const namespace = process.env.CELLOPS_TEST_NAMESPACE ?? 'default';
  const fleet = await connectSimulatedFleet(required('CELLOPS_BRIDGE_URL'));
  const followServerTime: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        await fleet.advanceTo(ctx.info.currentAttemptScheduledTimestampMs);
        return await next(input);
      },
    },
  });
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const workers = await createCellopsWorker({
    connection,
    namespace,
    client: new Client({ connection: clientConnection, namespace }),
    aws: {
      ...fleet.clients,
      sleep: fleet.clock.sleep,
      clock: fleet.clock.now,
      route53Limiter: new TokenBucket({ ratePerSecond: 5, clock: fleet.clock.now, sleep: fleet.clock.sleep }),
    },
    hooks: fleet.hooks,
    workflowBundle: { codePath: required('CELLOPS_BUNDLE_PATH') },
    activityInterceptors: [followServerTime],
    identity: `worker-process-${process.pid}`,
  });
  process.once('SIGTERM', () => workers.shutdown());
  const running = workers.run();
  process.stdout.write('ready\n');
  await running;
  await clientConnection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
