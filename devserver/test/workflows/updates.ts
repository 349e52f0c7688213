/**
 * @module Workflows exercising workflow updates: validators, handlers that finish at once or wait,
 * and a workflow that closes with an update still running.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

export const approveUpdate = defineUpdate<string, [string]>('approve');
export const holdUpdate = defineUpdate<string, [string]>('hold');
export const releaseSignal = defineSignal('release');
export const closeSignal = defineSignal('close');
export const handoffSignal = defineSignal('handoff');
export const handledQuery = defineQuery<string[]>('handled');

/**
 * Approval gate: `approve(approver)` is validated (empty approver and "mallory" are rejected),
 * recorded and answered at once; `hold(tag)` is accepted at once but completes only after
 * `release`; `close` ends the run, even with a `hold` still waiting. `handled` lists every
 * handler execution, so a repeated update id that ran twice would show.
 */
export async function approvalGate(): Promise<string[]> {
  const handled: string[] = [];
  let released = false;
  let closed = false;
  setHandler(
    approveUpdate,
    (approver) => {
      handled.push(`approve:${approver}`);
      return Promise.resolve(`approved by ${approver}`);
    },
    {
      validator: (approver) => {
        if (!approver) throw new Error('an approver is required');
        if (approver === 'mallory') throw ApplicationFailure.nonRetryable('mallory may not approve', 'NotAnApprover');
      },
    },
  );
  setHandler(holdUpdate, async (tag) => {
    handled.push(`hold:${tag}`);
    await condition(() => released);
    return `released ${tag}`;
  });
  setHandler(releaseSignal, () => void (released = true));
  setHandler(closeSignal, () => void (closed = true));
  setHandler(handledQuery, () => handled);
  await condition(() => closed);
  return handled;
}

/**
 * Keeps its first workflow task busy with a local activity of `ms` (so updates and signals
 * arrive while a task runs), then behaves like {@link approvalGate}.
 */
export async function slowFirstTaskGate(ms: number): Promise<string[]> {
  const { sleepFor } = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '10s' });
  await sleepFor(ms);
  return await approvalGate();
}

/**
 * Like {@link approvalGate}, but `handoff` continues the gate as a new run (carrying the list
 * of handled updates), without waiting for a `hold` still in progress.
 */
export async function handoffGate(carried: string[] = []): Promise<string[]> {
  const handled = [...carried];
  let released = false;
  let closed = false;
  let handoff = false;
  setHandler(approveUpdate, (approver) => {
    handled.push(`approve:${approver}`);
    return Promise.resolve(`approved by ${approver}`);
  });
  setHandler(holdUpdate, async (tag) => {
    handled.push(`hold:${tag}`);
    await condition(() => released);
    return `released ${tag}`;
  });
  setHandler(releaseSignal, () => void (released = true));
  setHandler(closeSignal, () => void (closed = true));
  setHandler(handoffSignal, () => void (handoff = true));
  setHandler(handledQuery, () => handled);
  await condition(() => closed || handoff);
  if (handoff) await continueAsNew<typeof handoffGate>(handled);
  return handled;
}
