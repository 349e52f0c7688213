/**
 * @module Workflows for the persistence tests: activities, a timer and signals in one run, so a
 * server restart in the middle exercises every kind of durable state.
 */
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

/** The activity the persistence tests register (types only). */
export interface DurableStepActivities {
  durableStep(key: string): Promise<string>;
}

export const noteSignal = defineSignal<[string]>('note');
export const durableReleaseSignal = defineSignal('durableRelease');

/** What {@link durableProcedure} returns. */
export interface DurableProcedureResult {
  steps: string[];
  notes: string[];
}

/** Three activities, then a timer of `timerMs`, then waits for `durableRelease`; collects `note` signals throughout. */
export async function durableProcedure(timerMs: number): Promise<DurableProcedureResult> {
  const notes: string[] = [];
  let released = false;
  setHandler(noteSignal, (note) => void notes.push(note));
  setHandler(durableReleaseSignal, () => void (released = true));
  const { durableStep } = proxyActivities<DurableStepActivities>({
    startToCloseTimeout: '5s',
    retry: { initialInterval: '200ms', backoffCoefficient: 1 },
  });
  const steps: string[] = [];
  for (const step of ['one', 'two', 'three']) steps.push(await durableStep(step));
  await sleep(timerMs);
  await condition(() => released);
  return { steps, notes };
}
