/**
 * @module Plain workflows for the dev server tests: results, failures, timers, cancellation.
 */
import { ApplicationFailure, CancellationScope, executeChild, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { TestActivities } from './activity-types';

/** Returns a greeting without any activity. */
export function greet(name: string): Promise<string> {
  return Promise.resolve(`Hello, ${name}`);
}

/** Fails the workflow with a typed application failure. */
export function failWithApplicationFailure(message: string): Promise<never> {
  return Promise.reject(ApplicationFailure.create({ message, type: 'CellUnavailable', nonRetryable: true, details: ['cell-007'] }));
}

/** Throws a plain TypeError: the TS SDK fails the workflow task, not the workflow. */
export function failWorkflowTask(): Promise<string> {
  const broken = undefined as unknown as { call(): string };
  return Promise.resolve(broken.call());
}

/** Sleeps (a server-side timer) and reports how long the workflow clock moved. */
export async function sleeper(ms: number): Promise<number> {
  const start = Date.now();
  await sleep(ms);
  return Date.now() - start;
}

/** Starts a long timer and cancels it after a short one: TimerStarted, TimerStarted, TimerFired, TimerCanceled. */
export async function cancelTimer(): Promise<string> {
  const scope = new CancellationScope();
  const long = scope.run(() => sleep(60_000));
  await sleep(50);
  scope.cancel();
  try {
    await long;
    return 'long timer fired';
  } catch (err) {
    return isCancellation(err) ? 'long timer canceled' : 'unexpected';
  }
}

/** Runs three activities in sequence (the shape of the throughput benchmark). */
export async function threeActivities(input: string): Promise<string[]> {
  const { echo } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  return [await echo(`${input}-1`), await echo(`${input}-2`), await echo(`${input}-3`)];
}

/** Waits for cancellation of the workflow; the SDK then reports the workflow canceled. */
export async function waitForCancel(): Promise<string> {
  await sleep(3_600_000);
  return 'not canceled';
}

/** Starts a child whose workflow id is over the length limit: the server fails the task as a bad command. */
export async function startsChildWithBadId(): Promise<string> {
  return await executeChild(greet, { args: ['child'], workflowId: 'x'.repeat(1001) });
}
