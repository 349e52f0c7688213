/**
 * @module A workflow whose timer, activity and child carry summaries (user metadata), for the
 * user metadata tests.
 */
import { executeChild, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';

/** The activity the user metadata tests register. */
export interface UserMetadataActivities {
  echo(text: string): Promise<string>;
}

/** A child that does nothing. */
export async function quietChild(): Promise<void> {
  await sleep(1);
}

/** A summarized timer, activity and child, one after the other. */
export async function summarizedSteps(): Promise<string> {
  const { echo } = proxyActivities<UserMetadataActivities>({ startToCloseTimeout: '1 minute', summary: 'echo the word' });
  await sleep(1, { summary: 'a short nap' });
  const echoed = await echo('hello');
  await executeChild(quietChild, {
    workflowId: `${workflowInfo().workflowId}-child`,
    staticSummary: 'the child',
    staticDetails: 'details of the child',
  });
  return echoed;
}
