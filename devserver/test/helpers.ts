/**
 * @module Small helpers shared by the dev server tests.
 */
import { randomUUID } from 'node:crypto';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SETUP_TIMEOUT_MS } from '../testing/server-process';
import { createLocalTestEnvironment } from '../testing/test-environment';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type History = temporal.api.history.v1.IHistory;

/** A workflow id no other test uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Event types of a history without the `EVENT_TYPE_` prefix, in order. */
export function eventTypes(history: { events?: HistoryEvent[] | null }): string[] {
  return (history.events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0].replace(/^EVENT_TYPE_/, ''));
}

/** The events of a given type (short name, e.g. `ACTIVITY_TASK_STARTED`). */
export function eventsOfType(history: { events?: HistoryEvent[] | null }, type: string): HistoryEvent[] {
  const wanted = temporal.api.enums.v1.EventType[`EVENT_TYPE_${type}` as keyof typeof temporal.api.enums.v1.EventType];
  return (history.events ?? []).filter((e) => e.eventType === wanted);
}

/** Bundles the test workflows (once per test file; reuse the result for every worker). */
export async function bundleTestWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg), log() {} },
  });
}

export { SETUP_TIMEOUT_MS } from '../testing/server-process';
/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a test file running the test workflows on the dev server needs. */
export interface TestWorkflowsFixture {
  /** The environment (valid inside tests, after `beforeAll`). */
  readonly env: TestWorkflowEnvironment;
  /** The test workflows' bundle (after `beforeAll`). */
  readonly workflowBundle: WorkflowBundleWithSourceMap;
  /** Runs `fn` while a worker for the test workflows polls the fixture's task queue. */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  /** The workflow's history, as the client fetches it. */
  history(workflowId: string): Promise<History>;
  /** Replays each workflow's history, through its JSON form, against the test workflows. */
  expectReplays(...workflowIds: string[]): Promise<void>;
}

/**
 * Sets up, for the enclosing `describe`, a dev server environment and the test workflows' bundle
 * (in `beforeAll`; torn down in `afterAll`), with workers on `taskQueue`.
 */
export function useTestWorkflows(taskQueue: string): TestWorkflowsFixture {
  let env: TestWorkflowEnvironment | undefined;
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await env?.teardown();
  });
  const ready = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the test environment is not set up yet (use it inside tests)');
    return env;
  };
  const history = async (workflowId: string): Promise<History> => await ready().client.workflow.getHandle(workflowId).fetchHistory();
  return {
    get env() {
      return ready();
    },
    get workflowBundle() {
      ready();
      return workflowBundle;
    },
    async withWorker<T>(fn: () => Promise<T>): Promise<T> {
      const worker = await Worker.create({ connection: ready().nativeConnection, taskQueue, workflowBundle });
      return await worker.runUntil(fn);
    },
    history,
    async expectReplays(...workflowIds: string[]): Promise<void> {
      for (const workflowId of workflowIds) {
        await Worker.runReplayHistory({ workflowBundle }, historyFromJSON(JSON.parse(historyToJSON(await history(workflowId)))), workflowId);
      }
    },
  };
}
