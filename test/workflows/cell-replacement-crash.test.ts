/**
 * Crash and resume: cell replacement run by real worker processes that are SIGKILLed after
 * every step the procedure completes, a new process started each time, against a simulated
 * fleet that lives on in the test process (bridged over loopback HTTP), on the shared harness
 * (test/helpers/crash-and-resume.ts). The run must end with exactly the side effects of an
 * uninterrupted run on an identical fleet.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import { effects, runOnWorkerProcesses, type CrashRun } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';
import { decide, startReplacement } from './cell-replacement.helpers';

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

async function failingFleet(): Promise<TestFleet> {
  const fleet = await createTestFleet(env);
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
  return fleet;
}

/** Replaces cell-002 on worker processes; its first step (the permit) makes no fleet call, so it is also paused at its start. */
async function replace(fleet: TestFleet, crash: boolean): Promise<CrashRun> {
  return await runOnWorkerProcesses({
    env,
    fleet,
    bundlePath,
    crash,
    pauseAtStart: true,
    start: () => startReplacement(env, fleet, 'cell-002'),
    answer: async (handle, progress) => {
      if (progress.pendingApproval?.step !== 'decommission') return false;
      await decide(handle, 'decommission', true);
      return true;
    },
  });
}

const reportOf = (run: CrashRun): CellReplacementReport | undefined => ('result' in run.outcome ? (run.outcome.result as CellReplacementReport) : undefined);

test('killed after every step, the replacement ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical fleets with cell-002 failing
  const reference = await failingFleet();
  const uninterrupted = await replace(reference, false);
  await terminateRunning(env.client);
  const crashed = await failingFleet();

  // WHEN the second is replaced by worker processes killed after each step
  const run = await replace(crashed, true);

  // THEN a worker process died after every step but the last (the permit release makes no fleet
  // call); the first kill came after the permit step or, if the pause overtook it, before it
  const steps = reportOf(uninterrupted)?.steps.map((s) => s.name) ?? [];
  console.log(`killed after: ${run.killedAfter.join(', ')}`);
  expect(['acquire-drain-permit', '(before the first step)']).toContain(run.killedAfter[0]);
  expect(run.killedAfter.slice(1)).toEqual(steps.slice(1, -1));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way
  expect(reportOf(run)).toMatchObject({ outcome: 'completed', cellEndState: 'decommissioned' });
  expect(reportOf(run)?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(reportOf(uninterrupted)?.steps.map((s) => `${s.name}:${s.status}`));
  // AND did exactly the same things to the fleet, in the same order, each once
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.customers()).toEqual(reference.fleet.customers());
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status]));
  expect(crashed.fleet.alarms().map((a) => a.name).sort()).toEqual(reference.fleet.alarms().map((a) => a.name).sort());
  const hooks = (f: TestFleet) => {
    const h = f.fleet.hooks();
    return { backups: h.backups.length, migrations: h.migrations.length, notifications: h.notifications.map((n) => n.subject) };
  };
  expect(hooks(crashed)).toEqual(hooks(reference));
  // A worker process is started after every step: minutes on a busy machine (the limit guards against a hang only).
}, 1_200_000);
