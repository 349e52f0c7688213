/**
 * Crash and resume: cell replacement run by real worker processes that are SIGKILLed after
 * every step the procedure completes, a new process started each time, against a simulated
 * fleet that lives on in the test process (bridged over loopback HTTP). The run must end with
 * exactly the side effects of an uninterrupted run on an identical fleet.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import type { ApplicationHooks } from '../../activities/hooks';
import { StepAttribute } from '../../domain/search-attributes';
import { createSimulatedHooks, type RecordedCall, type SimulatedClients } from '../../simulator';
import { serveSimulatedFleet } from '../../simulator/bridge';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createTestFleet, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { spawnWorkerProcess, writeBundle } from '../helpers/worker-process';
import { changeSequence, decide, startReplacement } from './cell-replacement.helpers';

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

const TERMINAL = ['completed', 'failed', 'aborted'];

interface Run {
  report: CellReplacementReport;
  /** The steps after which a worker process was killed. */
  killedAfter: string[];
  processes: number;
}

type Gate = () => Promise<void>;

/** The fleet's clients and hooks, each call first passing `gate`. */
function gated(fleet: TestFleet, gate: Gate): { clients: SimulatedClients; hooks: ApplicationHooks } {
  const client = <C extends { send: (...args: never[]) => unknown }>(c: C): C =>
    ({ send: async (...args: Parameters<C['send']>) => (await gate(), await (c.send as (...a: unknown[]) => Promise<unknown>)(...args)) }) as unknown as C;
  const { cloudFormation, route53, cloudWatch } = fleet.clients;
  const hooks = createSimulatedHooks(fleet.fleet);
  const gatedHooks = Object.fromEntries(
    Object.entries(hooks).map(([name, hook]) => [name, async (input: unknown) => (await gate(), await (hook as (i: unknown) => Promise<unknown>)(input))]),
  ) as unknown as ApplicationHooks;
  return { clients: { cloudFormation: client(cloudFormation), route53: client(route53), cloudWatch: client(cloudWatch) }, hooks: gatedHooks };
}

const PAUSE = { requestedBy: 'crash-test', reason: 'hold after this step, so its worker can be killed' };

/**
 * Runs a replacement of cell-002 on `fleet` with worker processes. With `crash`, the procedure
 * is paused (the product's own `pause`) as soon as each step makes its first fleet call, so it
 * holds once that step is done; the worker process is then SIGKILLed with nothing in flight, a
 * new one started, and the procedure resumed. (A kill in the middle of an activity would cost
 * the activity's whole timeout in real time: a running activity holds a time-skipping clock.)
 */
async function runReplacement(fleet: TestFleet, crash: boolean): Promise<Run> {
  let handle: WorkflowHandle | undefined;
  let lastStep: string | undefined;
  const gate: Gate = async () => {
    if (!crash || handle === undefined) return;
    const step = (await handle.describe()).typedSearchAttributes.get(StepAttribute);
    if (step === undefined || step === lastStep) return;
    lastStep = step;
    await handle.signal(pauseSignal, PAUSE);
  };
  const { clients, hooks } = gated(fleet, gate);
  const bridge = await serveSimulatedFleet({ clients, hooks, clock: fleet.clock });
  const spawn = () => spawnWorkerProcess({ address: env.address, namespace: env.namespace ?? 'default', bridgeUrl: bridge.url, bundlePath });
  let worker = await spawn();
  let processes = 1;
  const killedAfter: string[] = [];
  try {
    handle = await startReplacement(env, fleet, 'cell-002');
    // The permit step makes no fleet call: a pause sent now holds the procedure after it (or, when
    // the signal comes first, before it: then the first kill is before any step).
    if (crash) await handle.signal(pauseSignal, PAUSE);
    for (let round = 0; round < 1_000; round++) {
      const progress = await handle.query(progressQuery);
      if (TERMINAL.includes(progress.state)) break;
      if (progress.pendingApproval?.step === 'decommission') {
        await decide(handle, 'decommission', true);
        continue;
      }
      // No step running and not finished: it holds at the pause, between two steps (or before the first).
      const between = progress.steps.every((s) => s.status !== 'running') && (progress.steps.length > 0 || progress.state === 'paused');
      if (crash && between) {
        await worker.kill();
        killedAfter.push(progress.steps[progress.steps.length - 1]?.name ?? '(before the first step)');
        worker = await spawn();
        processes += 1;
        await handle.signal(resumeSignal);
        continue;
      }
      await env.sleep(10_000);
    }
    return { report: (await handle.result()) as CellReplacementReport, killedAfter, processes };
  } finally {
    await worker.stop();
    await bridge.close();
  }
}

/** The calls that changed something (ok, and not answered from an earlier call's result), by what they did. */
function effects(calls: RecordedCall[]): string[] {
  return changeSequence(calls.filter((c) => c.outcome === 'ok' && !c.replayed)).filter((entry) => !entry.startsWith('reads'));
}

test('killed after every step, the replacement ends with exactly the side effects of an uninterrupted run', async () => {
  // GIVEN two identical fleets with cell-002 failing
  const reference = await createTestFleet(env);
  reference.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
  const uninterrupted = await runReplacement(reference, false);
  await terminateRunning(env.client);
  const crashed = await createTestFleet(env);
  crashed.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });

  // WHEN the second is replaced by worker processes killed after each step
  const run = await runReplacement(crashed, true);

  // THEN a worker process died after every step but the last (the permit release makes no fleet
  // call); the first kill came after the permit step or, if the pause overtook it, before it
  const steps = uninterrupted.report.steps.map((s) => s.name);
  expect(['acquire-drain-permit', '(before the first step)']).toContain(run.killedAfter[0]);
  expect(run.killedAfter.slice(1)).toEqual(steps.slice(1, -1));
  expect(run.processes).toBe(run.killedAfter.length + 1);
  // AND it completed the same way
  expect(run.report).toMatchObject({ outcome: 'completed', cellEndState: 'decommissioned' });
  expect(run.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(uninterrupted.report.steps.map((s) => `${s.name}:${s.status}`));
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
