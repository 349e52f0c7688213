/**
 * A schedule across a SIGKILL and restart of the dev server on the same `--db-filename`: it is
 * still there, it catches up the times that passed while the server was down (within its
 * catch-up window), and no time fires twice (each time's workflow id has exactly one run).
 */
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleTestWorkflows, SETUP_TIMEOUT_MS, uniqueId, waitFor } from '../helpers';
import { greet } from '../workflows';
import { tempDir } from './helpers';
import { freePort, startServer, waitUntilServing, type ServerProcess } from './server-process';

const TASK_QUEUE = 'devserver-schedules-restart';

describe('dev server persistence: schedules survive a restart', () => {
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

  async function runsOf(client: Client, scheduleId: string): Promise<{ workflowId: string; scheduledMs: number }[]> {
    const runs = [];
    for await (const wf of client.workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` })) {
      runs.push({ workflowId: wf.workflowId, scheduledMs: (wf.searchAttributes.TemporalScheduledStartTime as Date[])[0].getTime() });
    }
    return runs.sort((a, b) => a.scheduledMs - b.scheduledMs);
  }

  it('keeps firing after the restart, catching up the times missed while down, each time once', async () => {
    // GIVEN a persisted server and a schedule every second that lets runs overlap
    const { file, cleanup } = tempDir();
    cleanupDir = cleanup;
    const port = await freePort();
    const first = startServer(port, file);
    servers.push(first);
    await waitUntilServing(first, port);
    const scheduleId = uniqueId('restart-schedule');
    const before = await session(port, async (client) => {
      const handle = await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: greet, workflowId: scheduleId, args: ['again'], taskQueue: TASK_QUEUE },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      });
      return await waitFor(async () => {
        const d = await handle.describe();
        return d.info.numActionsTaken >= 3 ? d.info.numActionsTaken : undefined;
      }, 60_000);
    });

    // WHEN the server is SIGKILLed, stays down past a few of its times, and starts again on the same file
    await first.kill();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const second = startServer(port, file);
    servers.push(second);
    await waitUntilServing(second, port);

    await session(port, async (client) => {
      const handle = client.schedule.getHandle(scheduleId);
      // THEN the schedule is still there and keeps taking actions
      await waitFor(async () => ((await handle.describe()).info.numActionsTaken >= before + 6 ? true : undefined), 60_000);
      await handle.pause('test over');
      await waitFor(async () => ((await handle.describe()).info.runningActions.length === 0 ? true : undefined), 60_000);

      // AND every second from the first action to the last ran exactly once, down time included
      const runs = await runsOf(client, scheduleId);
      const ids = runs.map((r) => r.workflowId);
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 1; i < runs.length; i++) expect(runs[i].scheduledMs - runs[i - 1].scheduledMs).toBe(1000);
      expect((await handle.describe()).info.numActionsTaken).toBe(runs.length);
    });
  });
});
