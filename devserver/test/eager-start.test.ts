/**
 * Eager workflow start through the unmodified SDK, on both server forms: a client sharing its
 * NativeConnection with a worker asks for `requestEagerStart`, and the server answers the start
 * with the run's first workflow task (`handle.eagerlyStarted`), falling back to an ordinary start
 * when it cannot start the task at once.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTimeSkippingTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, SETUP_TIMEOUT_MS, uniqueId, useTestWorkflows } from './helpers';
import { greet } from './workflows';

const TASK_QUEUE = 'devserver-eager-start';

/** Starts `greet` eagerly (and, with a start delay, once more) through a client on the worker's connection. */
async function eagerStarts(env: TestWorkflowEnvironment, worker: Worker): Promise<void> {
  const client = new Client({ connection: env.nativeConnection, identity: 'eager-client' });
  await worker.runUntil(async () => {
    // WHEN a workflow is started with requestEagerStart
    const workflowId = uniqueId('eager');
    const handle = await client.workflow.start(greet, { workflowId, taskQueue: TASK_QUEUE, args: ['eager'], requestEagerStart: true });
    // THEN the start returned its first workflow task, which the worker ran to completion
    expect(handle.eagerlyStarted).toBe(true);
    expect(await handle.result()).toBe('Hello, eager');
    const history = await handle.fetchHistory();
    const [started] = eventsOfType(history, 'WORKFLOW_TASK_STARTED');
    expect(started.workflowTaskStartedEventAttributes?.identity).toBe('eager-client');
    expect(eventsOfType(history, 'WORKFLOW_TASK_STARTED')).toHaveLength(1);

    // WHEN the start cannot hand out a task at once (a start delay)
    const delayed = await client.workflow.start(greet, {
      workflowId: uniqueId('eager-delayed'),
      taskQueue: TASK_QUEUE,
      args: ['later'],
      requestEagerStart: true,
      startDelay: '1s',
    });
    // THEN it is an ordinary start, and the task reaches the worker through the task queue
    expect(delayed.eagerlyStarted).toBe(false);
    expect(await delayed.result()).toBe('Hello, later');
  });
}

describe('dev server: eager workflow start', () => {
  const wf = useTestWorkflows(TASK_QUEUE);

  it('advertises the capability in GetSystemInfo', async () => {
    const info = await wf.env.connection.workflowService.getSystemInfo({});
    expect(info.capabilities?.eagerWorkflowStart).toBe(true);
  });

  it('answers an eager start with the first workflow task, or starts normally when it cannot', async () => {
    const worker = await Worker.create({ connection: wf.env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: wf.workflowBundle });
    await eagerStarts(wf.env, worker);
  });
});

describe('dev server (time skipping): eager workflow start', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingTestEnvironment({ sdkLogLevel: 'ERROR' });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('answers an eager start with the first workflow task there too', async () => {
    const info = await env.connection.workflowService.getSystemInfo({});
    expect(info.capabilities?.eagerWorkflowStart).toBe(true);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await bundleTestWorkflows() });
    await eagerStarts(env, worker);
  });
});
