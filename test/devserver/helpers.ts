/**
 * @module Small helpers shared by the dev server tests.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A workflow id no other test uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Event types of a history without the `EVENT_TYPE_` prefix, in order. */
export function eventTypes(history: { events?: HistoryEvent[] | null }): string[] {
  return (history.events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0].replace(/^EVENT_TYPE_/, ''));
}

/** The events of a given type (short name, e.g. `ACTIVITY_TASK_STARTED`). */
export function eventsOfType(history: { events?: HistoryEvent[] | null }, type: string): HistoryEvent[] {
  const wanted = temporal.api.enums.v1.EventType[`EVENT_TYPE_${type}` as keyof typeof temporal.api.enums.v1.EventType];
  return (history.events ?? []).filter((e) => e.eventType === wanted);
}

/** Bundles the test workflows (once per test file; reuse the result for every worker). */
export async function bundleTestWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg), log() {} },
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
