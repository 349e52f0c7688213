/**
 * Watching a cell for the policy's stability period. Short watches run inline; long ones run
 * in the `stabilityWatch` child workflow, which continues as new every
 * `STABILITY_CHECKS_PER_RUN` checks, so no history grows with the length of the watch.
 */
import { ApplicationFailure, CancellationScope, condition, executeChild, isCancellation } from '@temporalio/workflow';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import {
  INLINE_STABILITY_CHECKS,
  STABILITY_CHECK_SECONDS,
  STABILITY_WINDOW_SECONDS,
  type StabilityWatchInput,
  type StabilityWatchResult,
} from '../../domain/procedures/stability-watch';
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell, Policies } from '../../domain/registry/schema';
import { aws } from './proxies';
import { stepToken, type ProcedureContext } from './context';
import { CRITERIA_SIGNALS, healthProblems } from './health';

/** One stability check; throws `StabilityWatchFailed` if the cell is not healthy. */
export async function stabilityCheck(cell: Cell, health: Policies['health'], check: number): Promise<void> {
  const result = await aws.getCellHealth({
    requestToken: stepToken(`stability-check-${check}`),
    target: awsTarget(cell),
    cellId: cell.id,
    alarms: cell.alarms,
    metrics: cell.metrics,
    signals: CRITERIA_SIGNALS,
    windowSeconds: STABILITY_WINDOW_SECONDS,
    endTime: new Date().toISOString(),
  });
  const problems = healthProblems(result, health);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.StabilityWatchFailed,
      nonRetryable: true,
      message: `${cell.id} became unhealthy during the stability watch (check ${check}): ${problems.join('; ')}`,
      details: [{ cellId: cell.id, check, problems }],
    });
  }
}

/**
 * Watches the cell for `seconds` (default: the policy's `stabilityWatchSeconds`), one health
 * check a minute. An abort ends the watch early (cancelling the child, if any).
 */
export async function watchStability(ctx: ProcedureContext, seconds = ctx.registry.policies.stabilityWatchSeconds): Promise<StabilityWatchResult> {
  const checks = Math.max(1, Math.ceil(seconds / STABILITY_CHECK_SECONDS));
  if (checks <= INLINE_STABILITY_CHECKS) {
    for (let check = 1; check <= checks; check++) {
      await ctx.run.pace(STABILITY_CHECK_SECONDS * 1000);
      await stabilityCheck(ctx.cell, ctx.registry.policies.health, check);
    }
    return { checks };
  }
  const input: StabilityWatchInput = {
    cell: ctx.cell,
    health: ctx.registry.policies.health,
    remainingChecks: checks,
    checkEverySeconds: STABILITY_CHECK_SECONDS,
    checksDone: 0,
  };
  let result: StabilityWatchResult | undefined;
  const scope = new CancellationScope();
  const watching = scope.run(() => executeChild('stabilityWatch', { workflowId: `${ctx.workflowId}-stability-watch`, args: [input] }));
  const aborted = condition(() => ctx.run.abortRequested !== undefined).then(() => scope.cancel());
  try {
    result = (await watching) as StabilityWatchResult;
  } catch (err) {
    if (!(isCancellation(err) && ctx.run.abortRequested)) throw err;
  }
  void aborted;
  ctx.run.throwIfAborted();
  return result ?? { checks: 0 };
}
