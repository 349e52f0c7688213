/**
 * Crash and resume: wave deployment run by real worker processes that are SIGKILLed after every
 * step (between batches of a wave, after bakes, between rollback batches), a new process started
 * each time, against a simulated fleet that lives on in the test process. The run must end with
 * exactly the side effects of an uninterrupted run on an identical fleet: no cell updated twice.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WaveDeploymentInput, WaveDeploymentReport } from '../../domain/procedures/wave-deployment';
import { effects, runOnWorkerProcesses, type CrashRun } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';
import { V2_TEMPLATE, startDeployment, stackUpdates } from './wave-deployment.helpers';

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

/** Two cells in wave 1, updated one at a time: a kill lands between them. */
const PLAN: Partial<WaveDeploymentInput> = { waves: [['cell-003'], ['cell-002', 'cell-001']], maxConcurrent: 1, canaryBakeSeconds: 180, bakeSeconds: 180 };

const reportOf = (outcome: CrashRun['outcome']): WaveDeploymentReport | undefined => {
  if ('result' in outcome) return outcome.result as WaveDeploymentReport;
  const details = (outcome.error as { cause?: { details?: unknown[] } }).cause?.details;
  return details?.[0] as WaveDeploymentReport | undefined;
};

async function compare(prepare: (fleet: TestFleet) => void): Promise<{ run: CrashRun; reference: TestFleet; crashed: TestFleet; uninterrupted: CrashRun }> {
  const reference = await createTestFleet(env);
  prepare(reference);
  const uninterrupted = await runOnWorkerProcesses({ env, fleet: reference, bundlePath, crash: false, start: () => startDeployment(env, reference, PLAN) });
  await terminateRunning(env.client);
  const crashed = await createTestFleet(env);
  prepare(crashed);
  const run = await runOnWorkerProcesses({ env, fleet: crashed, bundlePath, crash: true, start: () => startDeployment(env, crashed, PLAN) });
  return { run, reference, crashed, uninterrupted };
}

test('killed after every step, a rollout ends with exactly the side effects of an uninterrupted one, each cell updated once', async () => {
  const { run, reference, crashed, uninterrupted } = await compare(() => undefined);
  const steps = reportOf(uninterrupted.outcome)?.steps.map((s) => s.name) ?? [];
  expect(steps).toEqual(['wave-0-update-0', 'wave-0-bake', 'wave-1-update-0', 'wave-1-update-1', 'wave-1-bake', 'notify-completed']);
  expect(run.killedAfter).toEqual(steps.slice(0, -1));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  expect(reportOf(run.outcome)?.deployment.outcome).toBe('completed');
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(stackUpdates(crashed)).toEqual(['shop-cell-003 cell-v2.yaml/m7g.xlarge', 'shop-cell-002 cell-v2.yaml/m7g.xlarge', 'shop-cell-001 cell-v2.yaml/m7g.xlarge']);
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status, s.templateUrl])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status, s.templateUrl]));
}, 500_000);

test('killed after every step of a failing rollout, each cell is updated once and rolled back once', async () => {
  const bad = (fleet: TestFleet) => void fleet.fleet.inject({ kind: 'bad-version', templateUrl: V2_TEMPLATE, cellIds: ['cell-001'] });
  const { run, reference, crashed } = await compare(bad);
  expect(reportOf(run.outcome)?.deployment).toMatchObject({ outcome: 'rolled-back', cellsRolledBack: 3, failedCriterion: { cellId: 'cell-001' } });
  // Compensation (the rollback) does not hold at a pause: the kills come before it.
  expect(run.killedAfter).toEqual(['wave-0-update-0', 'wave-0-bake', 'wave-1-update-0', 'wave-1-update-1']);
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(stackUpdates(crashed)).toEqual([
    'shop-cell-003 cell-v2.yaml/m7g.xlarge',
    'shop-cell-002 cell-v2.yaml/m7g.xlarge',
    'shop-cell-001 cell-v2.yaml/m7g.xlarge',
    'shop-cell-001 cell.yaml/m7g.large',
    'shop-cell-002 cell.yaml/m7g.large',
    'shop-cell-003 cell.yaml/m7g.large',
  ]);
}, 500_000);
