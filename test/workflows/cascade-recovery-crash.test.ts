/**
 * Crash and resume: cascade recovery (and the child restarts, replacement and emergency cell it
 * starts) run by real worker processes that are SIGKILLed after every step of the cascade, a new
 * process started each time, against a simulated fleet that lives on in the test process. The run
 * must end with exactly the side effects of an uninterrupted run on an identical fleet.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCascadeRecovery } from '../../client/start-procedure';
import type { CascadeRecoveryReport } from '../../domain/procedures/cascade-recovery';
import { recoveryWorkflowId } from '../../domain/workflow-ids';
import { progressQuery } from '../../workflows/messages';
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

/** cell-002 fails in a way its restart cures, cell-003 in a way only a replacement does. */
async function cascadingFleet(): Promise<TestFleet> {
  const fleet = await createTestFleet(env);
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', curedByRestart: true });
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
  await env.sleep(4 * 60_000);
  return fleet;
}

async function recover(fleet: TestFleet, crash: boolean): Promise<CrashRun> {
  return await runOnWorkerProcesses({
    env,
    fleet,
    bundlePath,
    crash,
    start: () => startCascadeRecovery(env.client, { reason: 'test: cell-002 and cell-003 in ALARM', requestedBy: 'alice@example.com', registry: fleet.registry }),
    answer: async (handle, progress) => {
      if (progress.pendingApproval?.step === 'emergency-capacity') {
        await decide(handle, 'emergency-capacity', true, 'bob@example.com', 'fleet short of capacity');
        return true;
      }
      // cell-003's replacement (its restart handed over) asks to decommission the failed cell
      if (progress.currentStep !== 'recover-cell-003') return false;
      const child = env.client.workflow.getHandle(recoveryWorkflowId('cell-003'));
      const childProgress = await child.query(progressQuery).catch(() => undefined);
      if (childProgress?.pendingApproval?.step !== 'decommission') return false;
      await decide(child, 'decommission', true);
      return true;
    },
  });
}

const reportOf = (run: CrashRun): CascadeRecoveryReport | undefined => ('result' in run.outcome ? (run.outcome.result as CascadeRecoveryReport) : undefined);

test('killed after every step, cascade recovery (a restart, a restart handed over to replacement, an emergency cell) ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical fleets with cell-002 and cell-003 failing
  const reference = await cascadingFleet();
  const uninterrupted = await recover(reference, false);
  await terminateRunning(env.client);
  const crashed = await cascadingFleet();

  // WHEN the second is recovered by worker processes killed after each step of the cascade
  const run = await recover(crashed, true);

  // THEN a worker process died after every step that touched the fleet (the last, the notice, ends the run)
  const steps = reportOf(uninterrupted)?.steps.map((s) => s.name) ?? [];
  console.log(`killed after: ${run.killedAfter.join(', ')}`);
  expect(reportOf(uninterrupted)?.outcome).toBe('completed');
  expect(run.killedAfter).toEqual(steps.filter((s) => s !== 'notify-done'));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way, each cell recovered by the same procedure
  const report = reportOf(run);
  expect(report).toMatchObject({ outcome: 'completed', cascade: { sheddingPercent: 0, openCircuitBreakers: [], emergencyCells: ['shop-eu-cascade-e1'] } });
  expect(report?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(reportOf(uninterrupted)?.steps.map((s) => `${s.name}:${s.status}`));
  const lines = (r: CascadeRecoveryReport | undefined) => r?.cascade.cells.map((l) => [l.cellId, l.procedure, l.outcome, l.childOutcome, l.cellEndState]);
  expect(lines(report)).toEqual(lines(reportOf(uninterrupted)));
  // AND did exactly the same things to the fleet, in the same order, each once
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'CreateStack' })).toBe(2);
  expect(crashed.fleet.weights()).toEqual(reference.fleet.weights());
  expect(crashed.fleet.customers()).toEqual(reference.fleet.customers());
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status]));
  expect(crashed.fleet.stack('shop-router')?.parameters).toEqual(reference.fleet.stack('shop-router')?.parameters);
  // (the two runs happen at different times: the times in the subjects differ)
  const subjects = (f: TestFleet) => f.fleet.hooks().notifications.map((n) => n.subject.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'));
  expect(subjects(crashed)).toEqual(subjects(reference));
}, 1_200_000);
