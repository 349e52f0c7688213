/**
 * Time skipping at engine level: no gRPC, no SDK, real time frozen (the VirtualClock's real-time
 * source is a variable), so every jump is exact. They pin down the lock rules the SDK-level tests
 * in time-skipping.test.ts observe through workflows.
 */
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { parseArgs } from '../config';
import { ManualClock } from '../clock';
import { Engine, type CallContext } from '../engine/engine';
import { createLogger } from '../log';
import { TimeSkipping, VirtualClock } from '../time-skipping';
import { DEV_SERVER_EXECUTABLE, timeSkippingServerExecutable } from '../testing/test-environment';

const enums = temporal.api.enums.v1;
const DAY = 86_400_000;
const T0 = 1_700_000_000_000;

const call: CallContext = { deadlineMs: Number.POSITIVE_INFINITY, onCancel: () => undefined };

function setup(options: { locked: boolean; pace?: { rate: number; tickMs?: number } }) {
  let real = T0;
  const clock = new VirtualClock(() => real);
  const log = createLogger('never');
  const engine = new Engine({ clock, log, namespaces: ['default'] });
  const skipping = new TimeSkipping(engine, clock, log, options);
  engine.onCommit((txn) => skipping.onCommit(txn));
  return {
    engine,
    clock,
    skipping,
    advanceReal: (ms: number) => {
      real += ms;
    },
  };
}

