/**
 * Child workflows across a SIGKILL and restart of the dev server on the same `--db-filename`:
 * the parent/child links, pending children and parent close policies are state like any other.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleTestWorkflows, SETUP_TIMEOUT_MS, uniqueId, waitFor } from '../helpers';
import { finishSignal, parentWithPolicies } from '../workflows';
import { tempDir } from './helpers';
import { freePort, startServer, waitUntilServing, type ServerProcess } from './server-process';

const TASK_QUEUE = 'devserver-children-restart';
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

describe('dev server persistence: child workflows survive a restart', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const servers: ServerProcess[] = [];
  let cleanupDir: () => void = () => undefined;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: 'off' } } });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    for (const server of servers) await server.kill();
    cleanupDir();
  });

  /** Connects a client and a worker to the server on `port`, runs `fn`, then disconnects. */
  async function session<T>(port: number, fn: (client: Client) => Promise<T>): Promise<T> {
    const address = `127.0.0.1:${port}`;
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    try {
      const worker = await Worker.create({ connection: nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
      return await worker.runUntil(fn(new Client({ connection })));
    } finally {
      await nativeConnection.close();
      await connection.close();
    }
  }

  it('keeps a parent with running children, and applies their close policies after the restart', async () => {
    // GIVEN a persisted server and a parent with three running children (one per close policy)
    const { file, cleanup } = tempDir();
    cleanupDir = cleanup;
    const port = await freePort();
    const first = startServer(port, file);
    servers.push(first);
    await waitUntilServing(first, port);
    const workflowId = uniqueId('restart-parent');
    const ids = { terminate: `${workflowId}-terminate`, cancel: `${workflowId}-request-cancel`, abandon: `${workflowId}-abandon` };
    const describe = (client: Client, id: string) =>
      client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id } });
    const parentRunId = await session(port, async (client) => {
      const handle = await client.workflow.start(parentWithPolicies, { taskQueue: TASK_QUEUE, workflowId });
      await waitFor(async () => ((await describe(client, workflowId)).pendingChildren?.length === 3 ? true : undefined), 60_000);
      return handle.firstExecutionRunId;
    });

    // WHEN the server is SIGKILLed and started again on the same file
    await first.kill();
    const second = startServer(port, file);
    servers.push(second);
    await waitUntilServing(second, port);

    await session(port, async (client) => {
      // THEN the parent still lists its children and each child still names its parent
      const pending = (await describe(client, workflowId)).pendingChildren ?? [];
      expect(pending.map((c) => c.workflowId)).toEqual([ids.terminate, ids.cancel, ids.abandon]);
      expect((await describe(client, ids.abandon)).workflowExecutionInfo?.parentExecution).toEqual({ workflowId, runId: parentRunId });

      // AND when the parent completes, each child gets its parent close policy
      await client.workflow.getHandle(workflowId).signal(finishSignal);
      await client.workflow.getHandle(workflowId).result();
      await waitFor(
        async () => ((await describe(client, ids.cancel)).workflowExecutionInfo?.status === Status.WORKFLOW_EXECUTION_STATUS_CANCELED ? true : undefined),
        60_000,
        'the cancel-requested child to cancel',
      );
      expect((await describe(client, ids.terminate)).workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
      expect((await describe(client, ids.abandon)).workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_RUNNING);
    });
  }, 240_000); // two server starts and a worker: minutes on a busy machine (a guard against a hang)
});
