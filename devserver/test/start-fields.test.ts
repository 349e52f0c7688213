/**
 * Start fields reach the workflow as they were given, through the unmodified SDK: timeouts left
 * unset stay unset, the priority is copied to WorkflowExecutionStarted (of children too), and
 * search attributes carry their type, so a Datetime attribute arrives as a Date.
 */
import { temporal } from '@temporalio/proto';
import { eventsOfType, uniqueId, useTestWorkflows } from './helpers';
import { childStartFields, DEADLINE_ATTRIBUTE, startFields } from './workflows';

const TASK_QUEUE = 'devserver-start-fields';

describe('dev server: start fields kept as given', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const { withWorker } = wf;

  beforeAll(async () => {
    await wf.env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { [DEADLINE_ATTRIBUTE.name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME },
    });
  });

  it('leaves unset run and execution timeouts unset, in history and in the workflow', async () => {
    // GIVEN a start without run or execution timeout
    const workflowId = uniqueId('no-timeouts');
    const report = await withWorker(() => wf.env.client.workflow.execute(startFields, { workflowId, taskQueue: TASK_QUEUE }));

    // THEN the workflow sees no timeouts (not 0 ms), only the default task timeout
    expect(report).toMatchObject({ executionTimeoutMs: null, runTimeoutMs: null, taskTimeoutMs: 10_000 });
    const [started] = eventsOfType(await wf.history(workflowId), 'WORKFLOW_EXECUTION_STARTED');
    expect(started.workflowExecutionStartedEventAttributes?.workflowExecutionTimeout).toBeFalsy();
    expect(started.workflowExecutionStartedEventAttributes?.workflowRunTimeout).toBeFalsy();

    // GIVEN an execution timeout only
    const timedId = uniqueId('execution-timeout');
    const timed = await withWorker(() =>
      wf.env.client.workflow.execute(startFields, { workflowId: timedId, taskQueue: TASK_QUEUE, workflowExecutionTimeout: '1 hour' }),
    );
    // THEN the run timeout defaults to it
    expect(timed).toMatchObject({ executionTimeoutMs: 3_600_000, runTimeoutMs: 3_600_000 });
  });

  it('copies the priority of the start request, and of a child start, to the workflow', async () => {
    // GIVEN a workflow started with priority key 2, and a child started with priority key 4
    const workflowId = uniqueId('priority');
    const parentId = uniqueId('priority-parent');
    const { own, child } = await withWorker(async () => ({
      own: await wf.env.client.workflow.execute(startFields, { workflowId, taskQueue: TASK_QUEUE, priority: { priorityKey: 2 } }),
      child: await wf.env.client.workflow.execute(childStartFields, { workflowId: parentId, taskQueue: TASK_QUEUE, args: [4] }),
    }));

    // THEN each saw its own priority, which its Started event carries
    expect(own.priorityKey).toBe(2);
    expect(child.priorityKey).toBe(4);
    const [started] = eventsOfType(await wf.history(workflowId), 'WORKFLOW_EXECUTION_STARTED');
    expect(started.workflowExecutionStartedEventAttributes?.priority?.priorityKey).toBe(2);
    await wf.expectReplays(workflowId, parentId);
  });

  it('keeps the type of search attributes: a Datetime set without type metadata reaches the workflow as a Date', async () => {
    // GIVEN a start whose Datetime attribute is sent the legacy way (no type in its metadata)
    const workflowId = uniqueId('datetime-attribute');
    const deadline = new Date('2030-01-02T03:04:05.000Z');
    const report = await withWorker(() =>
      wf.env.client.workflow.execute(startFields, {
        workflowId,
        taskQueue: TASK_QUEUE,
        searchAttributes: { [DEADLINE_ATTRIBUTE.name]: [deadline] },
      }),
    );

    // THEN the workflow decodes it as a Date, in the typed and the legacy view
    expect(report).toMatchObject({ deadlineIsDate: true, deadline: deadline.toISOString(), legacyDeadlineIsDate: true });
    // and history and describe carry the type
    const [started] = eventsOfType(await wf.history(workflowId), 'WORKFLOW_EXECUTION_STARTED');
    const payload = started.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields?.[DEADLINE_ATTRIBUTE.name];
    expect(Buffer.from(payload?.metadata?.type ?? []).toString()).toBe('Datetime');
    const description = await wf.env.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(DEADLINE_ATTRIBUTE)).toEqual(deadline);
  });
});
