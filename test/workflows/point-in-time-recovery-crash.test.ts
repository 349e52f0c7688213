/**
 * Crash and resume: point-in-time recovery run by real worker processes that are SIGKILLed
 * after every step, a new process started each time, against a simulated fleet that lives on
 * in the test process. The run must end with exactly the side effects of an uninterrupted run
 * on an identical fleet.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startProcedure } from '../../client/start-procedure';
import type { PointInTimeRecoveryReport } from '../../domain/procedures/point-in-time-recovery';
import { effects, runOnWorkerProcesses, type CrashRun } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';
import { decide } from './cell-replacement.helpers';

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

async function corruptedFleet(): Promise<TestFleet> {
  const fleet = await createTestFleet(env);
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30 });
  await env.sleep(6 * 60_000);
  return fleet;
}

async function recover(fleet: TestFleet, crash: boolean): Promise<CrashRun> {
  return await runOnWorkerProcesses({
    env,
    fleet,
    bundlePath,
    crash,
    start: () => startProcedure(env.client, { procedure: 'pointInTimeRecovery', input: fleet.input('cell-002') }),
    answer: async (handle, progress) => {
      if (progress.pendingApproval?.step !== 'promote') return false;
      await decide(handle, 'promote', true);
      return true;
    },
  });
}

const reportOf = (run: CrashRun): PointInTimeRecoveryReport | undefined => ('result' in run.outcome ? (run.outcome.result as PointInTimeRecoveryReport) : undefined);

test('killed after every step, point-in-time recovery ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical fleets whose cell-002 data went bad
  const reference = await corruptedFleet();
  const uninterrupted = await recover(reference, false);
  await terminateRunning(env.client);
  const crashed = await corruptedFleet();

  // WHEN the second is recovered by worker processes killed after each step
  const run = await recover(crashed, true);

  // THEN a worker process died after every step that touched the fleet (the permit steps talk only to the guard)
  const steps = reportOf(uninterrupted)?.steps.map((s) => s.name) ?? [];
  console.log(`killed after: ${run.killedAfter.join(', ')}`);
  expect(run.killedAfter).toEqual(steps.filter((s) => !['acquire-drain-permit', 'release-drain-permit', 'notify-recovered'].includes(s)));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way, with the same recovery point and data-loss window
  expect(reportOf(run)).toMatchObject({ outcome: 'completed', pointInTime: { recoveryEnvironment: 'promoted' } });
  expect(reportOf(run)?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(reportOf(uninterrupted)?.steps.map((s) => `${s.name}:${s.status}`));
  // AND did exactly the same things to the fleet, in the same order, each once
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'CreateStack' })).toBe(1);
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.customers()).toEqual(reference.fleet.customers());
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status]));
  // (the two runs happen at different times: the times in the subjects differ)
  const subjects = (f: TestFleet) => f.fleet.hooks().notifications.map((n) => n.subject.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'));
  expect(subjects(crashed)).toEqual(subjects(reference));
}, 900_000);
