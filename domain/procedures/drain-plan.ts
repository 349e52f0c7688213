/**
 * Weight schedules for moving traffic gradually. Pure functions, used by workflows.
 * Weights are Route 53 weights (0-255); steps are a share of the cell's in-service weight.
 */

/** The weights to set, in order, to drain a cell from `fromWeight` to 0 in steps of `stepPercent`. */
export function drainSchedule(fromWeight: number, stepPercent: number): number[] {
  assertSchedule(fromWeight, stepPercent);
  const steps: number[] = [];
  for (let share = 100 - stepPercent; share > 0; share -= stepPercent) {
    steps.push(Math.round((fromWeight * share) / 100));
  }
  steps.push(0);
  return dedupe(steps.filter((w) => w < fromWeight));
}

/** The weights to set, in order, to bring a cell from `fromWeight` back to `toWeight` in steps of `stepPercent` of `toWeight`. */
export function restoreSchedule(fromWeight: number, toWeight: number, stepPercent: number): number[] {
  assertSchedule(toWeight, stepPercent);
  const steps: number[] = [];
  for (let share = stepPercent; share < 100; share += stepPercent) {
    steps.push(Math.round((toWeight * share) / 100));
  }
  steps.push(toWeight);
  return dedupe(steps.filter((w) => w > fromWeight));
}

/** The traffic share (0-100) a cell should get with `weight` when the other members of its group weigh `othersWeight` in total. */
export function expectedSharePercent(weight: number, othersWeight: number): number {
  const total = weight + othersWeight;
  return total === 0 ? 0 : (weight / total) * 100;
}

function assertSchedule(weight: number, stepPercent: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 255) throw new RangeError(`weight ${weight}: expected an integer 0-255`);
  if (!(stepPercent > 0 && stepPercent <= 100)) throw new RangeError(`step ${stepPercent}%: expected more than 0 and at most 100`);
}

function dedupe(weights: number[]): number[] {
  return weights.filter((w, i) => i === 0 || w !== weights[i - 1]);
}
