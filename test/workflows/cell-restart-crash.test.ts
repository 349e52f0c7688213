/**
 * Crash and resume: the cell restart run by real worker processes that are SIGKILLed after
 * every runbook step, a new process taking over from the history each time, against a simulated
 * fleet that lives on in the test process (bridged over loopback HTTP), on the shared harness
 * (test/helpers/crash-and-resume.ts: held at each step boundary with the procedure's own
 * `pause`, so nothing is in flight when the process dies). The run must end with exactly the
 * side effects of an uninterrupted run on an identical fleet.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
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

async function restart(fleet: TestFleet, crash: boolean): Promise<CrashRun> {
  return await runOnWorkerProcesses({ env, fleet, bundlePath, crash, start: () => startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') }) });
}

const reportOf = (run: CrashRun): ProcedureReport | undefined => ('result' in run.outcome ? (run.outcome.result as ProcedureReport) : undefined);

test('killed after every step, the restart ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical healthy fleets
  const reference = await createTestFleet(env);
  const uninterrupted = await restart(reference, false);
  await terminateRunning(env.client);
  const crashed = await createTestFleet(env);

  // WHEN cell-002 of the second is restarted by worker processes killed after each step
  const run = await restart(crashed, true);

  // THEN a worker process died after every step that touched the fleet (the permit steps talk only to the guard)
  const steps = reportOf(uninterrupted)?.steps.map((s) => s.name) ?? [];
  console.log(`killed after: ${run.killedAfter.join(', ')}`);
  expect(run.killedAfter).toEqual(steps.filter((s) => s !== 'acquire-drain-permit' && s !== 'release-drain-permit'));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way
  expect(reportOf(run)?.outcome).toBe('completed');
  expect(reportOf(run)?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(reportOf(uninterrupted)?.steps.map((s) => `${s.name}:${s.status}`));
  // AND did exactly the same things to the fleet, in the same order, each once
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'UpdateStack' })).toBe(1);
  expect(crashed.calls.count({ command: 'ChangeResourceRecordSets', outcome: 'ok' })).toBe(8);
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status]));
  expect(crashed.fleet.stack('shop-cell-002')?.status).toBe('UPDATE_COMPLETE');
  // A worker process is started after every step: minutes on a busy machine (the limit guards against a hang only).
}, 1_200_000);
