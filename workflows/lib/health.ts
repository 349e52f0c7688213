/** Health checks: a cell's full check against the policy, and the rest of the fleet's. */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { CellHealth, HealthSignal } from '../../activities';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell, Policies } from '../../domain/registry/schema';
import { aws } from './proxies';
import { stepToken, type ProcedureContext } from './context';

/**
 * The signals the health policy's criteria look at (`maxErrorRatePercent`, `maxLatencyP99Ms`,
 * `minAvailabilityPercent`): the only metrics a health check reads.
 */
export const CRITERIA_SIGNALS: HealthSignal[] = ['errorRate', 'latencyP99', 'availability'];

const NO_DATA_LABEL: Record<HealthSignal, string> = { errorRate: 'error rate (no requests)', latencyP99: 'p99 latency', availability: 'availability' };

/**
 * What is wrong with `health` under `policy`; empty when healthy. A metric without data is a
 * problem only when the policy says so (`onNoData: fail`).
 */
export function healthProblems(health: CellHealth, policy: Policies['health']): string[] {
  const problems = health.inAlarm.map((name) => `alarm ${name} is in ALARM`);
  if (policy.onNoData === 'fail') {
    for (const signal of health.noData ?? []) problems.push(`no ${NO_DATA_LABEL[signal]} data in the window`);
  }
  const m = health.metrics;
  if (m.errorRatePercent !== null && m.errorRatePercent > policy.maxErrorRatePercent) {
    problems.push(`error rate ${m.errorRatePercent.toFixed(2)}% above ${policy.maxErrorRatePercent}%`);
  }
  if (m.latencyP99Ms !== null && m.latencyP99Ms > policy.maxLatencyP99Ms) {
    problems.push(`p99 latency ${m.latencyP99Ms.toFixed(0)} ms above ${policy.maxLatencyP99Ms} ms`);
  }
  if (m.availabilityPercent !== null && m.availabilityPercent < policy.minAvailabilityPercent) {
    problems.push(`availability ${m.availabilityPercent.toFixed(2)}% below ${policy.minAvailabilityPercent}%`);
  }
  return problems;
}

/** Reads `cell`'s health over the last `windowSeconds`: the signals the criteria need, keyed by `token`. */
export async function cellHealth(cell: Cell, windowSeconds: number, token: string): Promise<CellHealth> {
  return await aws.getCellHealth({
    requestToken: stepToken(token),
    target: awsTarget(cell),
    cellId: cell.id,
    alarms: cell.alarms,
    metrics: cell.metrics,
    signals: CRITERIA_SIGNALS,
    windowSeconds,
    endTime: new Date().toISOString(),
  });
}

/** Reads the health of `cells` over the last `windowSeconds` in one activity (batched per region), keyed by `token`. */
export async function fleetHealth(cells: readonly Cell[], windowSeconds: number, token: string): Promise<CellHealth[]> {
  if (cells.length === 0) return [];
  return await aws.getFleetHealth({
    requestToken: stepToken(token),
    cells: cells.map((cell) => ({ cellId: cell.id, target: awsTarget(cell), alarms: cell.alarms, metrics: cell.metrics })),
    signals: CRITERIA_SIGNALS,
    windowSeconds,
    endTime: new Date().toISOString(),
  });
}

/**
 * The full health check: the cell's alarms and its metrics over the policy's window.
 * @throws ApplicationFailure `CellUnhealthy` (non-retryable) listing every problem found.
 */
export async function fullHealthCheck(ctx: ProcedureContext, step: string, windowSeconds = ctx.registry.policies.health.windowSeconds): Promise<CellHealth> {
  const health = await cellHealth(ctx.cell, windowSeconds, step);
  const problems = healthProblems(health, ctx.registry.policies.health);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.CellUnhealthy,
      nonRetryable: true,
      message: `${ctx.cell.id} is unhealthy: ${problems.join('; ')}`,
      details: [{ cellId: ctx.cell.id, problems }],
    });
  }
  return health;
}

/**
 * Whether the rest of the fleet can take the cell's traffic: no other cell may be unhealthy.
 * @throws ApplicationFailure `FleetNotHealthy` (non-retryable) naming the cells and problems.
 */
export async function checkRestOfFleetHealthy(ctx: ProcedureContext, step: string): Promise<void> {
  const problems: string[] = [];
  const others = ctx.registry.cells.filter((c) => c.id !== ctx.cell.id);
  const policy = ctx.registry.policies.health;
  // One batched read of every other cell (the same checks); runs that began reading cell by cell go on so.
  const healths = patched('batched-fleet-health') ? await fleetHealth(others, policy.windowSeconds, step) : undefined;
  for (const [i, cell] of others.entries()) {
    const health = healths?.[i] ?? (await cellHealth(cell, policy.windowSeconds, `${step}-${cell.id}`));
    for (const problem of healthProblems(health, policy)) problems.push(`${cell.id}: ${problem}`);
  }
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.FleetNotHealthy,
      nonRetryable: true,
      message: `the rest of the fleet cannot take ${ctx.cell.id}'s traffic: ${problems.join('; ')}`,
      details: [{ cellId: ctx.cell.id, problems }],
    });
  }
}
