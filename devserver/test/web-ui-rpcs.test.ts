import { status } from '@grpc/grpc-js';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { bundleTestWorkflows, eventTypes, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { collector, threeActivities } from './workflows';

const TaskQueueType = temporal.api.enums.v1.TaskQueueType;
const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const CellId = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
const TASK_QUEUE = 'devserver-web-ui';
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

describe('dev server: the RPCs the Temporal Web UI server calls', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ searchAttributes: [CellId], sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('answers GetClusterInfo with the server version, stores and cluster name', async () => {
    const info = await env.connection.workflowService.getClusterInfo({});
    const system = await env.connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBe(system.serverVersion);
    expect(info.clusterName).toBe('active');
    expect(info.clusterId).toBeTruthy();
    expect(info.persistenceStore).toBeTruthy();
    expect(info.visibilityStore).toBeTruthy();
    expect(info.historyShardCount).toBe(1);
    expect(info.supportedClients?.['temporal-typescript']).toBeDefined();
    expect(info.supportedClients?.['temporal-ui']).toBeDefined();
  });

  it('serves history newest first with GetWorkflowExecutionHistoryReverse, page by page', async () => {
    // GIVEN a completed workflow with a few activities (a dozen or more events)
    const workflowId = uniqueId('reverse');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle,
      activities,
    });
    await worker.runUntil(env.client.workflow.execute(threeActivities, { taskQueue: TASK_QUEUE, workflowId, args: ['r'] }));
    const forward = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    expect(forward.length).toBeGreaterThan(10);

    // WHEN the reverse history is read 4 events at a time, and all at once
    const pages: temporal.api.history.v1.IHistoryEvent[][] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await env.connection.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: 'default',
        execution: { workflowId },
        maximumPageSize: 4,
        nextPageToken,
      });
      pages.push(page.history?.events ?? []);
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken && pages.length < 100);
    const whole = await env.connection.workflowService.getWorkflowExecutionHistoryReverse({ namespace: 'default', execution: { workflowId } });

    // THEN the pages hold 4 events each (the last one the rest), newest first, and together are the history reversed
    expect(pages.map((p) => p.length)).toEqual([
      ...Array<number>(Math.floor(forward.length / 4)).fill(4),
      ...(forward.length % 4 > 0 ? [forward.length % 4] : []),
    ]);
    const ids = pages.flat().map((e) => e.eventId?.toNumber());
    expect(ids).toEqual(forward.map((e) => e.eventId?.toNumber()).reverse());
    expect(eventTypes({ events: pages.flat() })).toEqual(eventTypes({ events: forward }).reverse());
    expect(eventTypes({ events: pages[0] })[0]).toBe('WORKFLOW_EXECUTION_COMPLETED');
    expect(whole.history?.events?.map((e) => e.eventId?.toNumber())).toEqual(ids);
    expect(whole.nextPageToken?.length ?? 0).toBe(0);

    // AND a bad token or an unknown workflow is rejected clearly
    const badToken = env.connection.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: 'default',
      execution: { workflowId },
      nextPageToken: Buffer.from('not a token'),
    });
    expect(await codeOf(badToken)).toBe(status.INVALID_ARGUMENT);
    const unknown = env.connection.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: 'default',
      execution: { workflowId: uniqueId('nobody') },
    });
    expect(await codeOf(unknown)).toBe(status.NOT_FOUND);
  });

  it('lists the workers recently polling a task queue with DescribeTaskQueue, per task type, and its backlog', async () => {
    // GIVEN a worker polling its task queue, with an identity of our choosing
    const queue = uniqueId('described-queue');
    const identity = `ui-test-worker-${queue}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle,
      activities,
      identity,
    });
    const describe = (taskQueueType: temporal.api.enums.v1.TaskQueueType, name = queue) =>
      env.connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType, reportStats: true });

    // WHEN the task queue is described while the worker runs
    const before = Date.now();
    const [workflowPollers, activityPollers] = await worker.runUntil(async () => {
      const wf = await waitFor(async () => {
        const r = await describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
        return (r.pollers ?? []).length > 0 ? r.pollers : undefined;
      });
      const act = await waitFor(async () => {
        const r = await describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
        return (r.pollers ?? []).length > 0 ? r.pollers : undefined;
      });
      return [wf, act] as const;
    });

    // THEN the worker is listed for both task types, with a recent last access time
    for (const pollers of [workflowPollers, activityPollers]) {
      expect(pollers?.map((p) => p.identity)).toEqual([identity]);
      const accessed = (pollers?.[0].lastAccessTime?.seconds?.toNumber() ?? 0) * 1000;
      expect(accessed).toBeGreaterThanOrEqual(before - 60_000);
      expect(accessed).toBeLessThanOrEqual(Date.now() + 1000);
    }

    // AND a queue nobody polls has no pollers, and a waiting workflow task shows in its backlog
    const idle = uniqueId('idle-queue');
    const handle = await env.client.workflow.start(collector, { taskQueue: idle, workflowId: uniqueId('backlogged') });
    const idleWorkflow = await describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, idle);
    expect(idleWorkflow.pollers).toEqual([]);
    expect(idleWorkflow.stats?.approximateBacklogCount?.toNumber()).toBe(1);
    expect((await describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, idle)).stats?.approximateBacklogCount?.toNumber()).toBe(0);
    await handle.terminate('test done');

    // AND a request without a task queue is INVALID_ARGUMENT
    expect(await codeOf(env.connection.workflowService.describeTaskQueue({ namespace: 'default' }))).toBe(status.INVALID_ARGUMENT);
  });

  it('lists namespaces page by page and describes them with their cluster, and reports search attributes', async () => {
    // WHEN the UI lists namespaces one per page, describes one, and reads the search attributes
    const first = await env.connection.workflowService.listNamespaces({ pageSize: 1 });
    const all = await env.connection.workflowService.listNamespaces({});
    const described = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    const operator = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const workflowService = await env.connection.workflowService.getSearchAttributes({});

    // THEN paging returns every namespace once, and each answer carries what the UI shows
    const pagedNames: string[] = (first.namespaces ?? []).map((n) => n.namespaceInfo?.name ?? '');
    let token = first.nextPageToken;
    while (token && token.length > 0) {
      const page = await env.connection.workflowService.listNamespaces({ pageSize: 1, nextPageToken: token });
      pagedNames.push(...(page.namespaces ?? []).map((n) => n.namespaceInfo?.name ?? ''));
      token = page.nextPageToken;
    }
    expect(first.namespaces).toHaveLength(1);
    expect(pagedNames).toEqual((all.namespaces ?? []).map((n) => n.namespaceInfo?.name));
    expect(pagedNames).toContain('default');
    expect(described.replicationConfig?.activeClusterName).toBe('active');
    expect(described.config?.workflowExecutionRetentionTtl?.seconds?.toNumber()).toBeGreaterThan(0);
    expect(operator.customAttributes?.CellId).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(operator.systemAttributes?.WorkflowId).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(workflowService.keys?.ExecutionStatus).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(await codeOf(env.connection.workflowService.listNamespaces({ nextPageToken: Buffer.from('x') }))).toBe(status.INVALID_ARGUMENT);
  });
});
