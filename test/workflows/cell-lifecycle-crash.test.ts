/**
 * Crash and resume: cell provisioning and decommissioning run by real worker processes that are
 * SIGKILLed after every step, a new process started each time, against a simulated fleet that
 * lives on in the test process. Each run must end with exactly the side effects of an
 * uninterrupted run on an identical fleet.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CellDecommissioningReport, CellProvisioningReport } from '../../domain/procedures/cell-lifecycle';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import { effects, runOnWorkerProcesses, type CrashRun } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';
import { decide } from './cell-replacement.helpers';
import { startDecommissioning, startProvisioning } from './cell-lifecycle.helpers';

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

const resultOf = <R>(run: CrashRun): R | undefined => ('result' in run.outcome ? (run.outcome.result as R) : undefined);
const stepsOf = (report: { steps: { name: string; status: string }[] } | undefined) => report?.steps.map((s) => `${s.name}:${s.status}`);

/** Twice on identical fleets: uninterrupted, then killed after every step. */
async function twice(start: (fleet: TestFleet) => Promise<WorkflowHandle>, answer?: (handle: WorkflowHandle, progress: ProcedureProgress) => Promise<boolean>) {
  const reference = await createTestFleet(env);
  const uninterrupted = await runOnWorkerProcesses({ env, fleet: reference, bundlePath, crash: false, start: () => start(reference), answer });
  await terminateRunning(env.client);
  const crashed = await createTestFleet(env);
  const run = await runOnWorkerProcesses({ env, fleet: crashed, bundlePath, crash: true, start: () => start(crashed), answer });
  return { reference, uninterrupted, crashed, run };
}

test('killed after every step, cell provisioning ends with exactly the side effects of an uninterrupted run', async () => {
  const { reference, uninterrupted, crashed, run } = await twice((fleet) => startProvisioning(env, fleet));

  const expected = resultOf<CellProvisioningReport>(uninterrupted);
  const got = resultOf<CellProvisioningReport>(run);
  console.log(`provisioning killed after: ${run.killedAfter.join(', ')}`);
  // Every step that calls AWS (the lifecycle records go to the fleet guard, not to the fleet).
  expect(run.killedAfter).toEqual(expected?.steps.map((s) => s.name).filter((s) => !['record-provisioning', 'mark-ready'].includes(s)));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  expect(got).toMatchObject({ outcome: 'completed', provisioning: { ready: true } });
  expect(stepsOf(got)).toEqual(stepsOf(expected));
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'CreateStack' })).toBe(1);
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.dashboards()).toEqual(reference.fleet.dashboards());
}, 600_000);

test('killed after every step, cell decommissioning ends with exactly the side effects of an uninterrupted run', async () => {
  const answer = async (handle: WorkflowHandle, progress: ProcedureProgress) => {
    if (progress.pendingApproval?.step !== 'decommission') return false;
    await decide(handle, 'decommission', true);
    return true;
  };
  const { reference, uninterrupted, crashed, run } = await twice((fleet) => startDecommissioning(env, fleet, 'cell-003'), answer);

  const expected = resultOf<CellDecommissioningReport>(uninterrupted);
  const got = resultOf<CellDecommissioningReport>(run);
  console.log(`decommissioning killed after: ${run.killedAfter.join(', ')}`);
  // Every step that calls AWS or a hook (the approval gate notifies); the permit and the records go to the fleet guard.
  const guardOnly = ['acquire-drain-permit', 'record-draining', 'record-decommissioned', 'release-drain-permit'];
  expect(run.killedAfter).toEqual(expected?.steps.map((s) => s.name).filter((s) => !guardOnly.includes(s)));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  expect(got).toMatchObject({ outcome: 'completed', decommissioning: { outcome: { kind: 'decommissioned' } } });
  expect(stepsOf(got)).toEqual(stepsOf(expected));
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'DeleteStack' })).toBe(1);
  expect(crashed.calls.count({ service: 'hooks', command: 'backupCellData' })).toBe(1);
  expect(crashed.fleet.customers()).toEqual(reference.fleet.customers());
}, 600_000);
