import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, SETUP_TIMEOUT_MS } from './helpers';
import { collector, failWithApplicationFailure, greet, waitForCancel } from './workflows';

const CellId = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const TASK_QUEUE = 'devserver-start';

describe('dev server: connecting and starting workflows', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ searchAttributes: [CellId], sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
    return await worker.runUntil(fn);
  }

  it('answers GetSystemInfo with the capabilities the SDK relies on and describes its namespaces', async () => {
    // WHEN the client asks the server about itself and its namespaces
    const info = await env.connection.workflowService.getSystemInfo({});
    const namespace = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    const namespaces = await env.connection.workflowService.listNamespaces({});
    // (and a worker's shutdown and sticky-queue reset calls are accepted)
    const shutdown = await env.connection.workflowService.shutdownWorker({
      namespace: 'default',
      stickyTaskQueue: uniqueId('sticky'),
      identity: 'test',
      reason: 'graceful shutdown',
    });
    const workflowId = uniqueId('reset-sticky');
    await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });
    const reset = await env.connection.workflowService.resetStickyTaskQueue({ namespace: 'default', execution: { workflowId } });
    await env.client.workflow.getHandle(workflowId).terminate('test done');

    // THEN sdk metadata (copied into history) and the other capabilities are advertised
    expect(info.capabilities).toMatchObject({ sdkMetadata: true, signalAndQueryHeader: true, upsertMemo: true });
    expect(namespace.namespaceInfo?.name).toBe('default');
    expect(namespace.namespaceInfo?.state).toBe(temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED);
    expect(namespaces.namespaces?.map((n) => n.namespaceInfo?.name)).toContain('default');
    expect(shutdown).toBeDefined();
    expect(reset).toBeDefined();
  });

  it('runs a workflow and writes the start, task and completion events in order', async () => {
    // GIVEN a worker for the task queue
    const workflowId = uniqueId('greet');

    // WHEN a workflow is executed
    const result = await withWorker(() =>
      env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['cell-001'] }),
    );

    // THEN its result arrives and the history has the real server's shape
    expect(result).toBe('Hello, cell-001');
    const handle = env.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(history.events?.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5]);
    const { runId } = await handle.describe();
    const started = history.events?.[0].workflowExecutionStartedEventAttributes;
    expect(started?.originalExecutionRunId).toBe(runId);
    expect(started?.firstExecutionRunId).toBe(runId);
    expect(Number(started?.workflowTaskTimeout?.seconds)).toBe(10);
    const taskStarted = history.events?.[2].workflowTaskStartedEventAttributes;
    expect(Number(taskStarted?.scheduledEventId)).toBe(2);
    const taskCompleted = history.events?.[3].workflowTaskCompletedEventAttributes;
    expect(Number(taskCompleted?.scheduledEventId)).toBe(2);
    expect(Number(taskCompleted?.startedEventId)).toBe(3);
    // The worker's internal flags are copied from the completion into history.
    expect(taskCompleted?.sdkMetadata?.sdkName).toBe('temporal-typescript');
    expect(Number(history.events?.[4].workflowExecutionCompletedEventAttributes?.workflowTaskCompletedEventId)).toBe(4);
  });

  it('reports a workflow failure with its type and details', async () => {
    // GIVEN a workflow that throws a non-retryable ApplicationFailure
    const workflowId = uniqueId('fail');

    // WHEN it runs
    const error = await withWorker(() =>
      env.client.workflow
        .execute(failWithApplicationFailure, { taskQueue: TASK_QUEUE, workflowId, args: ['cell down'] })
        .catch((err: unknown) => err),
    );

    // THEN the client sees the failure and the history ends with WORKFLOW_EXECUTION_FAILED
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toMatchObject({ message: 'cell down', type: 'CellUnavailable', details: ['cell-007'] });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(eventTypes(history).slice(-2)).toEqual(['WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_FAILED']);
  });

  it('rejects a second start of a running workflow id with WorkflowExecutionAlreadyStartedError (FAIL)', async () => {
    // GIVEN a running workflow
    const workflowId = uniqueId('conflict-fail');
    const first = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });

    // WHEN the same id is started again with the default conflict policy
    const second = env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });

    // THEN the client gets the typed error and the first run keeps running
    await expect(second).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect((await first.describe()).status.name).toBe('RUNNING');
    await first.terminate('test done');
  });

  it('returns the running run for USE_EXISTING and replaces it for TERMINATE_EXISTING', async () => {
    // GIVEN a running workflow
    const workflowId = uniqueId('conflict');
    const first = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });

    // WHEN it is started again with USE_EXISTING, then with TERMINATE_EXISTING
    const existing = await env.client.workflow.start(collector, {
      taskQueue: TASK_QUEUE,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const replacement = await env.client.workflow.start(collector, {
      taskQueue: TASK_QUEUE,
      workflowId,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });

    // THEN USE_EXISTING named the first run, and TERMINATE_EXISTING terminated it for a new one
    expect(existing.firstExecutionRunId).toBe(first.firstExecutionRunId);
    expect(replacement.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    const firstRun = env.client.workflow.getHandle(workflowId, first.firstExecutionRunId);
    expect((await firstRun.describe()).status.name).toBe('TERMINATED');
    expect(eventTypes(await firstRun.fetchHistory()).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    expect((await replacement.describe()).status.name).toBe('RUNNING');
    await replacement.terminate('test done');
  });

  it('applies the id reuse policies to closed runs', async () => {
    // GIVEN one workflow id whose run completed and another whose run failed
    const completedId = uniqueId('reuse-completed');
    const failedId = uniqueId('reuse-failed');
    await withWorker(async () => {
      await env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId: completedId, args: ['a'] });
      await env.client.workflow
        .execute(failWithApplicationFailure, { taskQueue: TASK_QUEUE, workflowId: failedId, args: ['x'] })
        .catch(() => undefined);
    });

    // WHEN each is started again under each policy
    const options = { taskQueue: TASK_QUEUE, args: ['b'] as [string] };
    const rejectDuplicate = env.client.workflow.start(greet, {
      ...options,
      workflowId: completedId,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    const failedOnlyAfterSuccess = env.client.workflow.start(greet, {
      ...options,
      workflowId: completedId,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    const failedOnlyAfterFailure = await env.client.workflow.start(greet, {
      ...options,
      workflowId: failedId,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    const allowDuplicate = await env.client.workflow.start(greet, {
      ...options,
      workflowId: completedId,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });

    // THEN only the allowed starts create new runs
    await expect(rejectDuplicate).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(failedOnlyAfterSuccess).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(failedOnlyAfterFailure.firstExecutionRunId).toBeTruthy();
    expect(allowDuplicate.firstExecutionRunId).toBeTruthy();
    await withWorker(async () => {
      expect(await allowDuplicate.result()).toBe('Hello, b');
      expect(await failedOnlyAfterFailure.result()).toBe('Hello, b');
    });
  });

  it('de-duplicates a start retried with the same request id', async () => {
    // GIVEN a raw start request with a request id
    const workflowId = uniqueId('dedupe');
    const request = {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'collector' },
      taskQueue: { name: TASK_QUEUE },
      requestId: uniqueId('request'),
    };

    // WHEN it is sent twice
    const first = await env.client.workflowService.startWorkflowExecution(request);
    const second = await env.client.workflowService.startWorkflowExecution(request);

    // THEN the second answer names the same run instead of failing
    expect(second.runId).toBe(first.runId);
    const runs = await env.client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    expect(runs.workflowExecutionInfo?.execution?.runId).toBe(first.runId);
    await env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('stores memo and search attributes given at start and rejects unregistered attributes', async () => {
    // GIVEN a start with a memo and a registered search attribute
    const workflowId = uniqueId('memo');
    const handle = await env.client.workflow.start(collector, {
      taskQueue: TASK_QUEUE,
      workflowId,
      memo: { owner: 'ops' },
      typedSearchAttributes: [{ key: CellId, value: 'cell-042' }],
    });

    // WHEN it is described, and a start with an unknown attribute is attempted
    const description = await handle.describe();
    const unknown = env.client.workflow.start(collector, {
      taskQueue: TASK_QUEUE,
      workflowId: uniqueId('memo-bad'),
      typedSearchAttributes: [{ key: defineSearchAttributeKey('NotRegistered', SearchAttributeType.KEYWORD), value: 'x' }],
    });

    // THEN both are returned decoded, and the unknown attribute is an invalid argument
    expect(description.memo).toEqual({ owner: 'ops' });
    expect(description.typedSearchAttributes.get(CellId)).toBe('cell-042');
    await expect(unknown).rejects.toMatchObject({
      cause: { code: 3, details: expect.stringContaining('NotRegistered') as unknown },
    });
    await handle.terminate('test done');
  });

  it('times out a run at its run timeout and an execution at its execution timeout', async () => {
    // GIVEN workflows that wait far longer than their timeouts
    const runTimeoutId = uniqueId('run-timeout');
    const executionTimeoutId = uniqueId('execution-timeout');

    // WHEN they run
    const [runTimeout, executionTimeout] = await withWorker(() =>
      Promise.all([
        env.client.workflow
          .execute(waitForCancel, { taskQueue: TASK_QUEUE, workflowId: runTimeoutId, workflowRunTimeout: '1s' })
          .catch((err: unknown) => err),
        env.client.workflow
          .execute(waitForCancel, { taskQueue: TASK_QUEUE, workflowId: executionTimeoutId, workflowExecutionTimeout: '1s' })
          .catch((err: unknown) => err),
      ]),
    );

    // THEN both fail with a timeout and their histories end in WORKFLOW_EXECUTION_TIMED_OUT
    for (const [error, workflowId] of [
      [runTimeout, runTimeoutId],
      [executionTimeout, executionTimeoutId],
    ] as const) {
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
      expect(((error as WorkflowFailedError).cause as TimeoutFailure).timeoutType).toBe(TimeoutType.START_TO_CLOSE);
      const handle = env.client.workflow.getHandle(workflowId);
      expect(eventTypes(await handle.fetchHistory()).at(-1)).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
      expect((await handle.describe()).status.code).toBe(Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
    }
  });

  it('uses the requested workflow task timeout for the task it schedules', async () => {
    // GIVEN a start with a 3 s workflow task timeout
    const workflowId = uniqueId('task-timeout');

    // WHEN the workflow runs
    await withWorker(() =>
      env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['x'], workflowTaskTimeout: '3s' }),
    );

    // THEN the started event and the scheduled task carry it
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(Number(history.events?.[0].workflowExecutionStartedEventAttributes?.workflowTaskTimeout?.seconds)).toBe(3);
    const scheduled = eventsOfType(history, 'WORKFLOW_TASK_SCHEDULED')[0].workflowTaskScheduledEventAttributes;
    expect(Number(scheduled?.startToCloseTimeout?.seconds)).toBe(3);
    expect(scheduled?.attempt).toBe(1);
  });

  it('answers requests without a workflow id or for an unknown namespace with clear errors', async () => {
    // WHEN malformed or misdirected requests are sent
    const noId = env.client.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowType: { name: 'greet' },
      taskQueue: { name: TASK_QUEUE },
    });
    const unknownNamespace = env.client.workflowService.describeNamespace({ namespace: 'no-such-namespace' });

    // THEN they fail with INVALID_ARGUMENT and NOT_FOUND, naming what is wrong
    await expect(noId).rejects.toMatchObject({ code: 3, details: expect.stringContaining('WorkflowId') as unknown });
    await expect(unknownNamespace).rejects.toMatchObject({ code: 5, details: expect.stringContaining('no-such-namespace') as unknown });
  });
});
