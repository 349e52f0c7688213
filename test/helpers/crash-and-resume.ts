/**
 * @module Crash and resume for any procedure: it runs on real worker processes against a
 * simulated fleet that lives on in the test process (bridged over loopback HTTP). With `crash`,
 * the procedure is paused (the product's own `pause`) as soon as each step makes its first
 * fleet call, so it holds once that step is done; the worker process is then SIGKILLed with
 * nothing in flight, a new one started, and the procedure resumed. (A kill in the middle of an
 * activity would cost the activity's whole timeout in real time: a running activity holds a
 * time-skipping clock.)
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApplicationHooks } from '../../activities/hooks';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import { StepAttribute } from '../../domain/search-attributes';
import { createSimulatedHooks, type RecordedCall, type SimulatedClients } from '../../simulator';
import { serveSimulatedFleet } from '../../simulator/bridge';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { changeSequence } from '../workflows/cell-replacement.helpers';
import type { TestFleet } from './procedures-environment';
import { spawnWorkerProcess } from './worker-process';

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
const TERMINAL = ['completed', 'failed', 'aborted'];

export interface CrashRunOptions {
  env: TestWorkflowEnvironment;
  fleet: TestFleet;
  /** From `writeBundle`. */
  bundlePath: string;
  /** Starts the procedure (with the entry point's business id). */
  start: () => Promise<WorkflowHandle>;
  /** Kill a worker process after every step. */
  crash: boolean;
  /** Answers what the procedure waits for (an approval); return true when it acted. */
  answer?: (handle: WorkflowHandle, progress: ProcedureProgress) => Promise<boolean>;
  /**
   * Pause it as soon as it is started too, for a procedure whose first step makes no fleet call
   * (a drain permit): the first kill then comes after that step or, when the pause overtakes
   * it, before it (`(before the first step)`).
   */
  pauseAtStart?: boolean;
}

export interface CrashRun {
  handle: WorkflowHandle;
  /** The procedure's result, or the failure it ended with. */
  outcome: { result: unknown } | { error: unknown };
  /** The steps after which a worker process was killed. */
  killedAfter: string[];
  processes: number;
}

/** Runs a procedure on worker processes, killing one after every step with `crash` (see the module comment). */
export async function runOnWorkerProcesses(options: CrashRunOptions): Promise<CrashRun> {
  const { env, fleet, crash } = options;
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
  const spawn = () => spawnWorkerProcess({ address: env.address, namespace: env.namespace ?? 'default', bridgeUrl: bridge.url, bundlePath: options.bundlePath });
  let worker = await spawn();
  let processes = 1;
  const killedAfter: string[] = [];
  try {
    handle = await options.start();
    if (crash && options.pauseAtStart) await handle.signal(pauseSignal, PAUSE);
    for (let round = 0; round < 2_000; round++) {
      const progress = await handle.query(progressQuery);
      if (TERMINAL.includes(progress.state)) break;
      if (options.answer && (await options.answer(handle, progress))) continue;
      // Held at the pause with no step running: between two steps, or before the first when
      // paused at its start. Only the pause says so: a procedure that waits between its steps
      // (the capacity watch's interval) has no step running while it waits, unpaused.
      const held = progress.state === 'paused' && progress.steps.every((s) => s.status !== 'running');
      if (crash && held) {
        await worker.kill();
        killedAfter.push(progress.steps[progress.steps.length - 1]?.name ?? '(before the first step)');
        worker = await spawn();
        processes += 1;
        await handle.signal(resumeSignal);
        continue;
      }
      await env.sleep(10_000);
    }
    const outcome = await handle.result().then(
      (result: unknown) => ({ result }),
      (error: unknown) => ({ error }),
    );
    return { handle, outcome, killedAfter, processes };
  } finally {
    await worker.stop();
    await bridge.close();
  }
}

/** The calls that changed something (ok, and not answered from an earlier call's result), by what they did. */
export function effects(calls: RecordedCall[]): string[] {
  return changeSequence(calls.filter((c) => c.outcome === 'ok' && !c.replayed)).filter((entry) => !entry.startsWith('reads'));
}
