import { sleep } from '@temporalio/workflow';

/** The time-skipping benchmark's workflow: `days` one-day sleeps in a row. */
export async function dailyTimers(days: number): Promise<number> {
  for (let day = 0; day < days; day++) await sleep('1 day');
  return days;
}
