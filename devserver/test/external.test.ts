import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { useTestWorkflows, eventsOfType, eventTypes, uniqueId } from './helpers';
import { cancelsExternal, collector, finishSignal, signalsExternal, waitForCancel } from './workflows';

type History = temporal.api.history.v1.IHistory;
const TASK_QUEUE = 'devserver-external';

/** Event types without the workflow-task events. */
function nonTaskEventTypes(history: History): string[] {
  return eventTypes(history).filter((t) => !t.startsWith('WORKFLOW_TASK_'));
}

describe('dev server: signalling and cancelling other workflows', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const { withWorker, history, expectReplays } = wf;

  it('delivers a signal to another workflow: Initiated, then Signaled in the target and ExternalWorkflowExecutionSignaled in the sender', async () => {
    // GIVEN a running collector
    const targetId = uniqueId('signal-target');
    const senderId = uniqueId('signal-sender');
    const { outcome, items } = await withWorker(async () => {
      const target = await wf.env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId: targetId });
      // WHEN another workflow signals it by id
      const outcome = await wf.env.client.workflow.execute(signalsExternal, { taskQueue: TASK_QUEUE, workflowId: senderId, args: [targetId, 'from-sender'] });
      await target.signal(finishSignal);
      return { outcome, items: await target.result() };
    });

    // THEN the target received the item, and the sender saw the signal delivered
    expect(outcome).toEqual({ ok: true });
    expect(items).toEqual(['from-sender']);
    const sender = await history(senderId);
    expect(nonTaskEventTypes(sender)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'EXTERNAL_WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const initiated = eventsOfType(sender, 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')[0];
    expect(initiated.signalExternalWorkflowExecutionInitiatedEventAttributes).toMatchObject({
      namespace: 'default',
      workflowExecution: { workflowId: targetId },
      signalName: 'addItem',
    });
    const signaled = eventsOfType(sender, 'EXTERNAL_WORKFLOW_EXECUTION_SIGNALED')[0].externalWorkflowExecutionSignaledEventAttributes;
    expect(signaled?.initiatedEventId?.toNumber()).toBe(initiated.eventId?.toNumber());
    const received = eventsOfType(await history(targetId), 'WORKFLOW_EXECUTION_SIGNALED')[0].workflowExecutionSignaledEventAttributes;
    expect(received?.signalName).toBe('addItem');
    expect(received?.externalWorkflowExecution?.workflowId).toBe(senderId);
    await expectReplays(senderId, targetId);
  });

  it('fails a signal to a workflow that does not exist with EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', async () => {
    const senderId = uniqueId('signal-nobody');
    const outcome = await withWorker(() =>
      wf.env.client.workflow.execute(signalsExternal, { taskQueue: TASK_QUEUE, workflowId: senderId, args: [uniqueId('nobody'), 'x'] }),
    );
    expect(outcome.ok).toBe(false);
    const sender = await history(senderId);
    expect(nonTaskEventTypes(sender)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const failed = eventsOfType(sender, 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED')[0].signalExternalWorkflowExecutionFailedEventAttributes;
    expect(failed?.cause).toBe(
      temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    );
    await expectReplays(senderId);
  });

  it('requests cancellation of another workflow: the target gets CancelRequested naming the sender', async () => {
    // GIVEN a workflow waiting to be cancelled
    const targetId = uniqueId('cancel-target');
    const senderId = uniqueId('cancel-sender');
    const { outcome, targetError } = await withWorker(async () => {
      const target = await wf.env.client.workflow.start(waitForCancel, { taskQueue: TASK_QUEUE, workflowId: targetId });
      // WHEN another workflow cancels it by id
      const outcome = await wf.env.client.workflow.execute(cancelsExternal, { taskQueue: TASK_QUEUE, workflowId: senderId, args: [targetId] });
      const targetError = await target.result().catch((err: unknown) => err);
      return { outcome, targetError };
    });

    // THEN the target ended cancelled, and the sender saw the request delivered
    expect(outcome).toEqual({ ok: true });
    expect(targetError).toBeInstanceOf(WorkflowFailedError);
    expect((targetError as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const sender = await history(senderId);
    expect(nonTaskEventTypes(sender)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const initiated = eventsOfType(sender, 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')[0];
    const requested = eventsOfType(await history(targetId), 'WORKFLOW_EXECUTION_CANCEL_REQUESTED')[0].workflowExecutionCancelRequestedEventAttributes;
    expect(requested?.externalWorkflowExecution?.workflowId).toBe(senderId);
    expect(requested?.externalInitiatedEventId?.toNumber()).toBe(initiated.eventId?.toNumber());
    expect(eventTypes(await history(targetId)).at(-1)).toBe('WORKFLOW_EXECUTION_CANCELED');
    await expectReplays(senderId, targetId);
  });

  it('fails a cancel request for a closed workflow with EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', async () => {
    // GIVEN a workflow that has already completed
    const targetId = uniqueId('cancel-closed');
    const senderId = uniqueId('cancel-late');
    const outcome = await withWorker(async () => {
      const target = await wf.env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId: targetId });
      await target.signal(finishSignal);
      await target.result();
      return await wf.env.client.workflow.execute(cancelsExternal, { taskQueue: TASK_QUEUE, workflowId: senderId, args: [targetId] });
    });
    expect(outcome.ok).toBe(false);
    const sender = await history(senderId);
    expect(nonTaskEventTypes(sender)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const failed = eventsOfType(sender, 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED')[0]
      .requestCancelExternalWorkflowExecutionFailedEventAttributes;
    expect(failed?.cause).toBe(
      temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    );
    await expectReplays(senderId);
  });
});
