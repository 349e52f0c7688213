/**
 * The steps of router failover that are its own: the router's context, setting the weighted
 * pair in one batch, validating the fallback, waiting for the primary to recover, switching
 * back gradually. What the procedure remembers on the way is in {@link RouterState}.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { CellHealth } from '../../activities';
import { expectedSharePercent } from '../../domain/procedures/drain-plan';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import {
  RouterNotConfiguredError,
  failedOverWeights,
  routerTargets,
  switchBackSchedule,
  type FallbackReading,
  type RouterFailoverInput,
  type RouterTargets,
  type RoutingWeights,
} from '../../domain/procedures/router-failover';
import type { TimelineEntry } from '../../domain/procedures/report';
import { awsTarget } from '../../domain/registry/lookup';
import { STABILITY_CHECK_SECONDS, STABILITY_WINDOW_SECONDS } from '../../domain/procedures/stability-watch';
import { aws, route53Sync } from './proxies';
import { stepToken, type ProcedureContext } from './context';
import { CRITERIA_SIGNALS, healthProblems } from './health';
import type { ProcedureRun } from './procedure-run';
import { TRAFFIC_CHECKS, firstReadingDelayMs } from './traffic';

/** Where router failover is, which decides how a failure or an abort leaves the routing. */
export type RouterStage = 'before-failover' | 'failing-over' | 'on-fallback' | 'switching-back' | 'on-primary';

/** What the procedure knows beyond its progress: for putting routing back and for the report. */
export class RouterState {
  stage: RouterStage = 'before-failover';
  primaryProblems: string[] = [];
  fallbackValidation?: FallbackReading;
  primaryRecovered = false;
  failedOverAt?: string;
  switchedBackAt?: string;
  compensationError?: string;
  readonly events: TimelineEntry[] = [];
  readonly recommendations: string[] = [];

  note(event: string): void {
    this.events.push({ at: new Date().toISOString(), event });
  }
}

/** The router's context for the shared steps: its primary in the place of the cell, plus the fallback. */
export interface RouterContext extends ProcedureContext {
  router: RouterTargets;
}

/** Builds the context; fails the workflow (not the task) when the registry's router cannot be acted on. */
export function routerContext(run: ProcedureRun, input: RouterFailoverInput): RouterContext {
  let router: RouterTargets;
  try {
    router = routerTargets(input.registry);
  } catch (err) {
    if (err instanceof RouterNotConfiguredError) throw ApplicationFailure.nonRetryable(err.message, ProcedureFailure.RouterNotConfigured);
    throw err;
  }
  const weight = router.primary.route53.weight;
  return { run, registry: input.registry, cell: router.primary, router, workflowId: workflowInfo().workflowId, traffic: { inServiceWeight: weight, currentWeight: weight } };
}

async function health(ctx: RouterContext, member: 'primary' | 'fallback', windowSeconds: number, token: string): Promise<CellHealth> {
  const { primary, fallback } = ctx.router;
  return await aws.getCellHealth({
    requestToken: stepToken(token),
    target: awsTarget(primary),
    signals: CRITERIA_SIGNALS,
    cellId: member === 'primary' ? primary.route53.setIdentifier : fallback.record.setIdentifier,
    alarms: member === 'primary' ? primary.alarms : [],
    metrics: member === 'primary' ? primary.metrics : fallback.metrics,
    windowSeconds,
    endTime: new Date().toISOString(),
  });
}

/**
 * The primary router's problems over the health window. A healthy primary is not failed over
 * unless `force`d.
 * @throws ApplicationFailure `RouterHealthy` (non-retryable) when nothing is wrong and not forced.
 */
export async function assessPrimary(ctx: RouterContext, force: boolean): Promise<string[]> {
  const found = healthProblems(await health(ctx, 'primary', ctx.registry.policies.health.windowSeconds, 'router-assess'), ctx.registry.policies.health);
  if (found.length === 0 && !force) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.RouterHealthy,
      nonRetryable: true,
      message: `the primary router ${ctx.cell.route53.setIdentifier} is healthy (alarms OK, metrics within the health policy); nothing to fail over (start with force to fail over anyway)`,
    });
  }
  return found;
}

/** Sets both members of the router's weighted pair in one Route 53 batch and waits until in sync. */
export async function setRouting(ctx: RouterContext, weights: RoutingWeights, step: string): Promise<void> {
  const submitted = await aws.setCellWeights({
    requestToken: stepToken(step),
    changes: [
      { record: ctx.router.primary.route53, weight: weights.primary },
      { record: ctx.router.fallback.record, weight: weights.fallback },
    ],
  });
  await route53Sync.waitForChangesInSync({ requestToken: stepToken(`${step}-sync`), changeIds: submitted.changes.map((c) => c.changeId) });
}

