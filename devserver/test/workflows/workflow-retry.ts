/**
 * @module Workflows for the workflow retry policy tests: runs that fail until a given attempt,
 * with a chosen failure type, and a run that never ends (for run timeouts).
 */
import { ApplicationFailure, condition, workflowInfo } from '@temporalio/workflow';

/** What a run that did not fail saw of its attempt. */
export interface AttemptReport {
  attempt: number;
  lastFailure: string | undefined;
  maximumAttempts: number | undefined;
}

/**
 * Fails with an ApplicationFailure of `failureType` (non-retryable when `nonRetryable`) on every
 * attempt before `succeedOn` (0: on every attempt); then reports its attempt and the last failure.
 */
export function failsUntilAttempt(succeedOn: number, failureType: string, nonRetryable = false): Promise<AttemptReport> {
  const { attempt, lastFailure, retryPolicy } = workflowInfo();
  if (succeedOn === 0 || attempt < succeedOn) {
    return Promise.reject(ApplicationFailure.create({ message: `attempt ${attempt} fails`, type: failureType, nonRetryable }));
  }
  return Promise.resolve({ attempt, lastFailure: lastFailure?.message, maximumAttempts: retryPolicy?.maximumAttempts });
}

/** Waits forever (ends only on its run timeout). */
export async function neverEnds(): Promise<void> {
  await condition(() => false);
}
