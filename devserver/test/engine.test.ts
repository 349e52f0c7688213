/**
 * Engine-level tests: no gRPC, no SDK, a manual clock. They pin down mechanisms the SDK-level
 * tests can only observe indirectly (query attachment, transient tasks, deadline ordering).
 */
import { ManualClock } from '../clock';
import { parseArgs, UsageError } from '../config';
import { Engine, type CallContext } from '../engine/engine';
import { PRE_ENCODED_HISTORY } from '../engine/encoded';
import { ServiceError } from '../engine/errors';
import { createLogger } from '../log';
import { DeadlineScheduler } from '../scheduler';
import { temporal } from '@temporalio/proto';
import Long from 'long';

const enums = temporal.api.enums.v1;

const call: CallContext = { deadlineMs: Number.POSITIVE_INFINITY, onCancel: () => undefined };

function newEngine(clock = new ManualClock(1_700_000_000_000)): { engine: Engine; clock: ManualClock } {
  const engine = new Engine({
    clock,
    log: createLogger('never'),
    namespaces: ['default'],
    searchAttributes: [{ name: 'CellId', type: 'Keyword' }],
  });
  return { engine, clock };
}

function start(engine: Engine, workflowId: string, extra: Partial<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest> = {}) {
  return engine.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: 'tq' },
    requestId: `${workflowId}-request`,
    ...extra,
  });
}

function poll(engine: Engine) {
  return engine.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq' }, identity: 'test-worker' }, call);
}

/** Event types (short names) of a poll response's pre-encoded history. */
function pollHistoryTypes(response: object): string[] {
  const history = (response as { [PRE_ENCODED_HISTORY]?: { slices: { events: readonly Uint8Array[]; start: number; end: number }[] } })[
    PRE_ENCODED_HISTORY
  ];
  const types: string[] = [];
  for (const slice of history?.slices ?? []) {
    for (let i = slice.start; i < slice.end; i++) {
      const event = temporal.api.history.v1.HistoryEvent.decode(slice.events[i]);
      types.push(enums.EventType[event.eventType ?? 0].replace('EVENT_TYPE_', ''));
    }
  }
  return types;
}

describe('DeadlineScheduler', () => {
  it('fires due deadlines in time order, ties in scheduling order, and honours replacement and deletion', () => {
    // GIVEN deadlines scheduled out of order, one replaced and one deleted
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const scheduler = new DeadlineScheduler<string>(clock, (task) => fired.push(task));
    scheduler.set('c', 300, 'c@300');
    scheduler.set('a', 100, 'a@100');
    scheduler.set('b', 100, 'b@100');
    scheduler.set('d', 200, 'd@200');
    scheduler.set('c', 150, 'c@150');
    scheduler.delete('d');

    // WHEN the clock moves to 160, then to 1000
    clock.advanceTo(160);
    scheduler.fireDue();
    const firstBatch = [...fired];
    const next = scheduler.nextDeadline();
    clock.advanceTo(1000);
    scheduler.fireDue();

    // THEN only due, live deadlines fired, in order; nothing is left
    expect(firstBatch).toEqual(['a@100', 'b@100', 'c@150']);
    expect(next).toBeUndefined();
    expect(fired).toEqual(['a@100', 'b@100', 'c@150']);
    expect(scheduler.size).toBe(0);
  });
});

