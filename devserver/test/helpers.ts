/**
 * @module Small helpers shared by the dev server tests.
 */
import { randomUUID } from 'node:crypto';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseArgs } from '../config';
import { createLogger } from '../log';
import { startDevServer, type RunningDevServer } from '../server';
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
/**
 * Polls `check` until it returns a value other than undefined. It does not give up by itself: a
 * deadline of its own would be a window that a busy machine can miss, so the test's time limit is
 * the guard. Each `warnAfterMs` without the value, it says on the console what it waits for,
 * which jest shows with the test that ran out of time.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, warnAfterMs = 10_000, what = 'condition'): Promise<T> {
  const started = Date.now();
  let warned = 0;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const waited = Date.now() - started;
    if (waited >= (warned + 1) * warnAfterMs) {
      warned = Math.floor(waited / warnAfterMs);
      console.warn(`still waiting for ${what} after ${Math.round(waited / 1000)} s`);
    }
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

/** A dev server in this test process with a worker on it (see {@link useServerWithWorker}). */
export interface ServerWithWorkerFixture {
  /** The server (valid inside tests, after `beforeAll`): its engine is open to inspection. */
  readonly server: RunningDevServer;
  readonly connection: Connection;
  readonly client: Client;
}

/**
 * Sets up, for the enclosing `describe`, a dev server started in this process with `args` after
 * `server start-dev` (the dynamic config under test, search attributes) and a worker polling
 * `taskQueue` with the test workflows and `activities`; all stopped in `afterAll`, `beforeStop`
 * first (to let go of activities the test holds, which the worker's shutdown waits for).
 */
export function useServerWithWorker(options: { args: string[]; taskQueue: string; activities?: object; beforeStop?: () => void }): ServerWithWorkerFixture {
  let server: RunningDevServer | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  let workerConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    const { config } = parseArgs(['server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--headless', ...options.args]);
    server = await startDevServer(config, createLogger('never'));
    const address = `127.0.0.1:${server.port}`;
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    workerConnection = await NativeConnection.connect({ address });
    worker = await Worker.create({
      connection: workerConnection,
      taskQueue: options.taskQueue,
      workflowBundle: await bundleTestWorkflows(),
      activities: options.activities,
    });
    running = worker.run();
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    options.beforeStop?.();
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await connection?.close();
    await server?.stop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the dev server is not set up yet (use it inside tests)');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get connection() {
      return ready(connection);
    },
    get client() {
      return ready(client);
    },
  };
}

/**
 * Expects what a workflow task refused for a command's size leaves in history: the task failed
 * with `cause` and `reason`, the run terminated by the server with the same reason, and nothing
 * of the refused completion stored.
 */
export function expectTaskFailedAndRunTerminated(history: History, cause: number, reason: string): void {
  expect(eventTypes(history)).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_FAILED',
    'WORKFLOW_EXECUTION_TERMINATED',
  ]);
  const [failed] = eventsOfType(history, 'WORKFLOW_TASK_FAILED');
  expect(failed.workflowTaskFailedEventAttributes?.cause).toBe(cause);
  expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toBe(reason);
  const [terminated] = eventsOfType(history, 'WORKFLOW_EXECUTION_TERMINATED');
  expect(terminated.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason, identity: 'history-service' });
}
