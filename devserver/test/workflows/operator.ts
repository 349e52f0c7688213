/**
 * @module Workflows exercising operator features: workflow reset, activity pause and reset.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

export const remarkSignal = defineSignal<[string]>('remark');
export const remarkUpdate = defineUpdate<number, [string]>('remarkUpdate');

/**
 * Runs one activity, then collects notes (signals and updates) until the note `finish`; returns
 * every note and the activity's result in the order the workflow saw them.
 */
export async function stepThenNotes(): Promise<string[]> {
  const seen: string[] = [];
  setHandler(remarkSignal, (note) => void seen.push(note));
  setHandler(remarkUpdate, (note) => {
    seen.push(note);
    return seen.length;
  });
  const { echo } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  seen.push(await echo('step'));
  await condition(() => seen.includes('finish'));
  return seen;
}

/** The activity the pause and reset tests run (registered by those tests only). */
export interface OperatorActivities {
  /** Heartbeats until it is released (then returns) or cancelled (then rethrows the cancellation). */
  heartbeatUntilReleased(): Promise<string>;
}

/** Runs {@link OperatorActivities.heartbeatUntilReleased} as activity `op`, retried every 100 ms. */
export async function pausableActivity(): Promise<string> {
  const { heartbeatUntilReleased } = proxyActivities<OperatorActivities>({
    activityId: 'op',
    startToCloseTimeout: '60s',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '100ms', backoffCoefficient: 1 },
  });
  return await heartbeatUntilReleased();
}
