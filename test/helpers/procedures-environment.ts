/**
 * @module A procedures environment: a Temporal server (see test-environment.ts), a simulated
 * fleet per test on a virtual clock that follows the server's time, and the real cellops
 * worker (`createCellopsWorker`) wired to it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TokenBucket } from '../../activities/rate-limit';
import type { ProcedureInput } from '../../domain/procedures/input';
import { parseRegistryText, type Registry } from '../../domain/registry';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { createSimulatedFleet, createSimulatedHooks, VirtualClock, type SimulatedFleetOptions, type SimulatedFleetRun } from '../../simulator';
import { createCellopsWorker, type CellopsWorkers } from '../../workers/create-worker';
import { followServerTime } from '../../workers/follow-server-time';
import { readFileSync } from 'node:fs';
import { createTimeSkippingTestEnvironment } from './test-environment';
import path from 'node:path';

/** The example fleet (three cells, the example policies). */
export function exampleRegistry(): Registry {
  const file = path.resolve(__dirname, '../../cells.example.yaml');
  return parseRegistryText(readFileSync(file, 'utf8'), file);
}

/** The search attributes every procedure sets. */
export const PROCEDURE_SEARCH_ATTRIBUTES = [CellIdAttribute, ProcedureAttribute, StepAttribute];

/** Bundles `workflows/` once per test file. */
export async function bundleCellopsWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg), log() {} },
  });
}

/** Keeps a virtual clock at or after the server's time (shared with the demonstration). */
export { followServerTime };

/** One test's fleet: the simulator, its clock and the registry it was built from. */
export interface TestFleet extends SimulatedFleetRun {
  clock: VirtualClock;
  registry: Registry;
  /** A procedure input for `cellId` on this fleet. */
  input(cellId: string, overrides?: Partial<ProcedureInput>): ProcedureInput;
}

/**
 * A fleet whose clock starts at the server's current time, first skipped (on a time-skipping
 * server) to the start of the next minute: procedures pace their traffic readings by whole
 * minutes, so a run that starts on a whole minute reads the same minutes since the fleet was
 * created, and with the fleet's seed the same metrics, whatever second of the wall clock the test
 * began at.
 */
export async function createTestFleet(env: TestWorkflowEnvironment, options: Partial<SimulatedFleetOptions> = {}): Promise<TestFleet> {
  const registry = options.registry ?? exampleRegistry();
  const clock = new VirtualClock(await startOfNextMinute(env));
  const sim = createSimulatedFleet({ seed: 'procedures', requestsPerSecond: 1_500, ...options, registry, clock });
  return {
    ...sim,
    clock,
    registry,
    input: (cellId, overrides = {}) => ({ cellId, reason: 'test: cell-level alarm', requestedBy: 'alice@example.com', registry, ...overrides }),
  };
}

/** Skips a time-skipping server to the start of its next minute; returns the server's time after. */
async function startOfNextMinute(env: TestWorkflowEnvironment): Promise<number> {
  if (!env.supportsTimeSkipping) return await serverTime(env);
  const now = await serverTime(env);
  await env.sleep(Math.floor(now / 60_000) * 60_000 + 60_000 - now);
  return await serverTime(env);
}

/** The server's time: virtual on a time-skipping server, wall-clock otherwise. */
export async function serverTime(env: TestWorkflowEnvironment): Promise<number> {
  try {
    return Math.max(Date.now(), await env.currentTimeMs());
  } catch {
    return Date.now();
  }
}

/** The cellops workers on `fleet`: AWS activities on its clients and clock, the simulated hooks. */
export async function createFleetWorkers(
  env: TestWorkflowEnvironment,
  fleet: TestFleet,
  options: { bundle: WorkflowBundleWithSourceMap; taskQueue?: string; client?: Client },
): Promise<CellopsWorkers> {
  const { clock } = fleet;
  return await createCellopsWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    client: options.client ?? env.client,
    aws: {
      ...fleet.clients,
      sleep: clock.sleep,
      clock: clock.now,
      route53Limiter: new TokenBucket({ ratePerSecond: 5, clock: clock.now, sleep: clock.sleep }),
    },
    hooks: createSimulatedHooks(fleet.fleet),
    workflowBundle: options.bundle,
    taskQueue: options.taskQueue,
    activityInterceptors: [followServerTime(clock)],
    identity: `test-worker-${randomUUID().slice(0, 8)}`,
  });
}

/** Terminates every workflow still running (one test must not leave a cell in recovery for the next). */
export async function terminateRunning(client: Client): Promise<void> {
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await client.workflow.getHandle(execution.workflowId, execution.runId).terminate('test cleanup').catch(() => undefined);
  }
}

/** What a procedure test file needs from its environment. */
export interface ProcedureTestEnvironment {
  /** The time-skipping environment (valid inside tests, after `beforeAll`). */
  readonly env: TestWorkflowEnvironment;
  /** The cellops workflows' bundle (after `beforeAll`). */
  readonly bundle: WorkflowBundleWithSourceMap;
  /** Runs `body` with the cellops workers on `fleet` polling. */
  withWorkers<T>(fleet: TestFleet, body: () => Promise<T>): Promise<T>;
}

/**
 * Sets up, for the enclosing test file or `describe`, a time-skipping environment with the
 * procedures' search attributes and the workflows' bundle (`beforeAll`, torn down in
 * `afterAll`), and terminates whatever a test left running (`afterEach`).
 */
export function useProcedureTestEnvironment(): ProcedureTestEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
    bundle = await bundleCellopsWorkflows();
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });
  afterEach(async () => {
    if (env) await terminateRunning(env.client);
  });
  const ready = (): { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap } => {
    if (!env || !bundle) throw new Error('the procedure test environment is not set up yet (use it inside tests)');
    return { env, bundle };
  };
  return {
    get env() {
      return ready().env;
    },
    get bundle() {
      return ready().bundle;
    },
    async withWorkers<T>(fleet: TestFleet, body: () => Promise<T>): Promise<T> {
      const { env: current, bundle: workflows } = ready();
      const workers = await createFleetWorkers(current, fleet, { bundle: workflows });
      return await workers.runUntil(body);
    },
  };
}
