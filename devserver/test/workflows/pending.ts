/**
 * @module Workflows that put several activities, children, external signals or external cancel
 * requests in flight at once, for the per-run pending limits (`limit.numPending*`).
 */
import { condition, defineSignal, executeChild, getExternalWorkflowHandle, proxyActivities, setHandler } from '@temporalio/workflow';

export type PendingKind = 'children' | 'signals' | 'cancels';

/** Lets `heldActivities` schedule its last activity. */
export const scheduleMoreSignal = defineSignal('scheduleMore');

/** An activity the test completes when it chooses. */
interface HeldActivities {
  held(index: number): Promise<string>;
}

/**
 * Schedules `first` held activities in one workflow task, then, once signalled, one more in a
 * later task; returns the activities' results in order.
 */
export async function heldActivities(first: number): Promise<string[]> {
  const { held } = proxyActivities<HeldActivities>({ startToCloseTimeout: '1 minute' });
  let more = false;
  setHandler(scheduleMoreSignal, () => {
    more = true;
  });
  const firsts = Array.from({ length: first }, (_, index) => held(index));
  await condition(() => more);
  return await Promise.all([...firsts, held(first)]);
}

/** Completes at once. */
export function pendingLimitChild(): Promise<string> {
  return Promise.resolve('child done');
}

/**
 * Starts `count` children, or sends `count` signals or cancel requests to workflows that need
 * not exist, all in one workflow task; returns how many succeeded.
 */
export async function manyPending(kind: PendingKind, count: number, prefix: string): Promise<number> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  const requests = ids.map(async (workflowId) => {
    switch (kind) {
      case 'children':
        return await executeChild(pendingLimitChild, { workflowId });
      case 'signals':
        return await getExternalWorkflowHandle(workflowId).signal('ping');
      case 'cancels':
        return await getExternalWorkflowHandle(workflowId).cancel();
    }
  });
  const outcomes = await Promise.allSettled(requests);
  return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
}
