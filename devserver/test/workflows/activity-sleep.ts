/**
 * @module Workflows for `env.sleep` called while an activity runs: a timer raced against an
 * activity, each reporting the workflow clock when it ended.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

/** Activities the activity-sleep tests register. */
export interface ActivitySleepActivities {
  /** Sleeps `ms` on the server's clock (`env.sleep`) and returns. */
  sleepOnServer(ms: number): Promise<void>;
  /** Returns once the test releases it (real time). */
  untilReleased(): Promise<void>;
}

/** When the timer and the activity ended on the workflow clock, and which ended first. */
export interface RaceOutcome {
  start: number;
  winner: 'timer' | 'activity';
  timerDone: number;
  activityDone: number;
}

/**
 * A `timerMs` timer beside the `sleepOnServer(activityMs)` activity (or `untilReleased` when
 * `activityMs` is 0); waits for both and reports the workflow clock at each end.
 */
export async function timerBesideActivity(timerMs: number, activityMs: number): Promise<RaceOutcome> {
  const { sleepOnServer, untilReleased } = proxyActivities<ActivitySleepActivities>({ startToCloseTimeout: '1 day' });
  const start = Date.now();
  let winner: RaceOutcome['winner'] | undefined;
  let timerDone = 0;
  let activityDone = 0;
  await Promise.all([
    sleep(timerMs).then(() => {
      timerDone = Date.now();
      winner ??= 'timer';
    }),
    (activityMs > 0 ? sleepOnServer(activityMs) : untilReleased()).then(() => {
      activityDone = Date.now();
      winner ??= 'activity';
    }),
  ]);
  return { start, winner: winner ?? 'timer', timerDone, activityDone };
}
