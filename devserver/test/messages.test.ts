import { Context } from '@temporalio/activity';
import { Client, QueryNotRegisteredError, QueryRejectedError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import {
  addItemSignal,
  collector,
  completeWithUnhandledSignal,
  failingQuery,
  finishSignal,
  itemsQuery,
  waitForCancel,
} from './workflows';

const TASK_QUEUE = 'devserver-messages';

describe('dev server: signals, queries, cancellation and termination', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  const signalledSelf = new Set<string>();

  const activities: Partial<TestActivities> = {
    async signalSelf() {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      // Only the first execution signals; the retried workflow task runs the local activity again.
      if (!signalledSelf.has(workflowId)) {
        signalledSelf.add(workflowId);
        await env.client.workflow.getHandle(workflowId).signal(addItemSignal, 'from-local-activity');
      }
      return 'signalled';
    },
  };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  it('delivers signals in order with their arguments', async () => {
    // GIVEN a running collector
    const workflowId = uniqueId('signals');
    const result = await withWorker(async () => {
      const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });

      // WHEN it is signalled twice and then finished
      await handle.signal(addItemSignal, 'cell-001');
      await handle.signal(addItemSignal, 'cell-002');
      await handle.signal(finishSignal);
      return await handle.result();
    });

    // THEN it saw both items in order and history has one Signaled event per signal
    expect(result).toEqual(['cell-001', 'cell-002']);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const signaled = eventsOfType(history, 'WORKFLOW_EXECUTION_SIGNALED').map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
    expect(signaled).toEqual(['addItem', 'addItem', 'finish']);
  });

  it('signal-with-start writes the signal before the first workflow task, then signals the running run', async () => {
    // GIVEN no workflow with this id
    const workflowId = uniqueId('signal-with-start');

    // WHEN signal-with-start is called twice, then the workflow is finished
    const first = await env.client.workflow.signalWithStart(collector, {
      taskQueue: TASK_QUEUE,
      workflowId,
      signal: addItemSignal,
      signalArgs: ['first'],
    });
    const second = await env.client.workflow.signalWithStart(collector, {
      taskQueue: TASK_QUEUE,
      workflowId,
      signal: addItemSignal,
      signalArgs: ['second'],
    });
    const result = await withWorker(async () => {
      await first.signal(finishSignal);
      return await first.result();
    });

    // THEN one run received both signals, the first one ahead of its first workflow task
    expect(second.signaledRunId).toBe(first.signaledRunId);
    expect(result).toEqual(['first', 'second']);
    const types = eventTypes(await first.fetchHistory());
    expect(types.slice(0, 4)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_EXECUTION_SIGNALED',
    ]);
  });

  it('answers a query consistently with events that arrived before it', async () => {
    // GIVEN a workflow signalled while no worker is running, so a workflow task is pending
    const workflowId = uniqueId('consistent-query');
    const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });
    await handle.signal(addItemSignal, 'before-query');

    // WHEN it is queried before a worker picks up the pending task
    const query = handle.query(itemsQuery);
    const answer = await withWorker(() => query);

    // THEN the answer includes the signal (the query rode on the pending workflow task)
    expect(answer).toEqual(['before-query']);
    await handle.terminate('test done');
  });

  it('answers queries on an idle running workflow and on a closed one', async () => {
    // GIVEN a workflow that has processed a signal and then one that has completed
    const workflowId = uniqueId('direct-query');
    const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });
    const [whileRunning, afterClose] = await withWorker(async () => {
      await handle.signal(addItemSignal, 'x');
      await waitFor(async () => ((await handle.describe()).raw.pendingWorkflowTask ? undefined : true));

      // WHEN it is queried while idle, then after it completed
      const running = await handle.query(itemsQuery);
      await handle.signal(finishSignal);
      await handle.result();
      return [running, await handle.query(itemsQuery)];
    });

    // THEN both queries are answered from the workflow's state
    expect(whileRunning).toEqual(['x']);
    expect(afterClose).toEqual(['x']);
  });

  it('rejects queries on closed workflows when asked to, and reports failing query handlers', async () => {
    // GIVEN a completed workflow and a client that rejects queries on closed workflows
    const workflowId = uniqueId('query-errors');
    const strictClient = new Client({ connection: env.connection, workflow: { queryRejectCondition: 'NOT_OPEN' } });
    const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });
    const [failing, unknown, rejected] = await withWorker(async () => {
      // WHEN a query handler throws, an unknown query is sent, and the closed workflow is queried strictly
      const failingResult = await handle.query(failingQuery).catch((err: unknown) => err);
      const unknownResult = await handle.query('noSuchQuery').catch((err: unknown) => err);
      await handle.signal(finishSignal);
      await handle.result();
      const rejectedResult = await strictClient.workflow.getHandle(workflowId).query(itemsQuery).catch((err: unknown) => err);
      return [failingResult, unknownResult, rejectedResult];
    });

    // THEN the handler's error and the missing handler come back as errors, and the strict query is rejected
    expect(failing).toBeInstanceOf(QueryNotRegisteredError);
    expect((failing as Error).message).toContain('query handler refused');
    expect(unknown).toBeInstanceOf(QueryNotRegisteredError);
    expect((unknown as Error).message).toContain('noSuchQuery');
    expect(rejected).toBeInstanceOf(QueryRejectedError);
    expect((rejected as QueryRejectedError).status).toBe(
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    );
  });

  it('cancels a workflow on request', async () => {
    // GIVEN a workflow waiting on a long timer
    const workflowId = uniqueId('cancel');
    const error = await withWorker(async () => {
      const handle = await env.client.workflow.start(waitForCancel, { taskQueue: TASK_QUEUE, workflowId });
      await waitFor(async () => (eventTypes(await handle.fetchHistory()).includes('TIMER_STARTED') ? true : undefined));

      // WHEN cancellation is requested
      await handle.cancel();
      return await handle.result().catch((err: unknown) => err);
    });

    // THEN the workflow ends canceled, after the request and the timer's cancellation
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const types = eventTypes(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(types).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect(types).toContain('TIMER_CANCELED');
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_CANCELED');
    expect(types.indexOf('WORKFLOW_EXECUTION_CANCEL_REQUESTED')).toBeLessThan(types.indexOf('TIMER_CANCELED'));
  });

  it('terminates a workflow at once and refuses signals to it afterwards', async () => {
    // GIVEN a running workflow
    const workflowId = uniqueId('terminate');
    const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });

    // WHEN it is terminated, then signalled
    await handle.terminate('operator abort');
    const error = await handle.result().catch((err: unknown) => err);
    const lateSignal = await handle.signal(addItemSignal, 'too late').catch((err: unknown) => err);

    // THEN the result is a TerminatedFailure, the history ends with the reason, and the signal is refused
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    const history = await handle.fetchHistory();
    expect(eventTypes(history).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    expect(history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason).toBe('operator abort');
    expect(lateSignal).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('fails a completion that ignores a signal received during the task, and the retry sees it', async () => {
    // GIVEN a workflow whose local activity signals the workflow while its task runs
    const workflowId = uniqueId('unhandled');

    // WHEN the workflow tries to complete in that same task
    const result = await withWorker(() => env.client.workflow.execute(completeWithUnhandledSignal, { taskQueue: TASK_QUEUE, workflowId }));

    // THEN the server failed that task as UNHANDLED_COMMAND, appended the signal, and the next task saw it
    expect(result).toEqual(['from-local-activity']);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const types = eventTypes(history);
    const failed = types.indexOf('WORKFLOW_TASK_FAILED');
    expect(types.slice(0, failed + 3)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    expect(eventsOfType(history, 'WORKFLOW_TASK_FAILED')[0].workflowTaskFailedEventAttributes?.cause).toBe(
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    );
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
  });
});
