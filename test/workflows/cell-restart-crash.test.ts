/**
 * Crash and resume: the cell restart runs on real worker processes (simulated fleet hosted in
 * this process, reached over a loopback bridge) and the worker is SIGKILLed after each runbook
 * step, a new process taking over from the history. The run must end with exactly the side
 * effects of an uninterrupted run: same simulator call counts (every command, reads included),
 * same end state of the fleet, same report.
 *
 * A kill happens at the first point after the step where the dying worker holds no task (it is
 * frozen with SIGSTOP, the server asked, and it is killed only if no workflow or activity task
 * was started by it): a task held by a dead worker waits out its timeout in real time, as time
 * skipping stays locked while a task is outstanding, which would make the test take minutes.
 */
import { unlink } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startProcedure } from '../../client/start-procedure';
import type { ProcedureReport } from '../../domain/procedures/report';
import { StepAttribute } from '../../domain/search-attributes';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { createSimulatedHooks } from '../../simulator';
import { serveSimulatedFleet } from '../../simulator/bridge';
import { bundleCellopsWorkflows, createTestFleet, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { spawnWorkerProcess, writeBundle, type WorkerProcess } from '../helpers/worker-process';

// A worker process is started (tsx, the bundle) after every step: minutes on a busy machine. The
// limit guards against a hang only.
jest.setTimeout(1_200_000);

let env: TestWorkflowEnvironment;
let bundlePath: string;

beforeAll(async () => {
  const [created, bundle] = await Promise.all([createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
  env = created;
  bundlePath = await writeBundle(bundle);
});
afterAll(async () => {
  await env?.teardown();
  if (bundlePath) await unlink(bundlePath);
});

const STEPS = ['check-eligibility', 'acquire-drain-permit', 'drain-traffic', 'restart-services', 'wait-stack-stable', 'health-check', 'restore-traffic', 'watch-stability', 'release-drain-permit'];
const STARTED_ACTIVITY = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const STARTED_TASK = temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED;

/** Whether a worker holds a task of the workflow (a started workflow task or activity). */
async function holdsTask(handle: WorkflowHandle): Promise<boolean> {
  const { raw } = await handle.describe();
  if (raw.pendingWorkflowTask?.state === STARTED_TASK) return true;
  return (raw.pendingActivities ?? []).some((a) => a.state === STARTED_ACTIVITY);
}

/** Kills `worker` at the first moment it holds no task of the procedure or the guard. */
async function killWhenIdle(worker: WorkerProcess, handle: WorkflowHandle): Promise<void> {
  const guard = env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID);
  for (;;) {
    worker.freeze();
    const busy = (await holdsTask(handle)) || (await holdsTask(guard).catch(() => false));
    if (!busy) return await worker.kill();
    worker.thaw();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The index of the step the workflow is in (its `Step` attribute), or STEPS.length once closed. */
async function currentStepIndex(handle: WorkflowHandle): Promise<number> {
  const described = await handle.describe();
  if (described.status.name !== 'RUNNING') return STEPS.length;
  const step = described.typedSearchAttributes.get(StepAttribute);
  return step === undefined ? -1 : STEPS.indexOf(step);
}

interface RunResult {
  report: ProcedureReport;
  summary: Record<string, number>;
  weights: Record<string, number>;
  stacks: (string | undefined)[];
  kills: string[];
  processes: number;
}

async function runOnWorkerProcesses(crashAfterEachStep: boolean): Promise<RunResult> {
  const fleet = await createTestFleet(env);
  const bridge = await serveSimulatedFleet({ clients: fleet.clients, hooks: createSimulatedHooks(fleet.fleet), clock: fleet.clock });
  const options = { address: env.address, namespace: env.namespace ?? 'default', bridgeUrl: bridge.url, bundlePath };
  let worker = await spawnWorkerProcess(options);
  let processes = 1;
  const kills: string[] = [];
  try {
    const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    if (crashAfterEachStep) {
      for (let step = 0; step < STEPS.length; step++) {
        let now = await currentStepIndex(handle);
        while (now <= step) {
          await env.sleep(10_000);
          now = await currentStepIndex(handle);
        }
        if (now >= STEPS.length) break;
        await killWhenIdle(worker, handle);
        kills.push(`after ${STEPS[step]} (in ${STEPS[await currentStepIndex(handle)] ?? 'the end'})`);
        worker = await spawnWorkerProcess(options);
        processes++;
      }
    }
    const report = (await handle.result()) as ProcedureReport;
    return {
      report,
      summary: fleet.calls.summary(),
      weights: fleet.fleet.weights(),
      stacks: ['shop-cell-001', 'shop-cell-002', 'shop-cell-003'].map((name) => fleet.fleet.stack(name)?.status),
      kills,
      processes,
    };
  } finally {
    await worker.stop();
    await bridge.close();
    await terminateRunning(env.client);
  }
}

describe('cell restart: crash and resume on real worker processes', () => {
  test('killing the worker after every step gives exactly the side effects of an uninterrupted run', async () => {
    const uninterrupted = await runOnWorkerProcesses(false);
    const crashed = await runOnWorkerProcesses(true);

    // Every step but the last was followed by a kill (consecutive steps without a wait between
    // them share a kill point), and each kill was survived by a fresh process.
    console.log(`kills: ${crashed.kills.join('; ')}`);
    expect(crashed.kills.length).toBeGreaterThanOrEqual(4);
    expect(crashed.processes).toBe(crashed.kills.length + 1);

    expect(crashed.report.outcome).toBe('completed');
    expect(crashed.report.steps.map((s) => [s.name, s.status])).toEqual(uninterrupted.report.steps.map((s) => [s.name, s.status]));
    expect(crashed.summary).toEqual(uninterrupted.summary);
    expect(crashed.summary['cloudformation.UpdateStack ok']).toBe(1);
    expect(crashed.summary['route53.ChangeResourceRecordSets ok']).toBe(8);
    expect(crashed.weights).toEqual(uninterrupted.weights);
    expect(crashed.stacks).toEqual(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'CREATE_COMPLETE']);
  });
});
