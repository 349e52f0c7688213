import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { approvalGate, approveUpdate, closeSignal, handledQuery } from './workflows';

const TASK_QUEUE = 'devserver-updates';

describe('dev server: workflow updates', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  const activities: Partial<TestActivities> = {
    async sleepFor(ms) {
      await Context.current().sleep(ms);
      return 'slept';
    },
  };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  it('runs an update to completion: the caller gets the result, history gets Accepted then Completed', async () => {
    // GIVEN a running approval gate
    const workflowId = uniqueId('update-execute');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [result, handled] = await withWorker(async () => {
      // WHEN an approval is sent as an update and the gate is then closed
      const answer = await handle.executeUpdate(approveUpdate, { args: ['alice'], updateId: 'approve-1' });
      await handle.signal(closeSignal);
      return [answer, await handle.result()];
    });

    // THEN the caller got the handler's result and history records the update in order
    expect(result).toBe('approved by alice');
    expect(handled).toEqual(['approve:alice']);
    const history = await handle.fetchHistory();
    const types = eventTypes(history);
    const accepted = types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(accepted).toBeGreaterThan(0);
    expect(types[accepted - 1]).toBe('WORKFLOW_TASK_COMPLETED');
    expect(types[accepted + 1]).toBe('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    const acceptedEvent = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')[0];
    const attrs = acceptedEvent.workflowExecutionUpdateAcceptedEventAttributes;
    expect(attrs?.protocolInstanceId).toBe('approve-1');
    expect(attrs?.acceptedRequestMessageId).toBe('approve-1/request');
    expect(attrs?.acceptedRequest?.input?.name).toBe('approve');
    // The request was sequenced after the event before its task's WorkflowTaskStarted.
    expect(types[Number(attrs?.acceptedRequestSequencingEventId) - 1]).toBe('WORKFLOW_TASK_SCHEDULED');
    const completed = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')[0].workflowExecutionUpdateCompletedEventAttributes;
    expect(Number(completed?.acceptedEventId)).toBe(Number(acceptedEvent.eventId));
    expect(completed?.meta?.updateId).toBe('approve-1');
  });

  it('rejects an update its validator refuses: the caller gets the failure, history gets no events', async () => {
    // GIVEN a running approval gate that has finished its first task
    const workflowId = uniqueId('update-reject');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [lengthBefore, error, lengthAfter] = await withWorker(async () => {
      await handle.query(handledQuery);
      const before = (await handle.fetchHistory()).events?.length ?? 0;

      // WHEN an update is sent that the validator rejects
      const err = await handle.executeUpdate(approveUpdate, { args: ['mallory'] }).catch((e: unknown) => e);
      const after = (await handle.fetchHistory()).events?.length ?? 0;
      await handle.signal(closeSignal);
      await handle.result();
      return [before, err, after];
    });

    // THEN the caller gets the validator's failure and the rejection left no trace in history
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).message).toBe('mallory may not approve');
    expect((cause as ApplicationFailure).type).toBe('NotAnApprover');
    expect(lengthAfter).toBe(lengthBefore);
    const types = eventTypes(await handle.fetchHistory());
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
  });

  it('starts an update, returns at acceptance, and gives the result through the handle', async () => {
    // GIVEN a running approval gate
    const workflowId = uniqueId('update-start');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [stageResult, viaNewHandle] = await withWorker(async () => {
      // WHEN an update is started (wait for ACCEPTED), then its result fetched from a fresh handle
      const updateHandle = await handle.startUpdate(approveUpdate, {
        args: ['bob'],
        updateId: 'approve-bob',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const first = await updateHandle.result();
      const second = await env.client.workflow.getHandle(workflowId).getUpdateHandle<string>('approve-bob').result();
      await handle.signal(closeSignal);
      await handle.result();
      return [first, second];
    });

    // THEN both handles see the same result
    expect(stageResult).toBe('approved by bob');
    expect(viaNewHandle).toBe('approved by bob');
  });
});
