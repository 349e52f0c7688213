import { status } from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import Long from 'long';
import { eventsOfType, eventTypes, uniqueId, useTestWorkflows } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { remarkSignal, remarkUpdate, stepThenNotes } from './workflows';

const TASK_QUEUE = 'devserver-reset';
const Exclude = temporal.api.enums.v1.ResetReapplyExcludeType;
const ReapplyType = temporal.api.enums.v1.ResetReapplyType;
const activities: Partial<TestActivities> = { echo: (value) => Promise.resolve(`echo:${value}`) };

/** The gRPC status code of a rejected call. */
async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('dev server: ResetWorkflowExecution', () => {
  const fixture = useTestWorkflows(TASK_QUEUE);

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({
      connection: fixture.env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: fixture.workflowBundle,
      activities,
    });
    return await worker.runUntil(fn);
  }

  /** The id of the first WorkflowTaskCompleted event of a run (the reset point operators pick as "first workflow task"). */
  async function firstTaskCompleted(workflowId: string, runId?: string): Promise<Long> {
    const history = await fixture.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    return Long.fromValue(eventsOfType(history, 'WORKFLOW_TASK_COMPLETED')[0]?.eventId ?? 0);
  }

  it('resets a closed run to its first workflow task: the step runs again and signals and updates are re-applied', async () => {
    // GIVEN a completed run that saw a signal and an update after its first workflow task
    const workflowId = uniqueId('reset-closed');
    const { client } = fixture.env;
    const { baseRunId, baseResult } = await withWorker(async () => {
      const handle = await client.workflow.start(stepThenNotes, { taskQueue: TASK_QUEUE, workflowId });
      await handle.signal(remarkSignal, 'signalled');
      await handle.executeUpdate(remarkUpdate, { args: ['updated'] });
      await handle.signal(remarkSignal, 'finish');
      return { baseRunId: handle.firstExecutionRunId, baseResult: await handle.result() };
    });
    const resetPoint = await firstTaskCompleted(workflowId);

    // WHEN an operator resets it there with the default reapply options
    const { runId } = await client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId, runId: baseRunId },
      workflowTaskFinishEventId: resetPoint,
      reason: 'redo from the first step',
      requestId: uniqueId('reset-request'),
    });
    const result = await withWorker(() => client.workflow.getHandle<typeof stepThenNotes>(workflowId, runId).result());

    // THEN the new run replays the prefix, fails the reset task with the reset cause, sees the
    // signals and the update again before its next task, and runs the step again
    expect(baseResult).toContain('echo:step');
    expect(result.slice().sort()).toEqual(['echo:step', 'finish', 'signalled', 'updated'].sort());
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    expect(eventTypes(history).slice(0, 8)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_UPDATE_ADMITTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const failed = eventsOfType(history, 'WORKFLOW_TASK_FAILED')[0]?.workflowTaskFailedEventAttributes;
    expect(failed).toMatchObject({
      cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      baseRunId,
      newRunId: runId,
      identity: 'history-service',
      failure: { message: 'redo from the first step' },
    });
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ADMITTED')[0]?.workflowExecutionUpdateAdmittedEventAttributes?.origin).toBe(
      temporal.api.enums.v1.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
    );
    const base = await client.workflow.getHandle(workflowId, baseRunId).describe();
    expect(base.raw.workflowExtendedInfo?.resetRunId).toBe(runId);
    expect(base.status.name).toBe('COMPLETED');
    await fixture.expectReplays(workflowId);
  });

  it('terminates the running base run and re-applies nothing excluded: signals excluded, then none with the deprecated NONE type', async () => {
    // GIVEN a running run that has done its step and got a signal
    const workflowId = uniqueId('reset-running');
    const { client } = fixture.env;
    await withWorker(async () => {
      const handle = await client.workflow.start(stepThenNotes, { taskQueue: TASK_QUEUE, workflowId });
      await handle.signal(remarkSignal, 'signalled');
      await handle.executeUpdate(remarkUpdate, { args: ['updated'] });
      const baseRunId = handle.firstExecutionRunId;
      const resetPoint = await firstTaskCompleted(workflowId);

      // WHEN it is reset excluding signals, and that run reset again with reapply type NONE
      const first = await client.workflowService.resetWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId },
        workflowTaskFinishEventId: resetPoint,
        reason: 'no signals',
        requestId: uniqueId('reset-request'),
        resetReapplyExcludeTypes: [Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL],
      });
      const firstHistory = await client.workflow.getHandle(workflowId, first.runId).fetchHistory();
      const second = await client.workflowService.resetWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId },
        workflowTaskFinishEventId: resetPoint,
        reason: 'nothing',
        requestId: uniqueId('reset-request'),
        resetReapplyType: ReapplyType.RESET_REAPPLY_TYPE_NONE,
      });
      await client.workflow.getHandle(workflowId).signal(remarkSignal, 'finish');
      const result = await client.workflow.getHandle<typeof stepThenNotes>(workflowId).result();

      // THEN the base run was terminated by the resetter with the reason; the first reset kept
      // only the update, the second nothing; the last run ran the step again and finished
      const baseHistory = await client.workflow.getHandle(workflowId, baseRunId).fetchHistory();
      const terminated = eventsOfType(baseHistory, 'WORKFLOW_EXECUTION_TERMINATED')[0]?.workflowExecutionTerminatedEventAttributes;
      expect(terminated).toMatchObject({ reason: 'no signals', identity: 'history-resetter' });
      expect(eventsOfType(firstHistory, 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(0);
      expect(eventsOfType(firstHistory, 'WORKFLOW_EXECUTION_UPDATE_ADMITTED')).toHaveLength(1);
      expect(result.slice().sort()).toEqual(['echo:step', 'finish']);
      expect((await client.workflow.getHandle(workflowId, first.runId).describe()).status.name).toBe('TERMINATED');
      expect(second.runId).not.toBe(first.runId);
    });
    await fixture.expectReplays(workflowId);
  });

  it('answers a repeated request id with the run it created, and refuses reset points that do not end a workflow task', async () => {
    // GIVEN a completed run
    const workflowId = uniqueId('reset-invalid');
    const { client } = fixture.env;
    await withWorker(async () => {
      const handle = await client.workflow.start(stepThenNotes, { taskQueue: TASK_QUEUE, workflowId });
      await handle.signal(remarkSignal, 'finish');
      await handle.result();
    });
    const resetPoint = await firstTaskCompleted(workflowId);
    const request = {
      namespace: 'default',
      workflowExecution: { workflowId },
      workflowTaskFinishEventId: resetPoint,
      reason: 'again',
      requestId: uniqueId('reset-request'),
    };

    // WHEN the same reset is sent twice; then resets to event 1, past the end, to event 2 (after the Started event, no task
    // pending) and to event 3 (after the first task was scheduled) are asked
    const first = await client.workflowService.resetWorkflowExecution(request);
    const repeated = await client.workflowService.resetWorkflowExecution(request);
    const at = (eventId: number) => ({ ...request, requestId: uniqueId('r'), workflowTaskFinishEventId: Long.fromNumber(eventId) });
    const atStart = await codeOf(client.workflowService.resetWorkflowExecution(at(1)));
    const pastEnd = await codeOf(client.workflowService.resetWorkflowExecution(at(10_000)));
    const noTask = await codeOf(client.workflowService.resetWorkflowExecution(at(2)));
    const scheduledOnly = await client.workflowService.resetWorkflowExecution(at(3));

    // THEN the repeat names the same run; event ids out of range or with no task pending are INVALID_ARGUMENT; a task
    // only scheduled gets its Started event from the server, then fails with the reset cause
    expect(repeated.runId).toBe(first.runId);
    expect(atStart).toBe(status.INVALID_ARGUMENT);
    expect(pastEnd).toBe(status.INVALID_ARGUMENT);
    expect(noTask).toBe(status.INVALID_ARGUMENT);
    const history = await client.workflow.getHandle(workflowId, scheduledOnly.runId).fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    expect(history.events?.[2]?.workflowTaskStartedEventAttributes?.identity).toBe('history-service');
  });

  it('lists reset points in Describe: the first workflow task each worker build completed', async () => {
    // GIVEN a run completed by one worker
    const workflowId = uniqueId('reset-points');
    const { client } = fixture.env;
    await withWorker(async () => {
      const handle = await client.workflow.start(stepThenNotes, { taskQueue: TASK_QUEUE, workflowId });
      await handle.signal(remarkSignal, 'finish');
      await handle.result();
    });

    // WHEN it is described
    const described = await client.workflow.getHandle(workflowId).describe();
    const points = described.raw.workflowExecutionInfo?.autoResetPoints?.points ?? [];
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const completed = eventsOfType(history, 'WORKFLOW_TASK_COMPLETED')[0];

    // THEN one reset point names the worker's binary checksum, the run and its first completed task
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      binaryChecksum: completed?.workflowTaskCompletedEventAttributes?.binaryChecksum,
      runId: described.runId,
      resettable: true,
    });
    expect(Number(points[0]?.firstWorkflowTaskCompletedId)).toBe(Number(completed?.eventId));
    expect(points[0]?.expireTime).toBeTruthy();
  });
});
