import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export const countUpdate = defineUpdate<number, [number]>('count');
export const doneSignal = defineSignal('done');

/** The update benchmark's workflow: `count(n)` answers n + 1, a negative n is rejected by the validator. */
export async function updateGate(): Promise<void> {
  let done = false;
  setHandler(countUpdate, (n) => Promise.resolve(n + 1), {
    validator: (n) => {
      if (n < 0) throw new Error('negative');
    },
  });
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
}
