/**
 * The real server's history limits (`limit.historyCount.error`, `limit.historySize.error`, set low
 * here with `--dynamic-config-value`): a change to a run whose stored history is past a limit is
 * dropped, the run is terminated by `history-service` with the real server's reason, and the
 * request answers INVALID_ARGUMENT with it; past a warn limit the server logs once.
 */
import { Client, Connection, ServiceError, WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { parseArgs } from '../config';
import type { Logger } from '../log';
import { startDevServer, type RunningDevServer } from '../server';
import { bundleTestWorkflows, eventsOfType, eventTypes, SETUP_TIMEOUT_MS, uniqueId } from './helpers';
import { untilContinueAsNewSuggested } from './workflows';

const INVALID_ARGUMENT = 3;
const TASK_QUEUE = 'devserver-history-limits';
/** No worker polls it: runs started there only gather signals. */
const IDLE_QUEUE = 'devserver-history-limits-idle';

type Warning = { msg: string; fields?: Record<string, unknown> };

async function startServer(settings: string[], warnings: Warning[]): Promise<RunningDevServer> {
  const { config } = parseArgs([
    'server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--headless',
    ...settings.flatMap((setting) => ['--dynamic-config-value', setting]),
  ]);
  const log: Logger = { debug() {}, info() {}, error() {}, warn: (msg, fields) => warnings.push({ msg, fields }) };
  return startDevServer(config, log);
}

/** 'accepted', or the gRPC error the call was refused with (the client wraps it in a ServiceError). */
const refusal = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(() => 'accepted', (err: unknown) => (err instanceof ServiceError ? err.cause : err));

function terminatedEvent(history: temporal.api.history.v1.IHistory) {
  const [event] = eventsOfType(history, 'WORKFLOW_EXECUTION_TERMINATED');
  return event?.workflowExecutionTerminatedEventAttributes;
}

function encodedSize(events: temporal.api.history.v1.IHistoryEvent[]): number {
  return events.reduce((sum, e) => sum + temporal.api.history.v1.HistoryEvent.encode(e).finish().length, 0);
}

describe('dev server: history count limit', () => {
  let server: RunningDevServer;
  let connection: Connection;
  let client: Client;
  const warnings: Warning[] = [];

  beforeAll(async () => {
    server = await startServer(['limit.historyCount.error=20', 'limit.historyCount.warn=10'], warnings);
    connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    client = new Client({ connection });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('terminates a run whose history is past limit.historyCount.error at its next change, and refuses that change', async () => {
    // GIVEN a run with 2 events, signalled until a signal is refused
    const workflowId = uniqueId('count');
    const handle = await client.workflow.start('gathersSignals', { taskQueue: IDLE_QUEUE, workflowId });
    let refused: unknown;
    let sent = 0;
    while (sent < 30) {
      const answer = await refusal(handle.signal('step', sent));
      if (answer !== 'accepted') {
        refused = answer;
        break;
      }
      sent++;
    }

    // THEN the 19th signal took the history to 21 events (past 20) and the 20th was refused, as the real server does
    expect(refused).toMatchObject({ code: INVALID_ARGUMENT, details: 'Workflow history count exceeds limit.' });
    expect(sent).toBe(19);
    const history = await handle.fetchHistory();
    expect(eventTypes(history)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      ...Array.from({ length: 19 }, () => 'WORKFLOW_EXECUTION_SIGNALED'),
      'WORKFLOW_EXECUTION_TERMINATED',
    ]);
    expect(terminatedEvent(history)).toMatchObject({ reason: 'Workflow history count exceeds limit.', identity: 'history-service' });
    expect(terminatedEvent(history)?.details ?? null).toBeNull();
    expect((await handle.describe()).status.name).toBe('TERMINATED');

    // AND passing the warn limit (10 events) was logged once for the run
    const countWarnings = warnings.filter((w) => w.msg === 'history count exceeds warn limit.' && w.fields?.workflowId === workflowId);
    expect(countWarnings).toHaveLength(1);
    expect(countWarnings[0].fields?.historyCount).toBe(11);
  });

  it('applies the limit to a signal-with-start for the running run', async () => {
    // GIVEN a run signalled up to 21 events (past the limit of 20)
    const workflowId = uniqueId('count-signal-with-start');
    const handle = await client.workflow.start('gathersSignals', { taskQueue: IDLE_QUEUE, workflowId });
    for (let i = 0; i < 19; i++) await handle.signal('step', i);

    // WHEN it is signalled with signal-with-start
    const answer = await refusal(
      client.workflow.signalWithStart('gathersSignals', { taskQueue: IDLE_QUEUE, workflowId, signal: 'step', signalArgs: ['last'] }),
    );

    // THEN the signal was refused and the run terminated, as for a plain signal; no new run was started
    expect(answer).toMatchObject({ code: INVALID_ARGUMENT, details: 'Workflow history count exceeds limit.' });
    const history = await handle.fetchHistory();
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(19);
    expect(terminatedEvent(history)).toMatchObject({ reason: 'Workflow history count exceeds limit.', identity: 'history-service' });
    expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(handle.firstExecutionRunId);
  });

  it('terminates a run driven by a worker (timers and workflow tasks) once its history is past the limit', async () => {
    // GIVEN a workflow adding 5 events per step for 50 steps, on a worker
    const workflowId = uniqueId('count-worker');
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: `127.0.0.1:${server.port}` }),
      taskQueue: TASK_QUEUE,
      workflowBundle: await bundleTestWorkflows(),
    });

    // WHEN it runs
    const outcome = await worker.runUntil(
      client.workflow.execute(untilContinueAsNewSuggested, { workflowId, taskQueue: TASK_QUEUE, args: [50] }).catch((err: unknown) => err),
    );

    // THEN it was terminated by the server with the real server's reason, soon after passing 20 events
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    const cause = (outcome as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(TerminatedFailure);
    expect(cause?.message).toBe('Workflow history count exceeds limit.');
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const terminated = eventsOfType(history, 'WORKFLOW_EXECUTION_TERMINATED')[0];
    expect(terminatedEvent(history)?.identity).toBe('history-service');
    // The last change accepted took the history past 20; none was accepted after it.
    const forceClose = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND;
    const beforeTermination = (history.events ?? []).filter(
      (e) => Number(e.eventId) < Number(terminated.eventId) && e.workflowTaskFailedEventAttributes?.cause !== forceClose,
    );
    expect(beforeTermination.length).toBeGreaterThan(20);
    expect(beforeTermination.length).toBeLessThanOrEqual(25);
  });
});