describe('command line', () => {
  it('parses the argv TestWorkflowEnvironment.createLocal passes, warning about unknown flags', () => {
    // GIVEN the recorded createLocal argv plus a search attribute and an unknown flag
    const argv = [
      'server', 'start-dev', '--port', '41901', '--namespace', 'default', '--ip', '127.0.0.1', '--log-format', 'pretty',
      '--log-level', 'warn', '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true', '--headless',
      '--search-attribute', 'CellId=Keyword', '--namespace', 'ops', '--brand-new-flag', 'x',
    ];

    // WHEN it is parsed
    const { config, warnings } = parseArgs(argv);

    // THEN every known flag is applied and the unknown one is only a warning
    expect(config).toMatchObject({
      mode: 'dev',
      port: 41901,
      ip: '127.0.0.1',
      namespaces: ['default', 'ops'],
      logLevel: 'warn',
      headless: true,
      searchAttributes: [{ name: 'CellId', type: 'Keyword' }],
      dynamicConfig: { 'frontend.enableUpdateWorkflowExecution': 'true' },
    });
    expect(warnings).toEqual(['Ignoring unknown flag "--brand-new-flag"']);
  });

  it('accepts the test-server form and rejects bad values', () => {
    // WHEN the time-skipping form and bad values are parsed
    const timeSkipping = parseArgs(['7245', '--enable-time-skipping']).config;

    // THEN the port form selects time-skipping mode, and bad values are usage errors
    expect(timeSkipping).toMatchObject({ mode: 'time-skipping', port: 7245 });
    expect(() => parseArgs(['server', 'start-dev', '--port', 'seventy'])).toThrow(UsageError);
    expect(() => parseArgs(['server', 'start-dev', '--search-attribute', 'X=Colour'])).toThrow(UsageError);
    expect(() => parseArgs(['server', 'start-dev', '--log-level', 'loud'])).toThrow(UsageError);
  });
});

