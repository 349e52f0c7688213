/**
 * The blob size limit (`limit.blobSize.error`, set low here) on what a worker sends back in a
 * workflow task completion, as the real server applies it: a command or update answer over it
 * fails the task with the command's cause and terminates the run, storing none of it; a query
 * answer over it fails the query. Run with the unmodified SDK worker and client.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, expectTaskFailedAndRunTerminated, useServerWithWorker, waitFor } from './helpers';
import { bigQuery, bigUpdate, oversizedPayload, type OversizedPlace } from './workflows';

const TASK_QUEUE = 'devserver-command-limits';
const BLOB_LIMIT = 16 * 1024;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

describe('dev server: blob size limit on workflow task completions', () => {
  const served = useServerWithWorker({
    taskQueue: TASK_QUEUE,
    args: [
      '--search-attribute', 'BigText=Text',
      '--dynamic-config-value', `limit.blobSize.error=${BLOB_LIMIT}`,
      '--dynamic-config-value', 'limit.blobSize.warn=4096',
    ],
    activities: { echo: (value: string) => Promise.resolve(value) },
  });

  /** The history's encoded size: nothing over the limit may be in it. */
  const historySize = (history: temporal.api.history.v1.IHistory): number => temporal.api.history.v1.History.encode(history).finish().length;

  const cases: [OversizedPlace, number, string][] = [
    ['activity-input', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.'],
    // The real server gives an oversized workflow result this cause.
    ['result', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.'],
    ['failure', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES, 'FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.'],
    ['signal-external', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.'],
    ['child-input', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, 'StartChildWorkflowExecutionCommandAttributes. Input exceeds size limit.'],
    ['continue-as-new-input', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, 'ContinueAsNewWorkflowExecutionCommandAttributes. Input exceeds size limit.'],
    ['memo', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES, 'ModifyWorkflowPropertiesCommandAttributes exceeds size limit.'],
    ['search-attributes', Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, 'UpsertWorkflowSearchAttributesCommandAttributes exceeds size limit.'],
  ];

  it.each(cases)('fails the task and terminates the run when the %s is over the limit, storing none of it', async (place, cause, message) => {
    // WHEN a workflow's task completion carries a payload over the limit
    const workflowId = uniqueId(`oversized-${place}`);
    const outcome = await served.client.workflow
      .execute(oversizedPayload, { taskQueue: TASK_QUEUE, workflowId, args: [place, BLOB_LIMIT + 1] })
      .catch((err: unknown) => err);

    // THEN the run was terminated by the server with the real server's reason
    const reason = `${Cause[cause]}: ${message}`;
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((outcome as WorkflowFailedError).cause?.message).toBe(reason);

    // AND the task failed with the command's cause, and nothing of the completion was stored
    const history = await served.client.workflow.getHandle(workflowId).fetchHistory();
    expectTaskFailedAndRunTerminated(history, cause, reason);
    expect(historySize(history)).toBeLessThan(BLOB_LIMIT);
  });

  it('accepts the same payloads just under the limit', async () => {
    // A workflow result of the limit's size less the payload's own encoding overhead completes.
    const result = await served.client.workflow.execute(oversizedPayload, {
      taskQueue: TASK_QUEUE,
      workflowId: uniqueId('under-limit'),
      args: ['result', BLOB_LIMIT - 256],
    });
    expect(result).toHaveLength(BLOB_LIMIT - 256);
  });

  it('terminates the run when an update result is over the limit, storing none of its result', async () => {
    // GIVEN a run answering updates with a string of the asked length
    const workflowId = uniqueId('oversized-update');
    const handle = await served.client.workflow.start(oversizedPayload, { taskQueue: TASK_QUEUE, workflowId, args: ['handlers', 0] });
    expect(await handle.executeUpdate(bigUpdate, { args: [10] })).toHaveLength(10);

    // WHEN an update's result is over the limit
    const update = await handle.executeUpdate(bigUpdate, { args: [BLOB_LIMIT + 1] }).catch((err: unknown) => err);

    // THEN the update did not complete, and the run was terminated with the real server's reason
    expect(update).toBeInstanceOf(Error);
    const history = await waitFor(async () => {
      const h = await handle.fetchHistory();
      return eventTypes(h).at(-1) === 'WORKFLOW_EXECUTION_TERMINATED' ? h : undefined;
    });
    const reason =
      'WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE: Message type temporal.api.update.v1.Response exceeds size limit.';
    const [terminated] = eventsOfType(history, 'WORKFLOW_EXECUTION_TERMINATED');
    expect(terminated.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason, identity: 'history-service' });
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(1);
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
    expect(eventTypes(history).slice(-2)).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_TERMINATED']);
    expect(historySize(history)).toBeLessThan(BLOB_LIMIT);
  });

  it('fails a query whose answer is over the limit, and the run goes on', async () => {
    // GIVEN a run answering queries with a string of the asked length
    const workflowId = uniqueId('oversized-query');
    const handle = await served.client.workflow.start(oversizedPayload, { taskQueue: TASK_QUEUE, workflowId, args: ['handlers', 0] });
    expect(await handle.query(bigQuery, 10)).toHaveLength(10);

    // WHEN a query's answer is over the limit
    const answer = await handle.query(bigQuery, BLOB_LIMIT + 1).catch((err: unknown) => err);

    // THEN the query failed with the real server's message, and the run still answers
    expect(answer).toBeInstanceOf(Error);
    expect((answer as Error).message).toContain('Blob data size exceeds limit.');
    expect(await handle.query(bigQuery, 20)).toHaveLength(20);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
  });

  it('fails a consistent query (answered with a workflow task) whose answer is over the limit', async () => {
    // GIVEN a run whose first workflow task no worker has taken yet, and a query waiting for that task
    const taskQueue = `${TASK_QUEUE}-consistent`;
    const workflowId = uniqueId('oversized-consistent-query');
    const handle = await served.client.workflow.start(oversizedPayload, { taskQueue, workflowId, args: ['handlers', 0] });
    const answer = handle.query(bigQuery, BLOB_LIMIT + 1).catch((err: unknown) => err);
    await waitFor(() => Promise.resolve(served.server.engine.queries.forRun(handle.firstExecutionRunId, 'buffered').length > 0 ? true : undefined));

    // WHEN a worker takes the task and answers the query with it
    const consistentWorker = await Worker.create({
      connection: await NativeConnection.connect({ address: `127.0.0.1:${served.server.port}` }),
      taskQueue,
      workflowBundle: await bundleTestWorkflows(),
    });
    const outcome = await consistentWorker.runUntil(answer);

    // THEN the query failed with the real server's message, and the task completed normally
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain('Blob data size exceeds limit.');
    const history = await handle.fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
    ]);
    await handle.terminate('done');
  });
});
