/**
 * @module Workflows that record markers and change search attributes and memo.
 */
import {
  condition,
  defineSignal,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

export const proceedSignal = defineSignal('proceed');
// Search attribute keys as plain {name, type} pairs (the key helper lives outside the workflow API).
export const cellIdKey = { name: 'CellId', type: 'KEYWORD' } as const;
export const procedureKey = { name: 'Procedure', type: 'KEYWORD' } as const;

/** A patch marker and a local-activity marker. */
export async function markers(): Promise<string> {
  const { echo } = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '10s' });
  const value = patched('drain-before-stop') ? await echo('patched') : 'unpatched';
  return value;
}

/** Upserts a search attribute and the memo, then waits so a test can list and describe it. */
export async function upsertProperties(cellId: string): Promise<Record<string, unknown>> {
  let proceed = false;
  setHandler(proceedSignal, () => void (proceed = true));
  upsertSearchAttributes([
    { key: cellIdKey, value: cellId },
    { key: procedureKey, value: 'cell-restart' },
  ]);
  upsertMemo({ note: `restarting ${cellId}` });
  await condition(() => proceed);
  return { memo: workflowInfo().memo, cellId: workflowInfo().typedSearchAttributes.get(cellIdKey) };
}