describe('Engine', () => {
  it('attaches a query made while a workflow task is pending to that task, never as a legacy query', async () => {
    // GIVEN a started workflow with a scheduled task, signalled
    const { engine } = newEngine();
    start(engine, 'wf-query');
    engine.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'wf-query' }, signalName: 's' });

    // WHEN it is queried and the task is polled and completed with the answer
    const answer = engine.queryWorkflow(
      { namespace: 'default', execution: { workflowId: 'wf-query' }, query: { queryType: 'state' } },
      call,
    );
    const task = await poll(engine);
    const [queryId] = Object.keys(task.queries ?? {});
    engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      queryResults: {
        [queryId]: {
          resultType: enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
          answer: { payloads: [{ data: Buffer.from('"after signal"') }] },
        },
      },
    });

    // THEN the task carried the query in `queries` (not `query`) after the signal, and the caller got the answer
    expect(task.query).toBeUndefined();
    expect(task.queries?.[queryId]?.queryType).toBe('state');
    expect(pollHistoryTypes(task)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_STARTED',
    ]);
    const result = await answer;
    expect(Buffer.from(result.queryResult?.payloads?.[0].data ?? []).toString()).toBe('"after signal"');
  });

  it('buffers events that arrive while a task runs and writes them after its completion', async () => {
    // GIVEN a started workflow task
    const { engine } = newEngine();
    start(engine, 'wf-buffered');
    const task = await poll(engine);

    // WHEN two signals arrive before the worker completes it with a timer
    for (const signalName of ['first', 'second']) {
      engine.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'wf-buffered' }, signalName });
    }
    engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      commands: [
        {
          commandType: enums.CommandType.COMMAND_TYPE_START_TIMER,
          startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { seconds: Long.fromNumber(60) } },
        },
      ],
    });
    const next = await poll(engine);

    // THEN the signals follow the completion and its command's event, and one new task covers both
    expect(pollHistoryTypes(next)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(Number(next.previousStartedEventId)).toBe(3);
  });

  it('starts an activity eagerly when the completing worker asks for it, returning it in the response', async () => {
    // GIVEN a started workflow task
    const { engine } = newEngine();
    start(engine, 'wf-eager');
    const task = await poll(engine);

    // WHEN it completes scheduling one eager and one regular activity
    const schedule = (activityId: string, requestEagerExecution: boolean): temporal.api.command.v1.ICommand => ({
      commandType: enums.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
      scheduleActivityTaskCommandAttributes: {
        activityId,
        activityType: { name: 'act' },
        taskQueue: { name: 'tq' },
        startToCloseTimeout: { seconds: Long.fromNumber(10) },
        requestEagerExecution,
      },
    });
    const response = engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      commands: [schedule('eager', true), schedule('regular', false)],
    });
    const eager = response.activityTasks?.[0];
    engine.respondActivityTaskCompleted({ taskToken: eager?.taskToken, result: { payloads: [] } });
    const described = engine.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'wf-eager' } });

    // THEN only the eager one came back (already started), the other waits in its task queue
    expect(response.activityTasks).toHaveLength(1);
    expect(eager?.activityId).toBe('eager');
    expect(engine.activityMatching.backlogSize('default', 'tq')).toBe(1);
    expect(described.pendingActivities?.map((a) => a.activityId)).toEqual(['regular']);
  });

  it('holds the first workflow task of a delayed start until the delay has passed', async () => {
    // GIVEN a start delayed by 5 s
    const { engine, clock } = newEngine();
    start(engine, 'wf-delayed', { workflowStartDelay: { seconds: Long.fromNumber(5) } });
    const before = engine.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'wf-delayed' } });

    // WHEN the clock passes the delay
    clock.advanceTo(clock.now() + 5_000);
    engine.scheduler.fireDue();
    const task = await poll(engine);

    // THEN no task existed before, and the first one follows the delay with the backoff recorded
    expect(before.pendingWorkflowTask).toBeNull();
    expect(Number(before.workflowExecutionInfo?.historyLength)).toBe(1);
    expect(pollHistoryTypes(task)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
  });

  it('times a started workflow task out on its deadline and offers the retry as a transient task', async () => {
    // GIVEN a started workflow task with the default 10 s timeout
    const { engine, clock } = newEngine();
    start(engine, 'wf-timeout');
    const first = await poll(engine);

    // WHEN the clock passes the deadline and due deadlines fire
    clock.advanceTo(clock.now() + 10_001);
    engine.scheduler.fireDue();
    const retry = await poll(engine);

    // THEN attempt 1 timed out in history; attempt 2's Scheduled/Started exist only in the poll response
    expect(first.attempt).toBe(1);
    expect(retry.attempt).toBe(2);
    expect(pollHistoryTypes(retry)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_TIMED_OUT',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    const described = engine.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'wf-timeout' } });
    expect(Number(described.workflowExecutionInfo?.historyLength)).toBe(4);
    expect(Number(retry.startedEventId)).toBe(6);
  });

  it('refuses a completion for a task that already timed out', async () => {
    // GIVEN a task token whose task timed out
    const { engine, clock } = newEngine();
    start(engine, 'wf-stale');
    const task = await poll(engine);
    clock.advanceTo(clock.now() + 10_001);
    engine.scheduler.fireDue();

    // WHEN the worker completes it late
    const late = () => engine.respondWorkflowTaskCompleted({ taskToken: task.taskToken, commands: [] });

    // THEN it is NOT_FOUND
    expect(late).toThrow(ServiceError);
    expect(late).toThrow('Workflow task not found.');
  });

  it('lists through the visibility query language: custom attributes, filter, ORDER BY, errors', () => {
    // GIVEN three runs, two tagged with the same CellId
    const { engine } = newEngine();
    const tag = (value: string) => ({
      indexedFields: {
        CellId: { metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') }, data: Buffer.from(JSON.stringify(value)) },
      },
    });
    start(engine, 'wf-a', { searchAttributes: tag('cell-1') });
    start(engine, 'wf-b', { searchAttributes: tag('cell-2') });
    start(engine, 'wf-c', { searchAttributes: tag('cell-1') });

    // WHEN listing with a query on the custom attribute, and with a query that does not parse
    const listed = engine.listWorkflowExecutions({ namespace: 'default', query: 'CellId = "cell-1" ORDER BY WorkflowId DESC' });
    const bad = () => engine.listWorkflowExecutions({ namespace: 'default', query: 'CellId ~ 1' });

    // THEN the filter and order apply, and a parse error is INVALID_ARGUMENT
    expect(listed.executions?.map((e) => e.execution?.workflowId)).toEqual(['wf-c', 'wf-a']);
    expect(bad).toThrow(/^Invalid query: /);
    const error = ((): unknown => {
      try {
        return bad();
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(3);
  });
});
