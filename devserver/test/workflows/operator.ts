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
