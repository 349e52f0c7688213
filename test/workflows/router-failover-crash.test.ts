/**
 * Crash and resume: router failover run by real worker processes that are SIGKILLed after
 * every step, a new process started each time, against a simulated fleet that lives on in the
 * test process. The run must end with exactly the side effects of an uninterrupted run on an
 * identical fleet.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RouterFailoverReport } from '../../domain/procedures/router-failover';
import { effects, runOnWorkerProcesses } from '../helpers/crash-and-resume';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { writeBundle } from '../helpers/worker-process';
import { letFaultShow, startFailover } from './router-failover.helpers';

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

async function failingRouter(): Promise<TestFleet> {
  const fleet = await createTestFleet(env);
  fleet.fleet.inject({ kind: 'router-failure' });
  await letFaultShow(env);
  return fleet;
}

test('killed after every step, router failover ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical fleets whose primary router fails
  const reference = await failingRouter();
  const uninterrupted = await runOnWorkerProcesses({ env, fleet: reference, bundlePath, crash: false, start: () => startFailover(env, reference) });
  await terminateRunning(env.client);
  const crashed = await failingRouter();

  // WHEN the second is failed over by worker processes killed after each step
  const run = await runOnWorkerProcesses({ env, fleet: crashed, bundlePath, crash: true, start: () => startFailover(env, crashed) });

  // THEN a worker process died after every step that touched the fleet (the approval step touches nothing)
  expect('result' in uninterrupted.outcome && 'result' in run.outcome).toBe(true);
  const reportOf = (outcome: typeof run.outcome) => ('result' in outcome ? (outcome.result as RouterFailoverReport) : undefined);
  const steps = reportOf(uninterrupted.outcome)?.steps.map((s) => s.name) ?? [];
  console.log(`killed after: ${run.killedAfter.join(', ')}`);
  expect(run.killedAfter).toEqual(steps.filter((s) => s !== 'approve-failover' && s !== 'notify-recovered'));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way
  expect(reportOf(run.outcome)).toMatchObject({ outcome: 'completed', router: { routing: 'primary', primaryRecovered: true } });
  expect(reportOf(run.outcome)?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(reportOf(uninterrupted.outcome)?.steps.map((s) => `${s.name}:${s.status}`));
  // AND did exactly the same things to the fleet, in the same order, each once
  expect(effects(crashed.calls.list())).toEqual(effects(reference.calls.list()));
  expect(crashed.calls.count({ command: 'UpdateStack' })).toBe(1);
  expect(crashed.fleet.router()).toEqual(reference.fleet.router());
  expect(crashed.fleet.stacks().map((s) => [s.stackName, s.status])).toEqual(reference.fleet.stacks().map((s) => [s.stackName, s.status]));
  expect(crashed.fleet.hooks().notifications.map((n) => n.subject)).toEqual(reference.fleet.hooks().notifications.map((n) => n.subject));
}, 400_000);
