import type { WorkflowExecutionInfo } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventTypes, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { activityOnIdleQueue, addItemSignal, collector, greet, threeActivities } from './workflows';

const TASK_QUEUE = 'devserver-visibility';
const IDLE_TASK_QUEUE = 'devserver-visibility-idle';
const CellId = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
const enums = temporal.api.enums.v1;

describe('dev server: describe, history and visibility', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  const activities: Partial<TestActivities> = { echo: (value) => Promise.resolve(`echo:${value}`) };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ searchAttributes: [CellId], sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  async function listIds(query: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of env.client.workflow.list({ query })) ids.push(info.workflowId);
    return ids;
  }

  it('describes a running workflow with its configuration, pending activity and history length', async () => {
    // GIVEN a workflow waiting on an activity nobody polls
    const workflowId = uniqueId('describe');
    const handle = await withWorker(async () => {
      const started = await env.client.workflow.start(activityOnIdleQueue, { taskQueue: TASK_QUEUE, workflowId, args: [IDLE_TASK_QUEUE] });
      await waitFor(async () => (eventTypes(await started.fetchHistory()).includes('ACTIVITY_TASK_SCHEDULED') ? true : undefined));
      return started;
    });

    // WHEN it is described
    const description = await handle.describe();
    const history = await handle.fetchHistory();

    // THEN it is running with one scheduled activity, and its history length matches
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(TASK_QUEUE);
    expect(description.historyLength).toBe(history.events?.length);
    expect(description.raw.executionConfig?.taskQueue?.name).toBe(TASK_QUEUE);
    expect(description.raw.pendingActivities).toHaveLength(1);
    expect(description.raw.pendingActivities?.[0]).toMatchObject({
      activityType: { name: 'echo' },
      state: enums.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
      attempt: 1,
    });
    await handle.terminate('test done');
  });

  it('pages through a history with maximumPageSize', async () => {
    // GIVEN a completed workflow with a few activities
    const workflowId = uniqueId('pages');
    await withWorker(() => env.client.workflow.execute(threeActivities, { taskQueue: TASK_QUEUE, workflowId, args: ['p'] }));
    const full = await env.client.workflow.getHandle(workflowId).fetchHistory();

    // WHEN it is read 5 events at a time
    const ids: number[] = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await env.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId },
        maximumPageSize: 5,
        nextPageToken,
      });
      ids.push(...(page.history?.events ?? []).map((e) => Number(e.eventId)));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages++;
    } while (nextPageToken && pages < 100);

    // THEN the pages add up to the whole history, in order
    expect(ids).toEqual(full.events?.map((e) => Number(e.eventId)));
    expect(pages).toBe(Math.ceil(ids.length / 5));
  });

  it('holds a waitNewEvent history request until the next event arrives', async () => {
    // GIVEN a running workflow whose history has been read to the end
    const workflowId = uniqueId('long-poll');
    const handle = await env.client.workflow.start(collector, { taskQueue: TASK_QUEUE, workflowId });
    const first = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      waitNewEvent: true,
    });
    const seen = first.history?.events?.length ?? 0;

    // WHEN the next page is requested with waitNewEvent and a signal is sent a moment later
    let answered = false;
    const next = env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      waitNewEvent: true,
      nextPageToken: first.nextPageToken,
    });
    void next.then(() => (answered = true));
    const answeredBeforeSignal = await new Promise<boolean>((resolve) =>
      setTimeout(() => {
        resolve(answered);
        void handle.signal(addItemSignal, 'wake');
      }, 300),
    );
    const page = await next;

    // THEN the call was still unanswered when the signal was sent, and returned with the new event
    expect(answeredBeforeSignal).toBe(false);
    expect(seen).toBe(2);
    expect(eventTypes(page.history ?? {})).toEqual(['WORKFLOW_EXECUTION_SIGNALED']);
    await handle.terminate('test done');
  });

  it('returns only the close event with the close-event filter', async () => {
    // GIVEN a completed workflow
    const workflowId = uniqueId('close-filter');
    await withWorker(() => env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['x'] }));

    // WHEN its history is requested with the close-event filter
    const response = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      historyEventFilterType: enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });

    // THEN exactly the completion event comes back
    expect(eventTypes(response.history ?? {})).toEqual(['WORKFLOW_EXECUTION_COMPLETED']);
  });

  it('lists and counts workflow executions, page by page', async () => {
    // GIVEN three completed workflows
    const ids = [uniqueId('list'), uniqueId('list'), uniqueId('list')];
    await withWorker(async () => {
      for (const workflowId of ids) await env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['l'] });
    });

    // WHEN all executions are listed (one per page) and counted
    const listed = await waitFor(async () => {
      const all = await listIds('');
      return ids.every((id) => all.includes(id)) ? all : undefined;
    });
    const firstPage = await env.client.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
    const { count } = await env.client.workflow.count();

    // THEN the newest run comes first, pages are cut at pageSize, and the count covers them
    expect(listed.indexOf(ids[2])).toBeLessThan(listed.indexOf(ids[0]));
    expect(firstPage.executions).toHaveLength(1);
    expect(firstPage.nextPageToken?.length).toBeGreaterThan(0);
    expect(count).toBeGreaterThanOrEqual(ids.length);
  });

  it('filters, orders and groups with the visibility query language', async () => {
    // GIVEN workflows of two types, one tagged with a CellId
    const tagged = uniqueId('query-tagged');
    const plain = uniqueId('query-plain');
    await withWorker(async () => {
      await env.client.workflow.execute(greet, {
        taskQueue: TASK_QUEUE,
        workflowId: tagged,
        args: ['q'],
        typedSearchAttributes: [{ key: CellId, value: 'cell-query-1' }],
      });
      await env.client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId: plain, args: ['q'] });
    });

    // WHEN they are listed by custom attribute, by id and status, and counted by status
    const byCell = await waitFor(async () => {
      const found = await listIds(`CellId = "cell-query-1"`);
      return found.length > 0 ? found : undefined;
    });
    const byId = await listIds(`WorkflowId = "${plain}" AND ExecutionStatus = "Completed"`);
    const ordered: WorkflowExecutionInfo[] = [];
    for await (const info of env.client.workflow.list({ query: `WorkflowId = "${tagged}" OR WorkflowId = "${plain}" ORDER BY StartTime ASC` })) {
      ordered.push(info);
    }
    const grouped = await env.client.workflow.count(`WorkflowType = "greet" GROUP BY ExecutionStatus`);

    // THEN each query selects exactly what it names
    expect(byCell).toEqual([tagged]);
    expect(byId).toEqual([plain]);
    expect(ordered.map((i) => i.workflowId)).toEqual([tagged, plain]);
    // The client decodes each group value the legacy way, as a one-element list.
    expect(grouped.groups.some((g) => (g.groupValues as unknown[]).flat().includes('Completed') && g.count >= 2)).toBe(true);
  });

  it('rejects a malformed visibility query as an invalid argument', async () => {
    // WHEN a query that does not parse is listed
    const listing = env.client.workflowService.listWorkflowExecutions({ namespace: 'default', query: 'WorkflowId = = "x"' });

    // THEN it is INVALID_ARGUMENT
    await expect(listing).rejects.toMatchObject({ code: 3 });
  });

  it('reports and registers search attributes', async () => {
    // GIVEN the attributes the environment registered
    const name = `Test${Date.now()}`;

    // WHEN a new one is added through the operator service and the lists are read
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { [name]: enums.IndexedValueType.INDEXED_VALUE_TYPE_INT },
    });
    const operatorList = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const workflowServiceList = await env.client.workflowService.getSearchAttributes({});

    // THEN custom and system attributes are reported with their types
    expect(operatorList.customAttributes?.CellId).toBe(enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(operatorList.customAttributes?.[name]).toBe(enums.IndexedValueType.INDEXED_VALUE_TYPE_INT);
    expect(operatorList.systemAttributes?.WorkflowId).toBe(enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(workflowServiceList.keys?.CellId).toBe(enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(workflowServiceList.keys?.StartTime).toBe(enums.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
  });
});
