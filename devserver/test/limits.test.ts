/**
 * The real server's request limits: ids and names over 1,000 characters and client payloads over
 * `limit.blobSize.error` are refused as INVALID_ARGUMENT before anything is stored; an activity
 * result or heartbeat over it fails the activity with a server failure instead of being stored.
 * The blob limit is set low here with `--dynamic-config-value`, as on a real server.
 */
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure } from '@temporalio/common';
import { eventsOfType, uniqueId, useServerWithWorker, waitFor } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { asyncCompletion } from './workflows';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const TASK_QUEUE = 'devserver-limits';
const BLOB_LIMIT = 64 * 1024;

describe('dev server: request limits', () => {
  const started = new Map<string, { workflowId: string; activityId: string }>();
  const activities: Partial<TestActivities> = {
    completeLater() {
      const { workflowExecution, activityId } = Context.current().info;
      const workflowId = workflowExecution?.workflowId ?? '';
      started.set(workflowId, { workflowId, activityId });
      throw new CompleteAsyncError();
    },
  };
  const served = useServerWithWorker({
    taskQueue: TASK_QUEUE,
    args: [
      '--dynamic-config-value', `limit.blobSize.error=${BLOB_LIMIT}`,
      '--dynamic-config-value', 'limit.blobSize.warn=16384',
    ],
    activities,
  });

  const refusal = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => 'accepted', (err: unknown) => err);

  const startRequest = (workflowId: string, overrides: object = {}): object => ({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'asyncCompletion' },
    taskQueue: { name: 'devserver-limits-idle' },
    requestId: uniqueId('request'),
    identity: 'limits-test',
    ...overrides,
  });

  it('refuses ids and names over 1,000 characters on a start, stores nothing, and accepts 1,000', async () => {
    const long = 'n'.repeat(1001);
    const cases: [string, object, string][] = [
      ['workflow id', { workflowId: long }, 'WorkflowId exceeds length limit.'],
      ['workflow type', { workflowType: { name: long } }, 'WorkflowType exceeds length limit.'],
      ['task queue', { taskQueue: { name: long } }, 'TaskQueue exceeds length limit.'],
      ['request id', { requestId: long }, 'RequestId exceeds length limit.'],
      ['identity', { identity: long }, 'Identity exceeds length limit.'],
    ];
    for (const [, overrides, message] of cases) {
      // WHEN a start carries one over-long id or name
      const workflowId = uniqueId('long-id');
      const answer = await refusal(served.connection.workflowService.startWorkflowExecution(startRequest(workflowId, overrides)));

      // THEN it is refused as the client's error, and no run was stored under the workflow id
      expect(answer).toMatchObject({ code: INVALID_ARGUMENT, details: message });
      const described = await refusal(
        served.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } }),
      );
      expect(described).toMatchObject({ code: NOT_FOUND });
    }
    const atLimit = await served.connection.workflowService.startWorkflowExecution(
      startRequest(uniqueId('at-limit'), { workflowType: { name: 't'.repeat(1000) } }),
    );
    expect(atLimit.runId).toBeTruthy();
  });

  it('refuses a signal name or query type over 1,000 characters without recording it', async () => {
    // GIVEN a run
    const workflowId = uniqueId('long-names');
    await served.connection.workflowService.startWorkflowExecution(startRequest(workflowId));

    // WHEN it is signalled and queried with over-long names
    const signal = await refusal(
      served.connection.workflowService.signalWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId },
        signalName: 's'.repeat(1001),
        requestId: uniqueId('signal'),
      }),
    );
    const query = await refusal(
      served.connection.workflowService.queryWorkflow({ namespace: 'default', execution: { workflowId }, query: { queryType: 'q'.repeat(1001) } }),
    );

    // THEN both are refused, and the history has only the signal sent after them with a 1,000-character name
    expect(signal).toMatchObject({ code: INVALID_ARGUMENT, details: 'SignalName exceeds length limit.' });
    expect(query).toMatchObject({ code: INVALID_ARGUMENT, details: 'QueryType exceeds length limit.' });
    await served.connection.workflowService.signalWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
      signalName: 's'.repeat(1000),
      requestId: uniqueId('signal'),
    });
    const { history } = await served.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const signals = eventsOfType(history ?? {}, 'WORKFLOW_EXECUTION_SIGNALED');
    expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName?.length)).toEqual([1000]);
  });

  it('refuses start and signal payloads over limit.blobSize.error before storing them, and accepts one under it', async () => {
    const payload = (bytes: number) => ({ payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(bytes, 1) }] });

    // WHEN a start carries an input over the limit, and a running workflow is signalled with one
    const tooBigId = uniqueId('big-input');
    const start = await refusal(served.connection.workflowService.startWorkflowExecution(startRequest(tooBigId, { input: payload(BLOB_LIMIT + 1) })));
    const workflowId = uniqueId('big-signal');
    await served.connection.workflowService.startWorkflowExecution(startRequest(workflowId, { input: payload(BLOB_LIMIT - 1024) }));
    const signal = await refusal(
      served.connection.workflowService.signalWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId },
        signalName: 'big',
        input: payload(BLOB_LIMIT + 1),
        requestId: uniqueId('signal'),
      }),
    );

    // THEN both are refused with the real server's message, and neither was stored (a small signal is)
    expect(start).toMatchObject({ code: INVALID_ARGUMENT, details: 'Blob data size exceeds limit.' });
    expect(signal).toMatchObject({ code: INVALID_ARGUMENT, details: 'Blob data size exceeds limit.' });
    await served.connection.workflowService.signalWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
      signalName: 'small',
      input: payload(1024),
      requestId: uniqueId('signal'),
    });
    expect(await refusal(served.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: tooBigId } }))).toMatchObject({
      code: NOT_FOUND,
    });
    const { history } = await served.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const signals = eventsOfType(history ?? {}, 'WORKFLOW_EXECUTION_SIGNALED');
    expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual(['small']);
  });

  it('fails an activity whose result is over the limit with a server failure, not storing the result', async () => {
    // GIVEN a workflow waiting for an asynchronously completed activity
    const workflowId = uniqueId('big-result');
    const handle = await served.client.workflow.start(asyncCompletion, { taskQueue: TASK_QUEUE, workflowId });
    const info = await waitFor(() => Promise.resolve(started.get(workflowId)), 30_000, 'activity start');

    // WHEN the activity is completed with a result over the limit
    await served.client.activity.complete(info, 'x'.repeat(BLOB_LIMIT + 1));

    // THEN the completion call succeeds, the activity failed with the real server's non-retryable failure
    const outcome = await handle.result().catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    const cause = (outcome as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect((cause as ActivityFailure).cause?.message).toBe('Complete result exceeds size limit.');
    const history = await handle.fetchHistory();
    expect(eventsOfType(history, 'ACTIVITY_TASK_COMPLETED')).toHaveLength(0);
    const failed = eventsOfType(history, 'ACTIVITY_TASK_FAILED');
    expect(failed.map((e) => e.activityTaskFailedEventAttributes?.failure?.serverFailureInfo?.nonRetryable)).toEqual([true]);
  });

  it('fails an activity whose heartbeat details are over the limit and tells the heartbeat to cancel', async () => {
    // GIVEN a workflow waiting for an asynchronously completed activity
    const workflowId = uniqueId('big-heartbeat');
    const handle = await served.client.workflow.start(asyncCompletion, { taskQueue: TASK_QUEUE, workflowId });
    const info = await waitFor(() => Promise.resolve(started.get(workflowId)), 30_000, 'activity start');

    // WHEN it heartbeats with details over the limit
    const response = await served.connection.workflowService.recordActivityTaskHeartbeatById({
      namespace: 'default',
      workflowId,
      activityId: info.activityId,
      details: { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(BLOB_LIMIT + 1, 1) }] },
    });

    // THEN the heartbeat is told to cancel and the activity failed with the real server's failure
    expect(response.cancelRequested).toBe(true);
    const outcome = await handle.result().catch((err: unknown) => err);
    expect(((outcome as WorkflowFailedError).cause as ActivityFailure).cause?.message).toBe('Heartbeat details exceed size limit.');
  });
});
