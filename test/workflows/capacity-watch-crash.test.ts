/**
 * Crash and resume: the capacity watch run by real worker processes that are SIGKILLed after
 * every step of its rounds (each utilisation check, once the actions are decided and before
 * they run; each scale-up and customer move, while the watch still holds it in flight), a new
 * process started each time, across two continue-as-new. The watch must take exactly the
 * actions of an uninterrupted run on an identical fleet: none started twice for one cell, none
 * done again.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCapacityWatch } from '../../client/start-procedure';
import type { CapacityDecision, CapacityWatchInput } from '../../domain/procedures/capacity-watch';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { CapacityWatchReport } from '../../workflows/capacity-watch';
import { abortSignal, capacityWatchQuery } from '../../workflows/messages';
import { effects, runOnWorkerProcesses, type CrashRun } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';

let env: TestWorkflowEnvironment;
let bundlePath: string;

beforeAll(async () => {
  env = await createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  bundlePath = await writeBundle(await bundleCellopsWorkflows());
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

afterEach(async () => {
  await terminateRunning(env.client);
});

/** Checks before the operator stops the watch: scale-up, move, move (next run), nothing. */
const CHECKS = 4;

/**
 * cell-001 runs at twice its capacity (250 rps of 1,500 over three equal weights), cell-003 has
 * room to spare (2,000 rps): the watch scales cell-001 up to its largest, then moves customers
 * to cell-003 twice, until cell-001 is under the threshold. Margins wide enough that the few
 * seconds a crash costs change no reading's verdict.
 */
async function hotCellFleet(): Promise<TestFleet> {
  const base = await createTestFleet(env);
  const capacities: Record<string, number> = { 'cell-001': 250, 'cell-003': 2_000 };
  const registry = { ...base.registry, cells: base.registry.cells.map((c) => ({ ...c, capacity: capacities[c.id] ?? c.capacity })) };
  return await createTestFleet(env, { registry });
}

function watchInput(fleet: TestFleet): CapacityWatchInput {
  return {
    registry: fleet.registry,
    requestedBy: 'alice@example.com',
    reason: 'test: watch through crashes',
    // A short interval (an input of the test, not a default): rounds of the crash harness skip 10 s.
    options: { intervalSeconds: 120, checksPerRun: 2, thresholdPercent: 90, scaling: { maxPercent: 150 } },
  };
}

/** Stops the watch once it made its checks and nothing is in flight (and it is not held at a pause, so the last kill comes first). */
function stopAfterChecks() {
  let stopped = false;
  return async (handle: WorkflowHandle, progress: ProcedureProgress): Promise<boolean> => {
    if (stopped || progress.state !== 'running') return false;
    const status = await handle.query(capacityWatchQuery);
    if (status.checks < CHECKS || status.inFlight.length > 0) return false;
    await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'end of the test' });
    stopped = true;
    return true;
  };
}

const reportOf = (run: CrashRun): CapacityWatchReport => {
  if (!('result' in run.outcome)) throw run.outcome.error;
  return run.outcome.result as CapacityWatchReport;
};
const describeDecision = (d: CapacityDecision) => `#${d.check} ${d.cellId} ${d.outcome}: ${d.detail}`;

test('killed after every step of its rounds, across continue-as-new, the capacity watch takes exactly the actions of an uninterrupted run', async () => {
  const reference = await hotCellFleet();
  const uninterrupted = await runOnWorkerProcesses({ env, fleet: reference, bundlePath, crash: false, start: () => startCapacityWatch(env.client, watchInput(reference)), answer: stopAfterChecks() });
  await terminateRunning(env.client);
  const crashed = await hotCellFleet();
  const run = await runOnWorkerProcesses({ env, fleet: crashed, bundlePath, crash: true, start: () => startCapacityWatch(env.client, watchInput(crashed)), answer: stopAfterChecks() });

  const expected = reportOf(uninterrupted);
  const got = reportOf(run);
  console.log(`capacity watch killed after: ${run.killedAfter.join(', ')}\n${got.watch.decisions.map(describeDecision).join('\n')}`);

  // The rounds the reference took: scale cell-001 up, then move its customers twice, the second move in the next run.
  expect(expected.watch.decisions.filter((d) => d.outcome !== 'skipped').map((d) => `#${d.check} ${d.outcome} ${d.action?.kind}`)).toEqual([
    '#1 started scale-up',
    '#1 done scale-up',
    '#2 started move-customers',
    '#2 done move-customers',
    '#3 started move-customers',
    '#3 done move-customers',
  ]);
  // Killed after each check (actions decided, not yet run) and each action, in each of the three
  // runs. The pause after a run's last step (move-customers-cell-001-2, check-4) holds the run it
  // continued as, so that kill comes before the new run's first step.
  expect(run.killedAfter).toEqual(['check-1', 'scale-up-cell-001-1', 'check-2', '(before the first step)', 'check-3', 'move-customers-cell-001-3', '(before the first step)']);
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // The same decisions, none started twice for one cell, none done twice.
  expect(got).toMatchObject({ outcome: 'aborted', watch: { state: 'stopped', checks: CHECKS, inFlight: [] } });
  expect(got.watch.decisions.map(describeDecision)).toEqual(expected.watch.decisions.map(describeDecision));
  const open = new Set<string>();
  for (const d of got.watch.decisions) {
    if (d.outcome === 'started') {
      expect(open.has(d.cellId)).toBe(false);
      open.add(d.cellId);
    } else if (d.outcome !== 'skipped') open.delete(d.cellId);
  }
  // The fleet as the uninterrupted run left it, each side effect once.
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'UpdateStack' })).toBe(1);
  expect(crashed.calls.count({ service: 'hooks', command: 'migrateCustomers' })).toBe(2);
  expect(crashed.fleet.customers()).toEqual(reference.fleet.customers());
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.stack('shop-cell-001')?.parameters).toMatchObject({ CapacityPercent: '150' });
}, 600_000);
