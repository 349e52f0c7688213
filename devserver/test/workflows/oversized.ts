/**
 * @module A workflow that puts a string of a given length where a workflow task completion
 * carries a payload, for the blob size limit on commands and update and query answers.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

export type OversizedPlace =
  | 'activity-input'
  | 'result'
  | 'failure'
  | 'signal-external'
  | 'child-input'
  | 'continue-as-new-input'
  | 'memo'
  | 'search-attributes'
  | 'handlers';

/** Answers with a string of the length asked for. */
export const bigUpdate = defineUpdate<string, [number]>('big');
export const bigQuery = defineQuery<string, [number]>('big');

/** Puts `bytes` characters in the `place` named; 'handlers' only waits, answering `bigUpdate` and `bigQuery`. */
export async function oversizedPayload(place: OversizedPlace, bytes: number, carried = ''): Promise<string> {
  const big = 'x'.repeat(bytes);
  switch (place) {
    case 'activity-input':
      return await proxyActivities<TestActivities>({ startToCloseTimeout: '1 minute' }).echo(big);
    case 'result':
      return big;
    case 'failure':
      throw ApplicationFailure.nonRetryable(big);
    case 'signal-external':
      await getExternalWorkflowHandle('oversized-signal-target').signal('big', big);
      return 'signalled';
    case 'child-input':
      return await executeChild<(input: string) => Promise<string>>('oversizedChild', { args: [big], workflowId: 'oversized-child' });
    case 'continue-as-new-input':
      if (carried) return 'continued';
      return await continueAsNew<typeof oversizedPayload>(place, 0, big);
    case 'memo':
      upsertMemo({ big });
      return 'upserted';
    case 'search-attributes':
      upsertSearchAttributes({ BigText: [big] });
      return 'upserted';
    case 'handlers':
      setHandler(bigUpdate, (length) => 'x'.repeat(length));
      setHandler(bigQuery, (length) => 'x'.repeat(length));
      await condition(() => false);
      return 'unreachable';
  }
}
