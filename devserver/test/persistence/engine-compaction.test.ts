/**
 * Compaction of the engine's `--db-filename`: the snapshot replaces a log well above the live
 * state, and replays (with the records appended after it) to exactly the same workflows.
 */
import { statSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseArgs } from '../../config';
import { createLogger } from '../../log';
import { startDevServer, type RunningDevServer } from '../../server';
import { bundleTestWorkflows, SETUP_TIMEOUT_MS, uniqueId } from '../helpers';
import { durableProcedure, durableReleaseSignal, noteSignal, type DurableStepActivities } from '../workflows';
import { tempDir } from './helpers';

const TASK_QUEUE = 'devserver-persistence-compaction';

async function serve(file: string): Promise<RunningDevServer> {
  const { config } = parseArgs(['server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--db-filename', file, '--headless']);
  return await startDevServer(config, createLogger('never'));
}

describe('dev server persistence: compaction', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const temp = tempDir();

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(() => temp.cleanup());

  it('shrinks the file to the live state and restores the same workflows from snapshot plus later records', async () => {
    // GIVEN a persisted server that ran 20 procedures (each run rewritten by every transaction)
    let server = await serve(temp.file);
    let address = `127.0.0.1:${server.port}`;
    const activities: DurableStepActivities = { durableStep: (step) => Promise.resolve(`${step}:ok`) };
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    let connection = await Connection.connect({ address });
    let client = new Client({ connection });
    const runProcedure = async (workflowId: string): Promise<void> => {
      const handle = await client.workflow.start(durableProcedure, { taskQueue: TASK_QUEUE, workflowId, args: [10] });
      await handle.signal(noteSignal, workflowId);
      await handle.signal(durableReleaseSignal);
      await handle.result();
    };
    const before = Array.from({ length: 20 }, (_, i) => uniqueId(`before-${i}`));
    const after = Array.from({ length: 5 }, (_, i) => uniqueId(`after-${i}`));
    const open = uniqueId('open');
    await worker.runUntil(async () => {
      await Promise.all(before.map(runProcedure));

      // WHEN it compacts, then runs more procedures and leaves one open
      const persistence = server.persistence;
      if (!persistence) throw new Error('the server has no persistence');
      const bytesBefore = statSync(temp.file).size;
      await persistence.compactNow();
      const bytesAfter = statSync(temp.file).size;

      // THEN the file shrank to about the live state
      expect(bytesAfter).toBeLessThan(bytesBefore / 2);
      expect(bytesAfter).toBeLessThan(persistence.sizes.liveBytes * 1.5);
      await Promise.all(after.map(runProcedure));
      await client.workflow.start(durableProcedure, { taskQueue: TASK_QUEUE, workflowId: open, args: [10] });
    });
    await nativeConnection.close();
    const histories = new Map<string, string>();
    for (const id of [...before, ...after, open]) {
      histories.set(id, JSON.stringify(await client.workflow.getHandle(id).fetchHistory()));
    }
    await connection.close();
    await server.stop();

    // AND a server started on the file has every workflow with the same history, the open one still open
    server = await serve(temp.file);
    address = `127.0.0.1:${server.port}`;
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    try {
      for (const [id, history] of histories) {
        expect(JSON.stringify(await client.workflow.getHandle(id).fetchHistory())).toBe(history);
      }
      expect((await client.workflow.getHandle(open).describe()).status.name).toBe('RUNNING');
      expect(server.persistence?.recovery?.runs).toBe(before.length + after.length + 1);
      expect(server.persistence?.recovery?.openRuns).toBe(1);
    } finally {
      await connection.close();
      await server.stop();
    }
  }, 240_000); // a 20 MB state written, compacted and restored: minutes on a busy machine (a guard against a hang)
});