describe('dev server: history size limit', () => {
  let server: RunningDevServer;
  let connection: Connection;
  let client: Client;
  const warnings: Warning[] = [];

  beforeAll(async () => {
    server = await startServer(['limit.historySize.error=9000', 'limit.historySize.warn=5000'], warnings);
    connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    client = new Client({ connection });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('terminates a run whose history is past limit.historySize.error at its next change, and refuses that change', async () => {
    // GIVEN a run, signalled with 900-byte inputs until a signal is refused
    const workflowId = uniqueId('size');
    const handle = await client.workflow.start('gathersSignals', { taskQueue: IDLE_QUEUE, workflowId });
    let refused: unknown;
    for (let i = 0; i < 30 && !refused; i++) {
      const answer = await refusal(handle.signal('step', `${i}:`.padEnd(900, 'x')));
      if (answer !== 'accepted') refused = answer;
    }

    // THEN the refused signal came after the history passed 9,000 bytes, and the one before it did not
    expect(refused).toMatchObject({ code: INVALID_ARGUMENT, details: 'Workflow history size exceeds limit.' });
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    expect(eventTypes(history).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    const stored = events.slice(0, -1);
    expect(encodedSize(stored)).toBeGreaterThan(9000);
    expect(encodedSize(stored.slice(0, -1))).toBeLessThanOrEqual(9000);
    expect(terminatedEvent(history)).toMatchObject({ reason: 'Workflow history size exceeds limit.', identity: 'history-service' });

    // AND passing the warn limit (5,000 bytes) was logged once for the run
    expect(warnings.filter((w) => w.msg === 'history size exceeds warn limit.' && w.fields?.workflowId === workflowId)).toHaveLength(1);
  });
});
