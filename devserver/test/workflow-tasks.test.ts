import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import {
  addItemSignal,
  cancelTimer,
  collector,
  failWorkflowTask,
  finishSignal,
  markers,
  proceedSignal,
  sleeper,
  startsChildWithBadId,
  threeActivities,
  upsertProperties,
} from './workflows';

const TASK_QUEUE = 'devserver-workflow-tasks';
const CellId = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
const Procedure = defineSearchAttributeKey('Procedure', SearchAttributeType.KEYWORD);
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

describe('dev server: workflow tasks and commands', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  const activities: Partial<TestActivities> = { echo: (value) => Promise.resolve(`echo:${value}`) };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ searchAttributes: [CellId, Procedure], sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>, bundle = workflowBundle): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities });
    return await worker.runUntil(fn);
  }

  async function pendingTaskAttempt(workflowId: string): Promise<number> {
    const { raw } = await env.client.workflow.getHandle(workflowId).describe();
    return raw.pendingWorkflowTask?.attempt ?? 0;
  }

  // The worker reports only attempt 1's failure and lets later attempts time out. The task timeout
  // must leave a busy machine's worker time to fail attempt 1 itself (else the server records a
  // timeout), so retries come every TASK_TIMEOUT and these two tests get their own time limit.
  const TASK_TIMEOUT = '8s';
  const RETRIED_TASK_TEST_MS = 120_000;

  it('records a failed workflow task once and keeps retrying it on timeouts', async () => {
    // GIVEN a workflow whose code throws a TypeError
    const workflowId = uniqueId('task-failure');
    const handle = await env.client.workflow.start(failWorkflowTask, { taskQueue: TASK_QUEUE, workflowId, workflowTaskTimeout: TASK_TIMEOUT });

    // WHEN a worker runs it until the task has been attempted three times
    await withWorker(() => waitFor(async () => ((await pendingTaskAttempt(workflowId)) >= 3 ? true : undefined), RETRIED_TASK_TEST_MS, 'attempt 3'));
    await handle.terminate('test done');

    // THEN only attempt 1's failure is in history (later attempts are transient), with the worker's cause
    const history = await handle.fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_TERMINATED',
    ]);
    const failed = eventsOfType(history, 'WORKFLOW_TASK_FAILED')[0].workflowTaskFailedEventAttributes;
    expect(failed?.cause).toBe(Cause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
    expect(failed?.failure?.message).toContain('undefined');
  }, RETRIED_TASK_TEST_MS + 60_000);

  it('writes a retried task that finally succeeds with its attempt number', async () => {
    // GIVEN the broken workflow has failed its first task
    const workflowId = uniqueId('task-fixed');
    const handle = await env.client.workflow.start(failWorkflowTask, { taskQueue: TASK_QUEUE, workflowId, workflowTaskTimeout: TASK_TIMEOUT });
    await withWorker(() => waitFor(async () => ((await pendingTaskAttempt(workflowId)) >= 2 ? true : undefined), RETRIED_TASK_TEST_MS, 'attempt 2'));

    // WHEN a worker with fixed code takes over
    const fixedBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows/fixed-task'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const result = await withWorker(() => handle.result(), fixedBundle);

    // THEN the successful attempt's Scheduled/Started events are written with their attempt number
    expect(result).toBe('fixed');
    const history = await handle.fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const retried = eventsOfType(history, 'WORKFLOW_TASK_SCHEDULED')[1].workflowTaskScheduledEventAttributes;
    expect(retried?.attempt).toBeGreaterThanOrEqual(2);
  }, RETRIED_TASK_TEST_MS + 60_000);

  it('fires timers and cancels them', async () => {
    // GIVEN one workflow sleeping 300 ms and one that cancels a long timer
    const sleeperId = uniqueId('timer');
    const cancelId = uniqueId('cancel-timer');

    // WHEN both run
    const [slept, canceled] = await withWorker(() =>
      Promise.all([
        env.client.workflow.execute(sleeper, { taskQueue: TASK_QUEUE, workflowId: sleeperId, args: [300] }),
        env.client.workflow.execute(cancelTimer, { taskQueue: TASK_QUEUE, workflowId: cancelId }),
      ]),
    );

    // THEN the timer fired after its duration, referencing its start, and the other was canceled
    expect(slept).toBeGreaterThanOrEqual(300);
    const timerHistory = await env.client.workflow.getHandle(sleeperId).fetchHistory();
    const timerStarted = eventsOfType(timerHistory, 'TIMER_STARTED')[0];
    expect(Number(timerStarted.timerStartedEventAttributes?.startToFireTimeout?.nanos)).toBe(300_000_000);
    const fired = eventsOfType(timerHistory, 'TIMER_FIRED')[0].timerFiredEventAttributes;
    expect(Number(fired?.startedEventId)).toBe(Number(timerStarted.eventId));
    expect(canceled).toBe('long timer canceled');
    const cancelHistory = await env.client.workflow.getHandle(cancelId).fetchHistory();
    expect(eventsOfType(cancelHistory, 'TIMER_STARTED')).toHaveLength(2);
    expect(eventsOfType(cancelHistory, 'TIMER_FIRED')).toHaveLength(1);
    expect(eventsOfType(cancelHistory, 'TIMER_CANCELED')).toHaveLength(1);
  });

  it('records markers for patches and local activities', async () => {
    // GIVEN a workflow that checks a patch and runs a local activity
    const workflowId = uniqueId('markers');

    // WHEN it runs
    const result = await withWorker(() => env.client.workflow.execute(markers, { taskQueue: TASK_QUEUE, workflowId }));

    // THEN both markers are in history
    expect(result).toBe('echo:patched');
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const names = eventsOfType(history, 'MARKER_RECORDED').map((e) => e.markerRecordedEventAttributes?.markerName);
    expect(names).toEqual(expect.arrayContaining(['core_patch', 'core_local_activity']));
  });

  it('upserts search attributes and the memo', async () => {
    // GIVEN a workflow that upserts CellId/Procedure and a memo note, then waits
    const workflowId = uniqueId('upsert');
    const result = await withWorker(async () => {
      const handle = await env.client.workflow.start(upsertProperties, { taskQueue: TASK_QUEUE, workflowId, args: ['cell-009'] });
      await waitFor(async () => (eventTypes(await handle.fetchHistory()).includes('WORKFLOW_PROPERTIES_MODIFIED') ? true : undefined));

      // WHEN it is described
      const description = await handle.describe();

      // THEN the upserted values are visible outside the workflow
      expect(description.typedSearchAttributes.get(CellId)).toBe('cell-009');
      expect(description.typedSearchAttributes.get(Procedure)).toBe('cell-restart');
      expect(description.memo).toEqual({ note: 'restarting cell-009' });
      await handle.signal(proceedSignal);
      return await handle.result();
    });

    // AND inside the workflow, and the history has one event per command
    expect(result).toEqual({ memo: { note: 'restarting cell-009' }, cellId: 'cell-009' });
    const types = eventTypes(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(types.slice(3, 6)).toEqual(['WORKFLOW_TASK_COMPLETED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_PROPERTIES_MODIFIED']);
  });

  it('fails the task of a command with bad attributes, naming the problem', async () => {
    // GIVEN a workflow that starts a child workflow with an over-long workflow id
    const workflowId = uniqueId('bad-command');
    const handle = await env.client.workflow.start(startsChildWithBadId, { taskQueue: TASK_QUEUE, workflowId });

    // WHEN a worker runs its first task
    await withWorker(() =>
      waitFor(async () => (eventTypes(await handle.fetchHistory()).includes('WORKFLOW_TASK_FAILED') ? true : undefined)),
    );
    await handle.terminate('test done');

    // THEN the task failed with the bad-attributes cause and a message naming the problem
    const failed = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_TASK_FAILED')[0].workflowTaskFailedEventAttributes;
    expect(failed?.cause).toBe(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES);
    expect(failed?.failure?.message).toBe('WorkflowId exceeds length limit.');
  });

  it('produces histories that replay cleanly, and a tampered one fails replay', async () => {
    // GIVEN completed workflows with activities, timers, signals and markers
    const ids = { activities: uniqueId('replay-activities'), timer: uniqueId('replay-timer'), signals: uniqueId('replay-signals'), markers: uniqueId('replay-markers') };
    await withWorker(async () => {
      await env.client.workflow.execute(threeActivities, { taskQueue: TASK_QUEUE, workflowId: ids.activities, args: ['r'] });
      await env.client.workflow.execute(sleeper, { taskQueue: TASK_QUEUE, workflowId: ids.timer, args: [50] });
      const signals = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId: ids.signals });
      await signals.signal(addItemSignal, 'a');
      await signals.signal(finishSignal);
      await signals.result();
      await env.client.workflow.execute(markers, { taskQueue: TASK_QUEUE, workflowId: ids.markers });
    });
    const histories = await Promise.all(Object.values(ids).map((id) => env.client.workflow.getHandle(id).fetchHistory()));

    // WHEN each history is replayed (once after a JSON round trip, as saved histories are), and a tampered copy too
    for (const history of histories) {
      await Worker.runReplayHistory({ workflowBundle }, historyFromJSON(JSON.parse(historyToJSON(history))), 'replayed');
    }
    const tampered = historyFromJSON(JSON.parse(historyToJSON(histories[0])));
    const started = tampered.events?.[0].workflowExecutionStartedEventAttributes;
    if (started) started.workflowType = { name: 'greet' };
    const replayTampered = Worker.runReplayHistory({ workflowBundle }, tampered, 'tampered');

    // THEN the untouched histories replayed without error and the tampered one is a determinism violation
    await expect(replayTampered).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
