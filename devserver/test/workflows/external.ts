/**
 * @module Workflows that signal or cancel another workflow by id (SignalExternal / RequestCancelExternal).
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { addItemSignal } from './messages';

/** How a request to another workflow ended, as the sender saw it. */
export interface ExternalOutcome {
  ok: boolean;
  error?: string;
}

function failed(err: unknown): ExternalOutcome {
  return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/** Sends `addItem(item)` to the workflow `targetId`. */
export async function signalsExternal(targetId: string, item: string): Promise<ExternalOutcome> {
  try {
    await getExternalWorkflowHandle(targetId).signal(addItemSignal, item);
    return { ok: true };
  } catch (err) {
    return failed(err);
  }
}

/** Requests cancellation of the workflow `targetId`. */
export async function cancelsExternal(targetId: string): Promise<ExternalOutcome> {
  try {
    await getExternalWorkflowHandle(targetId).cancel();
    return { ok: true };
  } catch (err) {
    return failed(err);
  }
}