/** Lets the controller's coalesced evaluation run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

function start(engine: Engine, workflowId: string): string {
  return engine.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: 'tq' },
    requestId: `${workflowId}-request`,
  }).runId as string;
}

async function completeTask(engine: Engine, commands: temporal.api.command.v1.ICommand[]): Promise<void> {
  const task = await engine.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq' }, identity: 't' }, call);
  engine.respondWorkflowTaskCompleted({ taskToken: task.taskToken, commands });
}

function startTimer(ms: number): temporal.api.command.v1.ICommand {
  return {
    commandType: enums.CommandType.COMMAND_TYPE_START_TIMER,
    startTimerCommandAttributes: { timerId: 't1', startToFireTimeout: { seconds: Long.fromNumber(ms / 1000) } },
  };
}

function timerFired(engine: Engine, runId: string): boolean {
  const exec = engine.executions.get(runId);
  return exec !== undefined && Object.keys(exec.timers).length === 0 && exec.nextEventId > 6;
}

describe('VirtualClock', () => {
  it('follows real time, jumps only forward, and never goes back when real time does', () => {
    // GIVEN a virtual clock on a controllable real-time source
    let real = 1000;
    const clock = new VirtualClock(() => real);

    // WHEN real time passes, the clock jumps forward and back, and real time steps back
    real += 500;
    const followed = clock.now();
    clock.jumpTo(10_000);
    clock.jumpTo(5_000);
    const jumped = clock.now();
    real -= 400;
    const afterStepBack = clock.now();
    real += 1000;

    // THEN it tracked real time plus the skipped offset, and stayed monotonic
    expect(followed).toBe(1500);
    expect(jumped).toBe(10_000);
    expect(clock.skippedMs).toBe(8_500);
    expect(afterStepBack).toBe(10_000);
    expect(clock.now()).toBe(10_600);
  });
});

describe('time-skipping command line', () => {
  it('starts locked unless --enable-time-skipping, and quiet by default', () => {
    // WHEN the test-server form is parsed with and without the flag, and the flag in dev mode
    const locked = parseArgs(['7233']).config;
    const unlocked = parseArgs(['7233', '--enable-time-skipping']).config;
    const dev = parseArgs(['server', 'start-dev', '--enable-time-skipping']);

    // THEN only the test-server form honours it; dev mode warns and ignores it
    expect(locked).toMatchObject({ mode: 'time-skipping', enableTimeSkipping: false, logLevel: 'warn' });
    expect(unlocked.enableTimeSkipping).toBe(true);
    expect(dev.config.enableTimeSkipping).toBe(false);
    expect(dev.warnings.join('\n')).toMatch(/--enable-time-skipping only applies/);
  });
});

describe('time-skipping server choice', () => {
  const saved = process.env.CELLOPS_TIME_SKIPPING_SERVER;
  afterEach(() => {
    if (saved === undefined) delete process.env.CELLOPS_TIME_SKIPPING_SERVER;
    else process.env.CELLOPS_TIME_SKIPPING_SERVER = saved;
  });

  it('takes CELLOPS_TIME_SKIPPING_SERVER when it is an executable, and says so when it is not', () => {
    // WHEN the variable names the dev server, then a file that is not executable
    process.env.CELLOPS_TIME_SKIPPING_SERVER = DEV_SERVER_EXECUTABLE;
    const chosen = timeSkippingServerExecutable();
    process.env.CELLOPS_TIME_SKIPPING_SERVER = __filename;

    // THEN the first is used and the second is a clear error
    expect(chosen).toBe(DEV_SERVER_EXECUTABLE);
    expect(() => timeSkippingServerExecutable()).toThrow(/CELLOPS_TIME_SKIPPING_SERVER=.* is not an executable file/);
  });
});

describe('TimeSkipping', () => {
  it('holds the clock while a workflow task is outstanding, then jumps exactly to the timer', async () => {
    // GIVEN an unlocked server and a started workflow whose first task is not yet done
    const { engine, clock, skipping } = setup({ locked: false });
    const runId = start(engine, 'wf-timer');
    await settle();
    const whileTaskOutstanding = clock.now();
    const busy = skipping.state().busyRuns;

    // WHEN the task completes with a one-day timer
    await completeTask(engine, [startTimer(DAY)]);
    await settle();

    // THEN nothing moved while the task was outstanding; afterwards the clock jumped to the
    // timer, fired it, and the new workflow task holds the clock again
    expect(whileTaskOutstanding).toBe(T0);
    expect(busy).toEqual([runId]);
    expect(clock.now()).toBe(T0 + DAY);
    expect(timerFired(engine, runId)).toBe(true);
    expect(skipping.state().busyRuns).toEqual([runId]);
  });

  it('counts external locks: skipping starts only when the last one is released', async () => {
    // GIVEN a locked server (count 1) and a workflow waiting on a one-day timer
    const { engine, clock, skipping } = setup({ locked: true });
    const runId = start(engine, 'wf-locks');
    await completeTask(engine, [startTimer(DAY)]);

    // WHEN two more locks are taken and two released, then the last one
    skipping.lock();
    skipping.lock();
    skipping.unlock();
    skipping.unlock();
    await settle();
    const stillLocked = clock.now();
    skipping.unlock();
    await settle();

    // THEN time held until the count reached 0, then jumped to the timer
    expect(stillLocked).toBe(T0);
    expect(clock.now()).toBe(T0 + DAY);
    expect(timerFired(engine, runId)).toBe(true);
    expect(skipping.state().externalLocks).toBe(0);
  });

  it('lets unbalanced unlocks balance out, as concurrent result waits need', async () => {
    // GIVEN a locked server (count 1) with a timer pending
    const { engine, clock, skipping } = setup({ locked: true });
    const runId = start(engine, 'wf-concurrent');
    await completeTask(engine, [startTimer(DAY)]);

    // WHEN two waits each unlock, and one of them locks again
    skipping.unlock();
    skipping.unlock();
    skipping.lock();
    await settle();

    // THEN the other wait still skips time; the second lock restores the initial count
    expect(clock.now()).toBe(T0 + DAY);
    expect(timerFired(engine, runId)).toBe(true);
    skipping.lock();
    expect(skipping.state().externalLocks).toBe(1);
  });

  it('UnlockTimeSkippingWithSleep advances exactly by the duration and locks again', async () => {
    // GIVEN a locked server with nothing scheduled
    const { clock, skipping } = setup({ locked: true });

    // WHEN the test sleeps three days
    await skipping.unlockWithSleep(3 * DAY);

    // THEN the clock moved exactly three days and the lock is back
    expect(clock.now()).toBe(T0 + 3 * DAY);
    expect(skipping.state()).toMatchObject({ externalLocks: 1, sleepers: [], skippedMs: 3 * DAY });
  });

  it('UnlockTimeSkippingWithSleep fires what comes due on the way and waits for the work it causes', async () => {
    // GIVEN a locked server and a workflow with a one-day timer
    const { engine, clock, skipping } = setup({ locked: true });
    const runId = start(engine, 'wf-sleep-through');
    await completeTask(engine, [startTimer(DAY)]);

    // WHEN the test sleeps two days
    let woke = false;
    const sleeping = skipping.unlockWithSleep(2 * DAY).then(() => {
      woke = true;
    });
    await settle();
    const atTimer = clock.now();
    const wokeBeforeTaskDone = woke;
    await completeTask(engine, []);
    await sleeping;

    // THEN the clock stopped at the timer while its workflow task was outstanding, then went
    // on to exactly two days
    expect(atTimer).toBe(T0 + DAY);
    expect(timerFired(engine, runId)).toBe(true);
    expect(wokeBeforeTaskDone).toBe(false);
    expect(clock.now()).toBe(T0 + 2 * DAY);
    expect(skipping.state().externalLocks).toBe(1);
  });

  it('holds the clock for a scheduled or running activity but skips its retry backoff', async () => {
    // GIVEN an unlocked server and a workflow that scheduled an activity retried after one hour,
    // beside a one-day timer
    const { engine, clock, skipping } = setup({ locked: false });
    const runId = start(engine, 'wf-activity');
    await completeTask(engine, [
      {
        commandType: enums.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId: 'a1',
          activityType: { name: 'act' },
          taskQueue: { name: 'tq' },
          startToCloseTimeout: { seconds: Long.fromNumber(60) },
          retryPolicy: { initialInterval: { seconds: Long.fromNumber(3600) }, maximumAttempts: 3 },
        },
      },
      startTimer(DAY),
    ]);
    await settle();
    const whileScheduled = clock.now();

    // WHEN the first attempt runs and fails
    const task = await engine.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq' }, identity: 't' }, call);
    await settle();
    const whileRunning = clock.now();
    engine.respondActivityTaskFailed({ taskToken: task.taskToken, failure: { message: 'transient', applicationFailureInfo: {} } });
    await settle();

    // THEN the clock held while the attempt was scheduled and running, then skipped the hour of
    // backoff (not to the timer); the second attempt holds it again
    expect(whileScheduled).toBe(T0);
    expect(whileRunning).toBe(T0);
    expect(clock.now()).toBe(T0 + 3_600_000);
    expect(engine.executions.get(runId)?.activities[5]).toMatchObject({ attempt: 2, phase: 'scheduled' });
    expect(skipping.state().busyRuns).toEqual([runId]);
  });

  it('a cancelled UnlockTimeSkippingWithSleep gives its lock back', async () => {
    // GIVEN a locked server and a workflow task holding the clock, so the sleep cannot finish
    const { engine, skipping } = setup({ locked: true });
    start(engine, 'wf-cancel');
    let cancel: () => void = () => undefined;
    const sleeping = skipping.unlockWithSleep(DAY, (c) => {
      cancel = c;
    });
    await settle();
    const duringSleep = skipping.state().externalLocks;

    // WHEN the caller goes away
    cancel();
    await sleeping;

    // THEN the count is back where it was
    expect(duringSleep).toBe(0);
    expect(skipping.state()).toMatchObject({ externalLocks: 1, sleepers: [] });
  });

  it('starts from the state it is given: its busy runs, and no earlier than its latest recorded time', () => {
    // GIVEN an engine whose state was written 10 days ahead of real time (as after a restart
    // from a --db-filename of a server that had skipped time), with a workflow task pending
    const engine = new Engine({ clock: new ManualClock(T0 + 10 * DAY), log: createLogger('never'), namespaces: ['default'] });
    const runId = start(engine, 'wf-restored');

    // WHEN time skipping starts on it with a clock at real time
    const clock = new VirtualClock(() => T0);
    const skipping = new TimeSkipping(engine, clock, createLogger('never'), { locked: true });
    skipping.stop();

    // THEN the run holds the clock, and the clock resumed at the state's time
    expect(skipping.state().busyRuns).toEqual([runId]);
    expect(clock.now()).toBe(T0 + 10 * DAY);
  });

  it('paced: an idle clock moves at most rate × tick per tick towards the next deadline, then fires it exactly', async () => {
    // GIVEN an unlocked server paced at 1000× with 5 ms ticks (real time frozen: only the jumps move the clock)
    const { engine, clock, skipping } = setup({ locked: false, pace: { rate: 1000, tickMs: 5 } });
    const runId = start(engine, 'wf-paced');
    try {
      // WHEN the workflow's task completes with a one-minute timer
      await completeTask(engine, [startTimer(60_000)]);
      await settle();
      const afterFirstTick = clock.now();
      while (!timerFired(engine, runId)) await new Promise((resolve) => setTimeout(resolve, 5));

      // THEN the first tick moved the clock by (rate - 1) × tick only, and the timer fired
      // exactly on time after further ticks
      expect(afterFirstTick).toBe(T0 + 5 * 999);
      expect(clock.now()).toBe(T0 + 60_000);
      expect(skipping.state().busyRuns).toEqual([runId]);
    } finally {
      skipping.stop();
    }
  });

  it('paced: refuses a rate that would not speed time up', () => {
    expect(() => setup({ locked: false, pace: { rate: 1 } })).toThrow('rate must be above 1, got 1');
  });
});
