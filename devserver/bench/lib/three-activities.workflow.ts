import { proxyActivities } from '@temporalio/workflow';

const { step } = proxyActivities<{ step(n: number): Promise<number> }>({ startToCloseTimeout: '10s' });

/** The benchmark's workflow: three activities in a row. */
export async function threeActivities(n: number): Promise<number> {
  return await step(await step(await step(n)));
}
