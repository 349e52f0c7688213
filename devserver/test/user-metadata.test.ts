/**
 * User metadata through the unmodified SDK: a start's staticSummary/staticDetails, and the
 * summaries of timers, activities and children, are kept in history (each event's userMetadata)
 * and the workflow's own in DescribeWorkflowExecution, where the Web UI reads them.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { eventsOfType, uniqueId, useTestWorkflows } from './helpers';
import { summarizedSteps, type UserMetadataActivities } from './workflows';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const TASK_QUEUE = 'devserver-user-metadata';

function text(payload: temporal.api.common.v1.IPayload | null | undefined): unknown {
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

function summary(event: HistoryEvent | undefined): unknown {
  return text(event?.userMetadata?.summary);
}

describe('dev server: user metadata', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const activities: UserMetadataActivities = {
    echo: (word) => Promise.resolve(word),
  };

  it('keeps the summaries of the start, timers, activities and children in history and describe', async () => {
    // GIVEN a workflow started with a static summary and details, whose timer, activity and child have summaries
    const workflowId = uniqueId('user-metadata');
    const worker = await Worker.create({ connection: wf.env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: wf.workflowBundle, activities });
    const result = await worker.runUntil(
      wf.env.client.workflow.execute(summarizedSteps, {
        workflowId,
        taskQueue: TASK_QUEUE,
        staticSummary: 'drain **cell-002**',
        staticDetails: 'requested by the on-call engineer',
      }),
    );
    expect(result).toBe('hello');

    // THEN describe returns the workflow's summary and details
    const description = await wf.env.client.workflow.getHandle(workflowId).describe();
    expect(await description.staticSummary()).toBe('drain **cell-002**');
    expect(await description.staticDetails()).toBe('requested by the on-call engineer');
    // and history has them on each event the command or start created
    const history = await wf.history(workflowId);
    const [started] = eventsOfType(history, 'WORKFLOW_EXECUTION_STARTED');
    expect(summary(started)).toBe('drain **cell-002**');
    expect(text(started.userMetadata?.details)).toBe('requested by the on-call engineer');
    expect(summary(eventsOfType(history, 'TIMER_STARTED')[0])).toBe('a short nap');
    expect(summary(eventsOfType(history, 'ACTIVITY_TASK_SCHEDULED')[0])).toBe('echo the word');
    const [initiated] = eventsOfType(history, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED');
    expect(summary(initiated)).toBe('the child');
    expect(text(initiated.userMetadata?.details)).toBe('details of the child');
    // and the child itself started with them
    const child = await wf.env.client.workflow.getHandle(`${workflowId}-child`).describe();
    expect(await child.staticSummary()).toBe('the child');
    expect(await child.staticDetails()).toBe('details of the child');
    await wf.expectReplays(workflowId);
  });

  it('describes a workflow started without metadata as having none', async () => {
    const workflowId = uniqueId('no-metadata');
    const handle = await wf.env.client.workflow.start(summarizedSteps, { workflowId, taskQueue: TASK_QUEUE });
    const description = await handle.describe();
    expect(await description.staticSummary()).toBeUndefined();
    expect(await description.staticDetails()).toBeUndefined();
    await handle.terminate('not needed');
  });
});
