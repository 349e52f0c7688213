/** The real world of a `cellops` process: the environment's Temporal, registry and fleet. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { loadRegistry } from '../../domain/registry/load-registry';
import type { Registry } from '../../domain/registry/schema';
import { connectSimulatedFleet } from '../../simulator/bridge';
import { loadWorkerConfig } from '../../workers/config';
import { connectTemporal, temporalTargetFromEnv, type TemporalTarget } from '../connect';
import { createAwsFleetReader } from '../data/aws-fleet-reader';
import type { CliDeps, CliIo, ConnectionFlags, FleetReading } from './context';

/** The Temporal target for `flags` over `env`: flags override the environment's address and namespace. */
export function targetFor(env: NodeJS.ProcessEnv, flags: ConnectionFlags): TemporalTarget {
  const overridden = { ...env, ...(flags.address ? { TEMPORAL_ADDRESS: flags.address } : {}), ...(flags.namespace ? { TEMPORAL_NAMESPACE: flags.namespace } : {}) };
  const target = temporalTargetFromEnv(overridden, flags.profile);
  return flags.address ? { ...target, source: '--address' } : target;
}

/** Live fleet values: the simulator's bridge (CELLOPS_SIMULATOR_URL), real AWS, or none (and why). */
export async function fleetReaderFor(env: NodeJS.ProcessEnv, registry: Registry): Promise<FleetReading> {
  if (env.CELLOPS_SIMULATOR_URL) {
    const bridged = await connectSimulatedFleet(env.CELLOPS_SIMULATOR_URL);
    return { reader: createAwsFleetReader(bridged.clients, `the simulated fleet at ${env.CELLOPS_SIMULATOR_URL}`) };
  }
  if (loadWorkerConfig(env).aws === 'aws') {
    const clients = new Map<string, CloudWatchClient>();
    const route53 = new Route53Client({ region: env.AWS_REGION ?? registry.fleet.region });
    const cloudWatch = (region: string): CloudWatchClient => clients.get(region) ?? clients.set(region, new CloudWatchClient({ region })).get(region)!;
    return {
      reader: createAwsFleetReader({ route53, cloudWatch }, 'AWS'),
      close: () => [route53, ...clients.values()].forEach((c) => c.destroy()),
    };
  }
  return { unavailable: 'the simulated fleet lives in the worker process; set CELLOPS_SIMULATOR_URL to its bridge (or AWS credentials for real AWS) to read live weights and alarms' };
}

/** Deps over `process`. */
export function processDeps(io: CliIo): CliDeps {
  const { env } = io;
  return {
    io,
    connect: (flags) => connectTemporal({ target: targetFor(env, flags) }),
    loadRegistry: () => loadRegistry(loadWorkerConfig(env).registryPath),
    fleetReader: (registry) => fleetReaderFor(env, registry),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
