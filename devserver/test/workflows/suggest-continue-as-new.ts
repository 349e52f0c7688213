/**
 * @module A workflow that sleeps step after step until its workflow task says continue-as-new is
 * suggested.
 */
import { sleep, workflowInfo } from '@temporalio/workflow';

/** Sleeps 1 ms per step until `continueAsNewSuggested` (or `maxSteps`); reports when it came. */
export async function untilContinueAsNewSuggested(maxSteps: number): Promise<{ steps: number; suggested: boolean; historyLength: number }> {
  let steps = 0;
  while (!workflowInfo().continueAsNewSuggested && steps < maxSteps) {
    await sleep(1);
    steps++;
  }
  return { steps, suggested: workflowInfo().continueAsNewSuggested, historyLength: workflowInfo().historyLength };
}
