import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRegistryText, type Registry } from '../../domain/registry';
import { createSimulatedFleet, VirtualClock, type SimulatedFleetRun, type SimulatorTiming } from '../../simulator';

/** The example registry: three cells (cell-001..003) behind cells.shop.example.com. in Z0CELLOPS00001. */
export const registry: Registry = parseRegistryText(readFileSync(resolve(__dirname, '../../cells.example.yaml'), 'utf8'));

export const ZONE = 'Z0CELLOPS00001';
export const CELLS_NAME = 'cells.shop.example.com.';

/** Durations short and distinct enough to observe each status on a virtual clock. */
export const TEST_TIMING: SimulatorTiming = {
  stackCreateMs: 1_000,
  stackUpdateMs: 1_000,
  stackCleanupMs: 200,
  stackRollbackMs: 500,
  stackDeleteMs: 800,
  changePropagationMs: 500,
  dnsLagMs: 1_000,
  alarmFirstEvaluationMs: 1_000,
  alarmStateOverrideMs: 30_000,
  responseDelayMs: 0,
};

export interface Simulation extends SimulatedFleetRun {
  clock: VirtualClock;
}

/** A fleet from the example registry on a virtual clock. */
export function simulate(
  options: { seed?: number | string; timing?: Partial<SimulatorTiming>; requestsPerSecond?: number; registry?: Registry; start?: number | string } = {},
): Simulation {
  const clock = new VirtualClock(options.start);
  const run = createSimulatedFleet({
    registry: options.registry ?? registry,
    seed: options.seed ?? 42,
    clock,
    timing: { ...TEST_TIMING, ...options.timing },
    requestsPerSecond: options.requestsPerSecond,
  });
  return { ...run, clock };
}

/** The error a promise rejects with; fails the test if it resolves or rejects with a non-Error. */
export async function errorOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const resolved = Symbol('resolved');
  const outcome: unknown = await promise.then(
    () => resolved,
    (err: unknown) => err,
  );
  if (outcome === resolved) throw new Error('expected a rejection, but the call resolved');
  if (!(outcome instanceof Error)) throw new Error(`expected an Error, got ${String(outcome)}`);
  return outcome as Error & Record<string, unknown>;
}

/** A weighted record of the cells' group, as an UPSERT/CREATE/DELETE would carry it. */
export function cellRecord(setIdentifier: string, weight: number, value = `${setIdentifier}.shop.example.com`) {
  return { Name: CELLS_NAME, Type: 'CNAME' as const, SetIdentifier: setIdentifier, Weight: weight, TTL: 60, ResourceRecords: [{ Value: value }] };
}
