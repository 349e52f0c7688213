import { temporal } from '@temporalio/proto';
import { useTestWorkflows, eventsOfType, eventTypes, uniqueId, waitFor } from './helpers';
import { childWaits, finishSignal, lineage, parentOfChild, parentWithPolicies } from './workflows';

type History = temporal.api.history.v1.IHistory;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const TASK_QUEUE = 'devserver-children';
const WORKFLOW_TASK_EVENTS = new Set(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);

/** Event types without the workflow-task events, whose interleaving depends on worker timing. */
function nonTaskEventTypes(history: History): string[] {
  return eventTypes(history).filter((type) => !WORKFLOW_TASK_EVENTS.has(type));
}

describe('dev server: child workflows', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const { withWorker, history, expectReplays } = wf;

  async function describe(workflowId: string) {
    return await wf.env.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
  }

  it('runs nested children to completion and tells each its parent and root', async () => {
    // GIVEN a workflow that starts a child, which starts a grandchild
    const top = uniqueId('lineage');
    const child = `${top}-2`;
    const grandchild = `${child}-1`;

    // WHEN it runs
    const result = await withWorker(() => wf.env.client.workflow.execute(lineage, { taskQueue: TASK_QUEUE, workflowId: top, args: [2] }));

    // THEN each workflow saw its parent and the root of the chain (a top-level workflow has neither)
    const topRunId = (await describe(top)).workflowExecutionInfo?.execution?.runId;
    const childRunId = (await describe(child)).workflowExecutionInfo?.execution?.runId;
    expect(result).toEqual({
      workflowId: top,
      child: {
        workflowId: child,
        parent: { workflowId: top, runId: topRunId, namespace: 'default' },
        root: { workflowId: top, runId: topRunId },
        child: {
          workflowId: grandchild,
          parent: { workflowId: child, runId: childRunId, namespace: 'default' },
          root: { workflowId: top, runId: topRunId },
        },
      },
    });

    // AND the parent's history has Initiated, Started and Completed, pointing at each other
    const parentHistory = await history(top);
    expect(nonTaskEventTypes(parentHistory)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(eventTypes(parentHistory).slice(0, 6)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
    ]);
    const initiated = eventsOfType(parentHistory, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')[0];
    const started = eventsOfType(parentHistory, 'CHILD_WORKFLOW_EXECUTION_STARTED')[0];
    const completed = eventsOfType(parentHistory, 'CHILD_WORKFLOW_EXECUTION_COMPLETED')[0];
    expect(initiated.startChildWorkflowExecutionInitiatedEventAttributes).toMatchObject({
      workflowId: child,
      workflowType: { name: 'lineage' },
      taskQueue: { name: TASK_QUEUE },
      workflowTaskCompletedEventId: initiated.eventId?.subtract(1),
    });
    expect(started.childWorkflowExecutionStartedEventAttributes?.initiatedEventId?.toNumber()).toBe(initiated.eventId?.toNumber());
    expect(started.childWorkflowExecutionStartedEventAttributes?.workflowExecution).toEqual({ workflowId: child, runId: childRunId });
    expect(completed.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId?.toNumber()).toBe(initiated.eventId?.toNumber());
    expect(completed.childWorkflowExecutionCompletedEventAttributes?.startedEventId?.toNumber()).toBe(started.eventId?.toNumber());

    // AND the grandchild's Started event and Describe name its parent (and the initiating event) and its root
    const grandchildStarted = (await history(grandchild)).events?.[0].workflowExecutionStartedEventAttributes;
    const childInitiated = eventsOfType(await history(child), 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')[0];
    expect(grandchildStarted?.parentWorkflowExecution).toEqual({ workflowId: child, runId: childRunId });
    expect(grandchildStarted?.parentInitiatedEventId?.toNumber()).toBe(childInitiated.eventId?.toNumber());
    expect(grandchildStarted?.parentWorkflowNamespace).toBe('default');
    expect(grandchildStarted?.rootWorkflowExecution).toEqual({ workflowId: top, runId: topRunId });
    const described = (await describe(grandchild)).workflowExecutionInfo;
    expect(described?.parentExecution).toEqual({ workflowId: child, runId: childRunId });
    expect(described?.rootExecution).toEqual({ workflowId: top, runId: topRunId });
    expect((await describe(top)).workflowExecutionInfo?.parentExecution).toBeNull();
    expect((await describe(top)).workflowExecutionInfo?.rootExecution).toEqual({ workflowId: top, runId: topRunId });

    // AND all three histories replay
    await expectReplays(top, child, grandchild);
  });

  it('reports a failed child to its parent as ChildWorkflowExecutionFailed', async () => {
    const workflowId = uniqueId('child-fails');
    const outcome = await withWorker(() =>
      wf.env.client.workflow.execute(parentOfChild, { taskQueue: TASK_QUEUE, workflowId, args: ['fails'] }),
    );
    expect(outcome).toEqual({ failure: 'ChildWorkflowFailure', cause: 'ApplicationFailure', causeMessage: 'child gave up' });
    const parentHistory = await history(workflowId);
    expect(nonTaskEventTypes(parentHistory)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'CHILD_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const failed = eventsOfType(parentHistory, 'CHILD_WORKFLOW_EXECUTION_FAILED')[0].childWorkflowExecutionFailedEventAttributes;
    expect(failed?.failure?.message).toBe('child gave up');
    expect(failed?.failure?.applicationFailureInfo?.type).toBe('ChildGaveUp');
    await expectReplays(workflowId, `${workflowId}-child`);
  });

  it('reports a child that hit its execution timeout as ChildWorkflowExecutionTimedOut', async () => {
    const workflowId = uniqueId('child-times-out');
    const outcome = await withWorker(() =>
      wf.env.client.workflow.execute(parentOfChild, { taskQueue: TASK_QUEUE, workflowId, args: ['times-out'] }),
    );
    expect(outcome).toMatchObject({ failure: 'ChildWorkflowFailure', cause: 'TimeoutFailure' });
    const timedOut = eventsOfType(await history(workflowId), 'CHILD_WORKFLOW_EXECUTION_TIMED_OUT')[0];
    expect(timedOut.childWorkflowExecutionTimedOutEventAttributes?.retryState).toBe(temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT);
    expect(eventTypes(await history(`${workflowId}-child`)).at(-1)).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
    await expectReplays(workflowId);
  });

  it('cancels a child through RequestCancelExternalWorkflowExecution (child only) when its scope is cancelled', async () => {
    // GIVEN a parent that cancels the scope of a started child
    const workflowId = uniqueId('child-cancelled');
    const childId = `${workflowId}-child`;

    // WHEN it runs
    const outcome = await withWorker(() =>
      wf.env.client.workflow.execute(parentOfChild, { taskQueue: TASK_QUEUE, workflowId, args: ['is-cancelled'] }),
    );

    // THEN the parent saw the child canceled, after the server relayed its cancel request
    expect(outcome).toMatchObject({ failure: 'ChildWorkflowFailure', cause: 'CancelledFailure' });
    const parentHistory = await history(workflowId);
    expect(nonTaskEventTypes(parentHistory)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
      'CHILD_WORKFLOW_EXECUTION_CANCELED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const request = eventsOfType(parentHistory, 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')[0];
    expect(request.requestCancelExternalWorkflowExecutionInitiatedEventAttributes).toMatchObject({
      childWorkflowOnly: true,
      workflowExecution: { workflowId: childId },
    });
    const relayed = eventsOfType(parentHistory, 'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED')[0];
    expect(relayed.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId?.toNumber()).toBe(request.eventId?.toNumber());

    // AND the child got the cancel request naming the parent, and ended canceled
    const childHistory = await history(childId);
    const cancelRequested = eventsOfType(childHistory, 'WORKFLOW_EXECUTION_CANCEL_REQUESTED')[0].workflowExecutionCancelRequestedEventAttributes;
    expect(cancelRequested?.externalWorkflowExecution?.workflowId).toBe(workflowId);
    expect(cancelRequested?.externalInitiatedEventId?.toNumber()).toBe(request.eventId?.toNumber());
    expect(eventTypes(childHistory).at(-1)).toBe('WORKFLOW_EXECUTION_CANCELED');
    await expectReplays(workflowId, childId);
  });

  it('reports a terminated child as ChildWorkflowExecutionTerminated', async () => {
    const workflowId = uniqueId('child-terminated');
    const childId = `${workflowId}-child`;
    const outcome = await withWorker(async () => {
      const parent = await wf.env.client.workflow.start(parentOfChild, { taskQueue: TASK_QUEUE, workflowId, args: ['is-terminated'] });
      await waitFor(async () => (eventsOfType(await history(workflowId), 'CHILD_WORKFLOW_EXECUTION_STARTED').length > 0 ? true : undefined));
      await wf.env.client.workflow.getHandle(childId).terminate('test terminates the child');
      return await parent.result();
    });
    expect(outcome).toMatchObject({ failure: 'ChildWorkflowFailure', cause: 'TerminatedFailure' });
    expect(nonTaskEventTypes(await history(workflowId)).slice(-2)).toEqual([
      'CHILD_WORKFLOW_EXECUTION_TERMINATED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    await expectReplays(workflowId);
  });

  it('fails the start of a child whose id is taken with WORKFLOW_ALREADY_EXISTS', async () => {
    // GIVEN a running workflow
    const takenId = uniqueId('taken');
    const workflowId = uniqueId('child-conflict');
    const outcome = await withWorker(async () => {
      await wf.env.client.workflow.start(childWaits, { taskQueue: TASK_QUEUE, workflowId: takenId });
      // WHEN a parent starts a child with the same id
      return await wf.env.client.workflow.execute(parentOfChild, { taskQueue: TASK_QUEUE, workflowId, args: ['conflicts', takenId] });
    });
    await wf.env.client.workflow.getHandle(takenId).terminate('test done');

    // THEN the SDK surfaced WorkflowExecutionAlreadyStartedError from StartChildWorkflowExecutionFailed
    expect(outcome).toMatchObject({ failure: 'WorkflowExecutionAlreadyStartedError' });
    const parentHistory = await history(workflowId);
    expect(nonTaskEventTypes(parentHistory)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'START_CHILD_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const failed = eventsOfType(parentHistory, 'START_CHILD_WORKFLOW_EXECUTION_FAILED')[0].startChildWorkflowExecutionFailedEventAttributes;
    expect(failed?.cause).toBe(
      temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
    );
    expect(failed?.workflowId).toBe(takenId);
    await expectReplays(workflowId);
  });

  it('applies TERMINATE, REQUEST_CANCEL and ABANDON when the parent closes, and describes pending children', async () => {
    // GIVEN a parent with one running child per parent close policy
    const workflowId = uniqueId('policies');
    const ids = { terminate: `${workflowId}-terminate`, cancel: `${workflowId}-request-cancel`, abandon: `${workflowId}-abandon` };
    await withWorker(async () => {
      const parent = await wf.env.client.workflow.start(parentWithPolicies, { taskQueue: TASK_QUEUE, workflowId });
      const pending = await waitFor(async () => {
        const children = (await describe(workflowId)).pendingChildren ?? [];
        return children.length === 3 ? children : undefined;
      });
      // THEN Describe lists the pending children, and each child names its parent and root
      expect(pending.map((c) => [c.workflowId, c.parentClosePolicy])).toEqual([
        [ids.terminate, temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE],
        [ids.cancel, temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL],
        [ids.abandon, temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON],
      ]);
      const parentRunId = parent.firstExecutionRunId;
      const childInfo = (await describe(ids.abandon)).workflowExecutionInfo;
      expect(childInfo?.parentExecution).toEqual({ workflowId, runId: parentRunId });
      expect(childInfo?.rootExecution).toEqual({ workflowId, runId: parentRunId });

      // WHEN the parent completes
      await parent.signal(finishSignal);
      await parent.result();
      // (the cancel-requested child needs the worker to act on its request)
      await waitFor(async () => ((await describe(ids.cancel)).workflowExecutionInfo?.status === Status.WORKFLOW_EXECUTION_STATUS_CANCELED ? true : undefined));
    });

    // THEN the TERMINATE child was terminated, the REQUEST_CANCEL child canceled, the ABANDON child left running
    expect((await describe(ids.terminate)).workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    const terminated = eventsOfType(await history(ids.terminate), 'WORKFLOW_EXECUTION_TERMINATED')[0];
    expect(terminated.workflowExecutionTerminatedEventAttributes?.reason).toBe('by parent close policy');
    expect(eventTypes(await history(ids.cancel))).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect((await describe(ids.abandon)).workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_RUNNING);
    await wf.env.client.workflow.getHandle(ids.abandon).terminate('test done');
    await expectReplays(workflowId, ids.cancel);
  });
});
