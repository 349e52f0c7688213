import { continueAsNew, sleep } from '@temporalio/workflow';
import { STABILITY_CHECKS_PER_RUN, type StabilityWatchInput, type StabilityWatchResult } from '../domain/procedures/stability-watch';
import { stabilityCheck } from './lib/stability-watch';

/**
 * A long stability watch, as a child of the procedure: one health check every
 * `checkEverySeconds`, continuing as new every `STABILITY_CHECKS_PER_RUN` checks.
 * Fails with `StabilityWatchFailed` at the first unhealthy check.
 */
export async function stabilityWatch(input: StabilityWatchInput): Promise<StabilityWatchResult> {
  const thisRun = Math.min(input.remainingChecks, STABILITY_CHECKS_PER_RUN);
  for (let i = 1; i <= thisRun; i++) {
    await sleep(input.checkEverySeconds * 1000);
    await stabilityCheck(input.cell, input.health, input.checksDone + i);
  }
  const remainingChecks = input.remainingChecks - thisRun;
  if (remainingChecks > 0) {
    return await continueAsNew<typeof stabilityWatch>({ ...input, remainingChecks, checksDone: input.checksDone + thisRun });
  }
  return { checks: input.checksDone + thisRun };
}
