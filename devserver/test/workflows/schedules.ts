/**
 * @module Workflows for the schedule tests.
 */
import { workflowInfo } from '@temporalio/workflow';

/** Counts its schedule's runs: the previous run's result (`lastResult`) plus one. */
export function countScheduledRuns(): Promise<number> {
  const last = workflowInfo().lastResult as number | undefined;
  return Promise.resolve((last ?? 0) + 1);
}
