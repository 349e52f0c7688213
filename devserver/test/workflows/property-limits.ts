/**
 * @module A workflow that sets search attributes or memo of a given size through its commands,
 * for the memo and search attribute limits.
 */
import { executeChild, makeContinueAsNewFunc, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { pendingLimitChild } from './pending';

export type PropertyPlace =
  | 'upsert-keys'
  | 'child-keys'
  | 'continue-as-new-keys'
  | 'upsert-value'
  | 'upsert-merged'
  | 'memo-merged'
  | 'child-memo'
  | 'child-search-attributes'
  | 'continue-as-new-memo';

/** Puts `bytes` characters in the `place` named (a run continued as new returns at once). */
export async function propertySizes(place: PropertyPlace, bytes: number, continued = false): Promise<string> {
  if (continued) return 'continued';
  const big = 'x'.repeat(bytes);
  switch (place) {
    case 'upsert-keys':
      upsertSearchAttributes({ First: ['a'], Second: ['b'], Note: ['c'] });
      return 'upserted';
    case 'child-keys':
      return await executeChild(pendingLimitChild, { workflowId: `${place}-${bytes}`, searchAttributes: { First: ['a'], Second: ['b'], Note: ['c'] } });
    case 'continue-as-new-keys':
      return await makeContinueAsNewFunc<typeof propertySizes>({ searchAttributes: { First: ['a'], Second: ['b'], Note: ['c'] } })(place, bytes, true);
    case 'upsert-value':
      upsertSearchAttributes({ Note: [big] });
      return 'upserted';
    case 'upsert-merged':
      upsertSearchAttributes({ Second: [big] });
      return 'upserted';
    case 'memo-merged':
      upsertMemo({ more: big });
      return 'upserted';
    case 'child-memo':
      return await executeChild(pendingLimitChild, { workflowId: `${place}-${bytes}`, memo: { big } });
    case 'child-search-attributes':
      return await executeChild(pendingLimitChild, { workflowId: `${place}-${bytes}`, searchAttributes: { Note: [big] } });
    case 'continue-as-new-memo':
      return await makeContinueAsNewFunc<typeof propertySizes>({ memo: { big } })(place, bytes, true);
  }
}
