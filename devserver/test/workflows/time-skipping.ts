/**
 * @module Workflows for the time-skipping tests: long timers, timers around activities, heartbeat
 * timeouts, retry backoffs and conditions with timeouts. Each returns the workflow clock
 * (`Date.now()`, the workflow task's time) at the moments that matter.
 */
import {
  ActivityFailure,
  condition,
  continueAsNew,
  defineSignal,
  executeChild,
  proxyActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';

/** Signatures of the activities the time-skipping tests register. */
export interface TimeSkippingActivities {
  /** Takes `ms` of real time, then returns the activity's view of its attempt. */
  busyFor(ms: number): Promise<string>;
  /** Heartbeats every 100 ms for `heartbeatMs` of real time, then stays silent (and busy) for `hangMs`. */
  heartbeatThenHang(heartbeatMs: number, hangMs: number): Promise<string>;
  /** Fails `failures` times, then succeeds; returns the attempt that succeeded. */
  failTimes(failures: number): Promise<number>;
}

/** Sleeps `ms` and reports the workflow clock before and after. */
export async function longSleep(ms: number): Promise<{ before: number; after: number; startTime: number }> {
  const before = Date.now();
  await sleep(ms);
  return { before, after: Date.now(), startTime: workflowInfo().startTime.getTime() };
}

/** `days` sleeps of one day each; returns the workflow clock after each. */
export async function dailyTimers(days: number): Promise<number[]> {
  const times: number[] = [];
  for (let day = 0; day < days; day++) {
    await sleep('1 day');
    times.push(Date.now());
  }
  return times;
}

/**
 * Interleaves timers and activities: a day's sleep, an activity taking real time while a one-hour
 * timer runs beside it, then another day's sleep.
 */
export async function timersAroundActivities(activityMs: number): Promise<number[]> {
  const { busyFor } = proxyActivities<TimeSkippingActivities>({ startToCloseTimeout: '1 minute' });
  const times = [Date.now()];
  await sleep('1 day');
  times.push(Date.now());
  const timer = sleep('1 hour').then(() => times.push(Date.now()));
  await busyFor(activityMs);
  times.push(Date.now());
  await timer;
  await sleep('1 day');
  times.push(Date.now());
  return times;
}

/** Runs an activity that stops heartbeating; returns the timeout type it failed with. */
export async function heartbeatTimesOut(heartbeatTimeoutMs: number, heartbeatMs: number, hangMs: number): Promise<string> {
  const { heartbeatThenHang } = proxyActivities<TimeSkippingActivities>({
    startToCloseTimeout: '1 day',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  const guard = sleep('1 hour').then(() => 'the one-hour timer fired first');
  const outcome = heartbeatThenHang(heartbeatMs, hangMs).then(
    () => 'completed',
    (err: unknown) =>
      err instanceof ActivityFailure && err.cause instanceof TimeoutFailure ? `timed out: ${err.cause.timeoutType}` : `failed: ${String(err)}`,
  );
  return await Promise.race([outcome, guard]);
}

/** Calls `failTimes` under a retry policy with hour-long backoffs. */
export async function slowRetries(failures: number, initialIntervalMs: number): Promise<number> {
  const { failTimes } = proxyActivities<TimeSkippingActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: initialIntervalMs, backoffCoefficient: 2, maximumAttempts: failures + 1 },
  });
  return await failTimes(failures);
}

/** Lets a `conditionWithTimeout` workflow go on before its timeout. */
export const proceed = defineSignal('proceed');

/** Waits up to `timeoutMs` for `proceed`; reports whether it came and the workflow clock. */
export async function conditionWithTimeout(timeoutMs: number): Promise<{ signalled: boolean; before: number; after: number }> {
  let proceeded = false;
  setHandler(proceed, () => {
    proceeded = true;
  });
  const before = Date.now();
  const signalled = await condition(() => proceeded, timeoutMs);
  return { signalled, before, after: Date.now() };
}

/**
 * A parent sleeping a week beside a child that sleeps `childDays` days; returns the parent's
 * clock at the start, when the child finished, and at the end.
 */
export async function parentAndSleepyChild(childDays: number): Promise<{ start: number; childDone: number; end: number; child: number }> {
  const start = Date.now();
  const child = executeChild(longSleep, { args: [childDays * 86_400_000], workflowId: `${workflowInfo().workflowId}-child` });
  const week = sleep('7 days');
  const { after } = await child;
  const childDone = Date.now();
  await week;
  return { start, childDone, end: Date.now(), child: after };
}

/**
 * Sleeps a day per run and continues as new until `runs` runs are done; returns the clock of
 * each run's start, carried through the chain.
 */
export async function dailyContinueAsNew(runs: number, starts: number[] = []): Promise<number[]> {
  const now = [...starts, Date.now()];
  await sleep('1 day');
  if (now.length >= runs) return now;
  return await continueAsNew<typeof dailyContinueAsNew>(runs, now);
}

/** Two timers running at once, of `firstMs` and `secondMs`; returns the start and each one's wake-up. */
export async function parallelTimers(firstMs: number, secondMs: number): Promise<{ start: number; first: number; second: number }> {
  const start = Date.now();
  let first = 0;
  let second = 0;
  await Promise.all([sleep(firstMs).then(() => (first = Date.now())), sleep(secondMs).then(() => (second = Date.now()))]);
  return { start, first, second };
}
