/**
 * @module Workflows exercising signals, queries, cancellation requests and the unhandled-command rule.
 */
import {
  condition,
  defineQuery,
  defineSignal,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

export const addItemSignal = defineSignal<[string]>('addItem');
export const finishSignal = defineSignal('finish');
export const itemsQuery = defineQuery<string[]>('items');
export const failingQuery = defineQuery<string>('failing');

/** Collects items from signals until `finish`; `items` answers the list so far. */
export async function collector(): Promise<string[]> {
  const items: string[] = [];
  let finished = false;
  setHandler(addItemSignal, (item) => void items.push(item));
  setHandler(finishSignal, () => void (finished = true));
  setHandler(itemsQuery, () => items);
  setHandler(failingQuery, () => {
    throw new Error('query handler refused');
  });
  await condition(() => finished);
  return items;
}

/**
 * Runs a local activity that signals this very workflow, then returns at once: the signal
 * arrives while the workflow task is running, so the completing task has an unhandled event.
 */
export async function completeWithUnhandledSignal(): Promise<string[]> {
  const received: string[] = [];
  setHandler(addItemSignal, (item) => void received.push(item));
  const { signalSelf } = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '10s' });
  await signalSelf();
  return received;
}
