import type { Registry } from '../domain/registry/schema';
import { CallLog } from './calls';
import { createSimulatedClients, type SimulatedClients } from './clients';
import { realClock, type SimClock } from './clock';
import { createFleetApi, type SimulatedFleet } from './fleet';
import { FleetModel } from './model/fleet-model';
import { resolveTiming, type SimulatorTiming } from './timing';

/** What a simulated fleet is built from. */
export interface SimulatedFleetOptions {
  /** The fleet to simulate: its cells' stacks, records, alarms and metrics are created up front. */
  registry: Registry;
  /** Makes ids and metric noise repeatable: the same seed and calls give the same run. */
  seed: number | string;
  /** Default: real time. Tests pass a `VirtualClock`. */
  clock?: SimClock;
  /** Operation durations; default {@link DEFAULT_TIMING} ("real-ish", seconds). */
  timing?: Partial<SimulatorTiming>;
  /** Fleet-wide requests per second. Default: half the cells' total capacity. */
  requestsPerSecond?: number;
  /** Account id in ARNs. Default 123456789012. */
  accountId?: string;
}

/** What `createSimulatedFleet` returns. */
export interface SimulatedFleetRun {
  /** Real SDK v3 clients answered by the simulator; pass them wherever AWS clients are expected. */
  clients: SimulatedClients;
  /** Inspection and faults. */
  fleet: SimulatedFleet;
  /** Every call made through `clients` (and the simulated hooks). */
  calls: CallLog;
}

/**
 * A simulated cell fleet behind fake CloudFormation, Route 53 and CloudWatch clients. Each
 * registry cell starts with its stack (CREATE_COMPLETE, with its parameters and the restart
 * parameter), its weighted record and its alarms; the router's records exist too. Traffic
 * follows the weights, metrics follow each cell's health, and faults can be injected.
 */
export function createSimulatedFleet(options: SimulatedFleetOptions): SimulatedFleetRun {
  const model = new FleetModel({
    registry: options.registry,
    seed: options.seed,
    clock: options.clock ?? realClock,
    timing: resolveTiming(options.timing),
    requestsPerSecond: options.requestsPerSecond,
    accountId: options.accountId,
  });
  const calls = new CallLog();
  return { clients: createSimulatedClients(model, calls), fleet: createFleetApi(model, calls), calls };
}
