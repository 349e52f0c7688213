import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { useTestWorkflows, eventsOfType, eventTypes, uniqueId } from './helpers';
import { continuesAsNew, parentOfContinuingChild } from './workflows';

type History = temporal.api.history.v1.IHistory;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const TASK_QUEUE = 'devserver-continue-as-new';

describe('dev server: continue-as-new', () => {
  const wf = useTestWorkflows(TASK_QUEUE);
  const { withWorker } = wf;

  async function runHistory(workflowId: string, runId: string): Promise<History> {
    return await wf.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  }

  async function expectReplays(histories: History[]): Promise<void> {
    for (const h of histories) {
      const workflowId = h.events?.[0].workflowExecutionStartedEventAttributes?.workflowId ?? '';
      await Worker.runReplayHistory({ workflowBundle: wf.workflowBundle }, historyFromJSON(JSON.parse(historyToJSON(h))), workflowId);
    }
  }

  /** The run ids of a chain, first to last, by following each run's ContinuedAsNew event. */
  async function chain(workflowId: string, firstRunId: string): Promise<{ runIds: string[]; histories: History[] }> {
    const runIds = [firstRunId];
    const histories: History[] = [];
    for (;;) {
      const h = await runHistory(workflowId, runIds[runIds.length - 1]);
      histories.push(h);
      const next = eventsOfType(h, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW')[0]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) return { runIds, histories };
      runIds.push(next);
    }
  }

  it('closes each run with ContinuedAsNew naming the next, and the client result follows the chain', async () => {
    // GIVEN a workflow that continues as new twice, started with a memo and an execution timeout
    const workflowId = uniqueId('continues');
    const { report, firstRunId, resultFromFirstRun } = await withWorker(async () => {
      const handle = await wf.env.client.workflow.start(continuesAsNew, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [2],
        memo: { note: 'kept across runs' },
        workflowExecutionTimeout: '1h',
        workflowTaskTimeout: '7s',
      });
      // WHEN the client waits for the result, from the first run's handle
      const report = await handle.result();
      const resultFromFirstRun = await wf.env.client.workflow.getHandle<typeof continuesAsNew>(workflowId, handle.firstExecutionRunId).result();
      return { report, firstRunId: handle.firstExecutionRunId, resultFromFirstRun };
    });

    // THEN the result is the last run's, which knows it is the third run of the same execution chain
    const { runIds, histories } = await chain(workflowId, firstRunId);
    expect(runIds).toHaveLength(3);
    expect(report).toEqual({
      runs: 3,
      runId: runIds[2],
      firstExecutionRunId: firstRunId,
      continuedFromExecutionRunId: runIds[1],
      memo: { note: 'kept across runs' },
      taskTimeoutMs: 7000,
    });
    expect(resultFromFirstRun).toEqual(report);

    // AND the first two runs end with ContinuedAsNew, the last with Completed
    const closing = ['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED'];
    expect(eventTypes(histories[0])).toEqual([...closing, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW']);
    expect(eventTypes(histories[1])).toEqual([...closing, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW']);
    expect(eventTypes(histories[2])).toEqual([...closing, 'WORKFLOW_EXECUTION_COMPLETED']);
    const continued = histories[0].events?.[4].workflowExecutionContinuedAsNewEventAttributes;
    expect(continued).toMatchObject({
      newExecutionRunId: runIds[1],
      workflowType: { name: 'continuesAsNew' },
      taskQueue: { name: TASK_QUEUE },
      initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    });
    expect(continued?.workflowTaskCompletedEventId?.toNumber()).toBe(4);

    // AND each new run's Started event names the run it continues, the first run and the original expiration
    const first = histories[0].events?.[0].workflowExecutionStartedEventAttributes;
    for (const i of [1, 2]) {
      const started = histories[i].events?.[0].workflowExecutionStartedEventAttributes;
      expect(started).toMatchObject({
        continuedExecutionRunId: runIds[i - 1],
        firstExecutionRunId: firstRunId,
        originalExecutionRunId: runIds[i],
        initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        workflowExecutionExpirationTime: first?.workflowExecutionExpirationTime,
      });
    }

    // AND Describe shows the closed runs as ContinuedAsNew and the current run as Completed
    const describe = (runId?: string) =>
      wf.env.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId, runId } });
    expect((await describe(firstRunId)).workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
    const current = (await describe()).workflowExecutionInfo;
    expect(current?.execution?.runId).toBe(runIds[2]);
    expect(current?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    expect(current?.firstRunId).toBe(firstRunId);

    // AND every run's history replays
    await expectReplays(histories);
  });

  it('keeps a continued child attached to its parent, which gets the last run as the child result', async () => {
    // GIVEN a parent whose child continues as new twice
    const workflowId = uniqueId('parent-of-continuing');
    const childId = `${workflowId}-child`;

    // WHEN it runs
    const report = await withWorker(() => wf.env.client.workflow.execute(parentOfContinuingChild, { taskQueue: TASK_QUEUE, workflowId }));

    // THEN the child's last run still knew its parent, and the parent saw one child start and one completion
    expect(report).toMatchObject({ runs: 3, parentWorkflowId: workflowId });
    const parentHistory = await wf.env.client.workflow.getHandle(workflowId).fetchHistory();
    const nonTask = eventTypes(parentHistory).filter((t) => !t.startsWith('WORKFLOW_TASK_'));
    expect(nonTask).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const completed = eventsOfType(parentHistory, 'CHILD_WORKFLOW_EXECUTION_COMPLETED')[0].childWorkflowExecutionCompletedEventAttributes;
    expect(completed?.workflowExecution).toEqual({ workflowId: childId, runId: report.runId });
    const childStarted = eventsOfType(parentHistory, 'CHILD_WORKFLOW_EXECUTION_STARTED')[0].childWorkflowExecutionStartedEventAttributes;
    const { histories } = await chain(childId, childStarted?.workflowExecution?.runId ?? '');
    expect(histories).toHaveLength(3);
    const lastStarted = histories[2].events?.[0].workflowExecutionStartedEventAttributes;
    expect(lastStarted?.parentWorkflowExecution?.workflowId).toBe(workflowId);
    expect(lastStarted?.rootWorkflowExecution?.workflowId).toBe(workflowId);
    await expectReplays([parentHistory, ...histories]);
  });
});
