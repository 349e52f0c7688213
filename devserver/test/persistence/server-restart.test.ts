/**
 * The dev server with `--db-filename`, as a process: SIGKILLed in the middle of real workflows
 * (unmodified SDK worker and client) and started again on the same file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { bundleTestWorkflows, eventsOfType, SETUP_TIMEOUT_MS, uniqueId, waitFor } from '../helpers';
import { durableProcedure, noteSignal, durableReleaseSignal, type DurableStepActivities } from '../workflows';
import { tempDir } from './helpers';
import { freePort, startServer, waitUntilServing, type ServerProcess } from './server-process';

const TASK_QUEUE = 'devserver-persistence';
const TIMER_MS = 2_000;
const DOWNTIME_MS = 3_000;
const STEPS = ['one', 'two', 'three'];
const FIRST_NOTE_AFTER_RESTART = 'first-after-restart';
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function eventTimeMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const t = event.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

describe('dev server persistence: SIGKILL and restart on the same --db-filename', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const servers: ServerProcess[] = [];
  const dirs: (() => void)[] = [];

  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // The worker's core logs every poll retried while the server is down; that is the point here.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: 'off' } } });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    for (const server of servers) await server.kill();
    for (const cleanup of dirs) cleanup();
  });

  async function serve(port: number, file: string): Promise<ServerProcess> {
    const server = startServer(port, file);
    servers.push(server);
    await waitUntilServing(server, port);
    return server;
  }

  function newFile(): string {
    const { file, cleanup } = tempDir();
    dirs.push(cleanup);
    return file;
  }

  it('completes every workflow, loses no acknowledged start, signal or activity completion, and fires at once a timer that fell due while it was down', async () => {
    // GIVEN a persisted server, a client, and an unmodified worker whose activity counts its executions
    const port = await freePort();
    const file = newFile();
    const address = `127.0.0.1:${port}`;
    let server = await serve(port, file);
    // Requests sent while the server is down are retried (same request, same request id) until it is
    // back; the budget covers a restart on a loaded machine, not only the planned downtime.
    const connection = await Connection.connect({
      address,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 30 }))],
    });
    const client = new Client({ connection });
    const ids = Array.from({ length: 12 }, (_, i) => uniqueId(`durable-${i}`));
    // What the server acknowledged, per step (`<workflowId>/<step>`): every other workflow's steps
    // complete themselves through RespondActivityTaskCompleted (async completion), so the call
    // having returned is the acknowledgement; the others are completed by the worker itself, whose
    // call is not visible from here, so a step counts as acknowledged once the next step began
    // (the server hands out a task only after the change that scheduled it is durable).
    const executions = new Map<string, number>();
    const acknowledgedSteps = new Set<string>();
    const ranAfterAcknowledged: string[] = [];
    const activities: DurableStepActivities = {
      async durableStep(step) {
        const info = Context.current().info;
        const workflowId = info.workflowExecution?.workflowId ?? '';
        const key = `${workflowId}/${step}`;
        if (acknowledgedSteps.has(key)) ranAfterAcknowledged.push(key);
        const previous = STEPS[STEPS.indexOf(step) - 1];
        if (previous) acknowledgedSteps.add(`${workflowId}/${previous}`);
        executions.set(key, (executions.get(key) ?? 0) + 1);
        await sleep(150);
        if (ids.indexOf(workflowId) % 2 === 1) return `${step}:done`;
        client.activity.complete(info.taskToken, `${step}:done`).then(
          () => acknowledgedSteps.add(key),
          () => undefined, // not acknowledged: the server runs the step again after its timeout
        );
        throw new CompleteAsyncError();
      },
    };
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle,
      activities,
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await nativeConnection.close();
      await connection.close();
    });

    // WHEN 12 procedures start 200 ms apart, the second half only once the kill was decided (so
    // their starts meet the server down), while notes are signalled to them continuously
    let killDecided!: () => void;
    const killing = new Promise<void>((resolve) => (killDecided = resolve));
    const startedRunIds = new Map<string, string>();
    const starting = (async () => {
      for (const [i, workflowId] of ids.entries()) {
        if (i === ids.length / 2) await killing;
        const handle = await client.workflow.start(durableProcedure, { taskQueue: TASK_QUEUE, workflowId, args: [TIMER_MS] });
        startedRunIds.set(workflowId, handle.firstExecutionRunId);
        await sleep(200);
      }
    })();
    const acknowledged = new Map<string, string[]>();
    let signalling = true;
    let noteSeq = 0;
    const signalLoops = Array.from({ length: 3 }, async () => {
      while (signalling) {
        const workflowId = [...startedRunIds.keys()][noteSeq % Math.max(1, startedRunIds.size)];
        const note = `note-${noteSeq++}`;
        if (workflowId) {
          try {
            await client.workflow.getHandle(workflowId).signal(noteSignal, note);
            acknowledged.set(workflowId, [...(acknowledged.get(workflowId) ?? []), note]);
          } catch {
            // Not acknowledged: may or may not have been applied.
          }
        }
        await sleep(15);
      }
    });

    // ... and the server is SIGKILLed once the first procedure's timer is started (recorded in its history)
    await waitFor(
      async () => (startedRunIds.has(ids[0]) && eventsOfType(await client.workflow.getHandle(ids[0]).fetchHistory(), 'TIMER_STARTED').length > 0 ? true : undefined),
      90_000,
      "the first procedure's timer to start",
    );
    killDecided();
    const startedBeforeKill = startedRunIds.size;
    await server.kill();
    // ... and is down for longer than the timer, so the timer falls due while it is down
    await sleep(DOWNTIME_MS);
    // ... and is started again on the same file
    const restartedAt = Date.now();
    server = await serve(port, file);
    // The first request the restarted server records for the first procedure (after it answers).
    await client.workflow.getHandle(ids[0]).signal(noteSignal, FIRST_NOTE_AFTER_RESTART);

    // THEN the starts resume, every procedure reaches its timer, and (released) completes
    await starting;
    const countWithFiredTimer = async (): Promise<true | undefined> => {
      for (const workflowId of ids) {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        if (eventsOfType(history, 'TIMER_FIRED').length === 0) return undefined;
      }
      return true;
    };
    await waitFor(countWithFiredTimer, 120_000, 'every timer to fire');
    signalling = false;
    await Promise.all(signalLoops);
    await Promise.all(ids.map((workflowId) => client.workflow.getHandle(workflowId).signal(durableReleaseSignal)));
    const results = await Promise.all(ids.map((workflowId) => client.workflow.getHandle<typeof durableProcedure>(workflowId).result()));

    expect(startedBeforeKill).toBeGreaterThan(0);
    expect(startedBeforeKill).toBeLessThanOrEqual(ids.length / 2);
    for (const [i, workflowId] of ids.entries()) {
      // Exactly one run per workflow id, the one the client was told about
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.runId).toBe(startedRunIds.get(workflowId));
      expect(description.status.name).toBe('COMPLETED');
      expect(results[i].steps).toEqual(['one:done', 'two:done', 'three:done']);
      // Every acknowledged note arrived exactly once, and no note twice
      const notes = results[i].notes;
      for (const note of acknowledged.get(workflowId) ?? []) expect(notes.filter((n) => n === note)).toHaveLength(1);
      expect(new Set(notes).size).toBe(notes.length);
    }
    expect([...acknowledged.values()].flat().length).toBeGreaterThan(20);
    // Every step ran at least once; none ran again after the server had acknowledged its completion
    for (const workflowId of ids) for (const step of STEPS) expect(executions.get(`${workflowId}/${step}`) ?? 0).toBeGreaterThanOrEqual(1);
    expect(ranAfterAcknowledged).toEqual([]);
    // The first procedure's timer fell due while the server was down, and the restarted server fired
    // it before recording the first request it answered for that procedure
    const firstHistory = await client.workflow.getHandle(ids[0]).fetchHistory();
    const timerStarted = eventsOfType(firstHistory, 'TIMER_STARTED')[0];
    const timerFired = eventsOfType(firstHistory, 'TIMER_FIRED')[0];
    expect(eventTimeMs(timerStarted) + TIMER_MS).toBeLessThan(restartedAt);
    expect(eventTimeMs(timerFired)).toBeGreaterThanOrEqual(restartedAt);
    const markerSignal = eventsOfType(firstHistory, 'WORKFLOW_EXECUTION_SIGNALED').find(
      (e) => defaultPayloadConverter.fromPayload(e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0] ?? {}) === FIRST_NOTE_AFTER_RESTART,
    );
    expect(Number(timerFired.eventId)).toBeLessThan(Number(markerSignal?.eventId));
  }, 240_000);

  it('still lists, describes and serves the history of closed workflows after a restart, and runs new ones', async () => {
    // GIVEN three completed procedures on a persisted server
    const port = await freePort();
    const file = newFile();
    const address = `127.0.0.1:${port}`;
    let server = await serve(port, file);
    let connection = await Connection.connect({ address });
    let client = new Client({ connection });
    const activities: DurableStepActivities = { durableStep: (step) => Promise.resolve(`${step}:ok`) };
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    const workerRun = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await nativeConnection.close();
      await connection.close();
    });
    const ids = [uniqueId('closed-a'), uniqueId('closed-b'), uniqueId('closed-c')];
    for (const workflowId of ids) {
      const handle = await client.workflow.start(durableProcedure, { taskQueue: TASK_QUEUE, workflowId, args: [10] });
      await handle.signal(noteSignal, `note-of-${workflowId}`);
      await handle.signal(durableReleaseSignal);
      await handle.result();
    }
    const historiesBefore = await Promise.all(ids.map((id) => client.workflow.getHandle(id).fetchHistory()));

    // WHEN the server is SIGKILLed and started again on the same file
    await server.kill();
    server = await serve(port, file);
    await connection.close();
    connection = await Connection.connect({ address });
    client = new Client({ connection });

    // THEN List finds them as completed, Describe reports them, their histories are unchanged, results readable
    const listed: string[] = [];
    for await (const info of client.workflow.list({ query: `WorkflowType = "durableProcedure" AND ExecutionStatus = "Completed"` })) {
      listed.push(info.workflowId);
    }
    expect(listed.sort()).toEqual([...ids].sort());
    for (const [i, workflowId] of ids.entries()) {
      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      expect(description.status.code).toBe(Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      expect(description.historyLength).toBe(historiesBefore[i].events?.length);
      expect(JSON.stringify(await handle.fetchHistory())).toBe(JSON.stringify(historiesBefore[i]));
      expect(await handle.result()).toEqual({ steps: ['one:ok', 'two:ok', 'three:ok'], notes: [`note-of-${workflowId}`] });
    }
    // ... and a new procedure on the restarted server completes, its events numbered after the old ones
    const fresh = await client.workflow.start(durableProcedure, { taskQueue: TASK_QUEUE, workflowId: uniqueId('after-restart'), args: [10] });
    await fresh.signal(durableReleaseSignal);
    expect((await fresh.result()).steps).toEqual(['one:ok', 'two:ok', 'three:ok']);
    const lastTaskIdBefore = Math.max(...historiesBefore.flatMap((h) => (h.events ?? []).map((e) => Number(e.taskId))));
    const freshTaskIds = ((await fresh.fetchHistory()).events ?? []).map((e) => Number(e.taskId));
    expect(Math.min(...freshTaskIds)).toBeGreaterThan(lastTaskIdBefore);

    await server.kill();

    // AND a corrupted copy of the file (a flipped byte in an early frame) is refused at start with a clear error
    const bytes = readFileSync(file);
    bytes[40] ^= 0xff;
    const corruptFile = newFile();
    writeFileSync(corruptFile, bytes);
    const corrupt = startServer(await freePort(), corruptFile);
    servers.push(corrupt);
    expect((await corrupt.exited).code).toBe(1);
    expect(corrupt.stderr()).toMatch(/temporal-dev: cannot open --db-filename .* is corrupt: the frame at byte offset \d+/);
    // ... and so is a file of another format (the Temporal CLI's SQLite)
    const sqliteFile = newFile();
    writeFileSync(sqliteFile, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080)]));
    const sqlite = startServer(await freePort(), sqliteFile);
    servers.push(sqlite);
    expect((await sqlite.exited).code).toBe(1);
    expect(sqlite.stderr()).toMatch(/temporal-dev: cannot open --db-filename /);
  }, 240_000);
});