/** One reading of the fallback over the last whole minute: its share of the router's requests, its misrouting, each cell's share. */
async function readFallback(ctx: RouterContext, check: number): Promise<FallbackReading> {
  const { primary, fallback } = ctx.router;
  const policy = ctx.registry.policies;
  const tolerance = policy.drain.tolerancePercent;
  const endTime = new Date().toISOString();
  const routerShares = await aws.getTrafficShares({
    requestToken: stepToken(`router-validate-${check}-router`),
    cells: [
      { cellId: primary.route53.setIdentifier, metrics: primary.metrics, target: awsTarget(primary) },
      { cellId: fallback.record.setIdentifier, metrics: fallback.metrics, target: awsTarget(primary) },
    ],
    windowSeconds: 60,
    endTime,
  });
  const fallbackSharePercent = routerShares.shares.find((s) => s.cellId === fallback.record.setIdentifier)?.sharePercent ?? null;
  const fallbackHealth = await health(ctx, 'fallback', 60, `router-validate-${check}-fallback`);
  const cells = await aws.getTrafficShares({
    requestToken: stepToken(`router-validate-${check}-cells`),
    cells: ctx.registry.cells.map((c) => ({ cellId: c.id, metrics: c.metrics, target: awsTarget(c) })),
    windowSeconds: 60,
    endTime,
  });
  const problems: string[] = [];
  if (fallbackSharePercent === null || fallbackSharePercent < 100 - tolerance) {
    problems.push(`the fallback took ${fallbackSharePercent === null ? 'no requests' : `${fallbackSharePercent.toFixed(1)}%`} of the router's requests, expected at least ${100 - tolerance}%`);
  }
  problems.push(...healthProblems(fallbackHealth, policy.health).map((p) => `fallback: ${p}`));
  // The hash mapping spreads customers evenly over the cells: each must get its part.
  const expected = expectedSharePercent(1, ctx.registry.cells.length - 1);
  for (const share of cells.shares) {
    if (share.sharePercent === null || Math.abs(share.sharePercent - expected) > tolerance) {
      problems.push(`${share.cellId} got ${share.sharePercent === null ? 'no requests' : `${share.sharePercent.toFixed(1)}%`} of the requests, expected ${expected.toFixed(1)}% ± ${tolerance}%`);
    }
  }
  return {
    fallbackSharePercent,
    errorRatePercent: fallbackHealth.metrics.errorRatePercent,
    cellShares: cells.shares.map((s) => ({ cellId: s.cellId, sharePercent: s.sharePercent })),
    problems,
  };
}

/**
 * Validates the fallback routing once a whole minute of it is published: up to
 * {@link TRAFFIC_CHECKS} one-minute readings, the first with no problem validates it.
 * @throws ApplicationFailure `FallbackRoutingInvalid` (non-retryable) with the last reading's problems.
 */
export async function validateFallback(ctx: RouterContext, state: RouterState): Promise<FallbackReading> {
  await ctx.run.pace(firstReadingDelayMs(Date.now(), ctx.registry.policies.drain.pauseSeconds * 1000));
  for (let check = 1; ; check++) {
    const reading = await readFallback(ctx, check);
    state.fallbackValidation = reading;
    if (reading.problems.length === 0) return reading;
    if (check >= TRAFFIC_CHECKS) {
      throw ApplicationFailure.create({
        type: ProcedureFailure.FallbackRoutingInvalid,
        nonRetryable: true,
        message: `the fallback routing did not validate after ${TRAFFIC_CHECKS} readings: ${reading.problems.join('; ')}`,
        details: [reading],
      });
    }
    await ctx.run.pace(STABILITY_CHECK_SECONDS * 1000);
  }
}

/**
 * Waits for the restarted primary to be healthy: a first check once a whole health window has
 * passed since the restart, then one a minute, at most `checks`.
 * @throws ApplicationFailure `PrimaryRouterNotRecovered` (non-retryable) with the last problems.
 */
export async function awaitPrimaryHealthy(ctx: RouterContext, checks: number): Promise<number> {
  await ctx.run.pace(STABILITY_WINDOW_SECONDS * 1000);
  let problems: string[] = [];
  for (let check = 1; check <= checks; check++) {
    problems = healthProblems(await health(ctx, 'primary', STABILITY_WINDOW_SECONDS, `router-recovered-${check}`), ctx.registry.policies.health);
    if (problems.length === 0) return check;
    if (check < checks) await ctx.run.pace(STABILITY_CHECK_SECONDS * 1000);
  }
  throw ApplicationFailure.create({
    type: ProcedureFailure.PrimaryRouterNotRecovered,
    nonRetryable: true,
    message: `the primary router ${ctx.cell.route53.setIdentifier} was not healthy again after its restart (${checks} checks, one a minute): ${problems.join('; ')}`,
    details: [{ problems }],
  });
}

/**
 * Moves the router's requests back to the primary in the restore policy's steps (one batch of
 * both weights each), checking the primary over a whole minute after each.
 * @throws ApplicationFailure `PrimaryRouterNotRecovered` when the primary errs under the traffic.
 */
export async function switchBackGradually(ctx: RouterContext): Promise<RoutingWeights[]> {
  const { restore, health: policy } = ctx.registry.policies;
  const schedule = switchBackSchedule(ctx.registry, restore.stepPercent);
  for (const [i, weights] of schedule.entries()) {
    const token = `router-back-${i + 1}-w${weights.primary}`;
    await setRouting(ctx, weights, token);
    await ctx.run.pace(firstReadingDelayMs(Date.now(), restore.pauseSeconds * 1000));
    const problems = healthProblems(await health(ctx, 'primary', 60, `${token}-check`), policy);
    if (problems.length > 0) {
      throw ApplicationFailure.create({
        type: ProcedureFailure.PrimaryRouterNotRecovered,
        nonRetryable: true,
        message: `the primary router erred again at weight ${weights.primary} of ${failedOverWeights(ctx.registry).fallback}: ${problems.join('; ')}`,
        details: [{ weights, problems }],
      });
    }
  }
  return schedule;
}
