/**
 * @module A workflow for the worker versioning tests: which worker ran each step shows in the
 * result, since each test worker's `echo` prefixes its own version.
 */
import { condition, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TestActivities } from './activity-types';
import { remarkSignal } from './operator';

export const echoesQuery = defineQuery<string[]>('echoes');

/** Runs `echo` on each note signalled (`remark`), in order, until the note `finish`; returns the echoes. */
export async function echoEachNote(): Promise<string[]> {
  const notes: string[] = [];
  const echoes: string[] = [];
  setHandler(remarkSignal, (note) => void notes.push(note));
  setHandler(echoesQuery, () => echoes);
  const { echo } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  for (;;) {
    await condition(() => notes.length > 0);
    const note = notes.shift() as string;
    if (note === 'finish') return echoes;
    echoes.push(await echo(note));
  }
}
