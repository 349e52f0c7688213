/**
 * Moving a cell's traffic: gradual drain (weight steps, pacing, verification that the observed
 * share actually followed), drain at once, gradual restore. Each weight change is one batched
 * ChangeResourceRecordSets, waited on until INSYNC.
 */
import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { drainSchedule, expectedSharePercent, restoreSchedule } from '../../domain/procedures/drain-plan';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import { awsTarget } from '../../domain/registry/lookup';
import { weightedGroupKey } from '../../domain/registry/records';
import type { Cell } from '../../domain/registry/schema';
import { aws, route53Sync } from './proxies';
import { stepToken, type ProcedureContext } from './context';

/** How many one-minute traffic readings a weight step gets before its traffic counts as stuck. */
export const TRAFFIC_CHECKS = 3;
/** Metrics are per minute: a reading needs a fresh complete minute. */
const CHECK_INTERVAL_MS = 60_000;
/** Policy defaults, for registries recorded in histories from before the settings existed. */
const DEFAULT_METRICS_DELAY_SECONDS = 5;
const DEFAULT_MIN_GROUP_REQUESTS_PER_MINUTE = 60;
/**
 * The patch that lets a cell without measurable traffic drain on the Route 53 change being in
 * sync alone (before it, three readings of no requests failed the step with TrafficDidNotMove).
 */
export const QUIET_CELL_PATCH = 'drain-quiet-cell-on-insync';

/**
 * How long to wait after a weight change in sync before its first reading: the policy's pause,
 * and at least until the first whole minute after the change has been published (a minute that
 * straddles the change would show a mix of the old and the new share); `metricsDelayMs` is the
 * policy's `drain.metricsDelaySeconds`.
 */
export function firstReadingDelayMs(syncedAtMs: number, pauseMs: number, metricsDelayMs = DEFAULT_METRICS_DELAY_SECONDS * 1000): number {
  const firstWholeMinuteEnd = Math.ceil(syncedAtMs / CHECK_INTERVAL_MS) * CHECK_INTERVAL_MS + CHECK_INTERVAL_MS;
  return Math.max(pauseMs, firstWholeMinuteEnd + metricsDelayMs - syncedAtMs);
}

/** Options of the traffic steps. */
export interface TrafficStepOptions {
  /** Prefix of the steps' request tokens (e.g. `drain`, `restore`, `abort-restore`). */
  step: string;
  /** False for compensation: pacing then ignores an abort (the abort is what is being handled). */
  abortable?: boolean;
  /** Restores only: runs after each weight step's pause (a new cell's ramp-up watching it); its failure stops the restore there. */
  afterStep?: (weight: number) => Promise<void>;
}

/** The cells sharing the cell's weighted group (same zone, name and type), itself excluded. */
function groupPeers(ctx: ProcedureContext): Cell[] {
  const group = weightedGroupKey(ctx.cell.route53);
  return ctx.registry.cells.filter((c) => c.id !== ctx.cell.id && weightedGroupKey(c.route53) === group);
}

async function wait(ctx: ProcedureContext, ms: number, abortable: boolean): Promise<void> {
  if (abortable) await ctx.run.pace(ms);
  else await sleep(ms);
}

/** Reads the group's weights: the cell's own, and the sum of its peers'. */
async function readGroupWeights(ctx: ProcedureContext, token: string): Promise<{ own: number; others: number }> {
  const peers = groupPeers(ctx);
  const read = await aws.readCellWeights({ requestToken: stepToken(token), records: [ctx.cell.route53, ...peers.map((c) => c.route53)] });
  const weightOf = (setIdentifier: string) => read.records.find((r) => r.setIdentifier === setIdentifier)?.weight;
  const own = weightOf(ctx.cell.route53.setIdentifier);
  if (own === undefined) {
    throw ApplicationFailure.nonRetryable(`the weighted record ${ctx.cell.route53.setIdentifier} of ${ctx.cell.id} does not exist`, 'RecordNotFound');
  }
  return { own, others: peers.reduce((sum, c) => sum + (weightOf(c.route53.setIdentifier) ?? 0), 0) };
}

/** Sets the cell's weight with one batch and waits until Route 53 is in sync. */
async function setWeight(ctx: ProcedureContext, weight: number, token: string): Promise<void> {
  const submitted = await aws.setCellWeights({ requestToken: stepToken(token), changes: [{ record: ctx.cell.route53, weight }] });
  await route53Sync.waitForChangesInSync({ requestToken: stepToken(`${token}-sync`), changeIds: submitted.changes.map((c) => c.changeId) });
  ctx.traffic.currentWeight = weight;
  ctx.run.recordTraffic({ cellId: ctx.cell.id, weight });
}

/**
 * Reads the cell's observed traffic share until it is within the policy's tolerance of what
 * `weight` should give, one reading a minute, at most {@link TRAFFIC_CHECKS} readings. A group
 * serving fewer than the policy's `minGroupRequestsPerMinute` has no share worth reading: the
 * step then stands on the change being in sync, recorded as unmeasured (null).
 * @throws ApplicationFailure `TrafficDidNotMove` (non-retryable) naming expected and observed shares.
 */
async function verifyShare(ctx: ProcedureContext, weight: number, othersWeight: number, token: string, abortable: boolean): Promise<number | null> {
  const expected = expectedSharePercent(weight, othersWeight);
  const tolerance = ctx.registry.policies.drain.tolerancePercent;
  const minGroupRequestsPerMinute = ctx.registry.policies.drain.minGroupRequestsPerMinute ?? DEFAULT_MIN_GROUP_REQUESTS_PER_MINUTE;
  const cells = [ctx.cell, ...groupPeers(ctx)].map((c) => ({ cellId: c.id, metrics: c.metrics, target: awsTarget(c) }));
  let observed: number | null = null;
  for (let check = 1; check <= TRAFFIC_CHECKS; check++) {
    const shares = await aws.getTrafficShares({ requestToken: stepToken(`${token}-check-${check}`), cells, windowSeconds: 60, endTime: new Date().toISOString() });
    if (shares.totalRequests < minGroupRequestsPerMinute && patched(QUIET_CELL_PATCH)) {
      ctx.run.recordTraffic({ cellId: ctx.cell.id, weight, expectedSharePercent: expected, unmeasured: { groupRequests: shares.totalRequests, minGroupRequestsPerMinute } });
      return null;
    }
    observed = shares.shares.find((s) => s.cellId === ctx.cell.id)?.sharePercent ?? null;
    ctx.run.recordTraffic({ cellId: ctx.cell.id, weight, expectedSharePercent: expected, ...(observed === null ? {} : { observedSharePercent: observed }) });
    if (observed !== null && Math.abs(observed - expected) <= tolerance) return observed;
    if (check < TRAFFIC_CHECKS) await wait(ctx, CHECK_INTERVAL_MS, abortable);
  }
  const seen = observed === null ? 'no requests at all' : `${observed.toFixed(1)}%`;
  throw ApplicationFailure.create({
    type: ProcedureFailure.TrafficDidNotMove,
    nonRetryable: true,
    message: `traffic of ${ctx.cell.id} did not follow weight ${weight}: expected ${expected.toFixed(1)}% ± ${tolerance}%, observed ${seen} after ${TRAFFIC_CHECKS} readings`,
    details: [{ cellId: ctx.cell.id, weight, expectedSharePercent: expected, observedSharePercent: observed }],
  });
}

/**
 * Drains the cell in weight steps of the policy's `drain.stepPercent`: each step sets the
 * weight, waits `drain.pauseSeconds`, then verifies the observed share moved.
 * @returns the weights set, in order.
 */
export async function drainGradually(ctx: ProcedureContext, options: TrafficStepOptions): Promise<number[]> {
  const abortable = options.abortable ?? true;
  const policy = ctx.registry.policies.drain;
  const { own, others } = await readGroupWeights(ctx, `${options.step}-read`);
  ctx.traffic.currentWeight = own;
  ctx.run.recordTraffic({ cellId: ctx.cell.id, weight: own });
  const schedule = drainSchedule(own, policy.stepPercent);
  for (const [i, weight] of schedule.entries()) {
    const token = `${options.step}-${i + 1}-w${weight}`;
    await setWeight(ctx, weight, token);
    await wait(ctx, firstReadingDelayMs(Date.now(), policy.pauseSeconds * 1000, (policy.metricsDelaySeconds ?? DEFAULT_METRICS_DELAY_SECONDS) * 1000), abortable);
    await verifyShare(ctx, weight, others, token, abortable);
  }
  return schedule;
}

/** Drains the cell with one change to weight 0 (a cell that is failing), then verifies. */
export async function drainAtOnce(ctx: ProcedureContext, options: TrafficStepOptions): Promise<void> {
  const abortable = options.abortable ?? true;
  const { own, others } = await readGroupWeights(ctx, `${options.step}-read`);
  ctx.traffic.currentWeight = own;
  ctx.run.recordTraffic({ cellId: ctx.cell.id, weight: own });
  if (own === 0) return;
  await setWeight(ctx, 0, `${options.step}-w0`);
  await verifyShare(ctx, 0, others, `${options.step}-w0`, abortable);
}

/**
 * Brings the cell back to its in-service weight in steps of the policy's `restore.stepPercent`,
 * waiting `restore.pauseSeconds` after each.
 * @returns the weights set, in order.
 */
export async function restoreGradually(ctx: ProcedureContext, options: TrafficStepOptions): Promise<number[]> {
  const abortable = options.abortable ?? true;
  const policy = ctx.registry.policies.restore;
  const schedule = restoreSchedule(ctx.traffic.currentWeight, ctx.traffic.inServiceWeight, policy.stepPercent);
  for (const [i, weight] of schedule.entries()) {
    await setWeight(ctx, weight, `${options.step}-${i + 1}-w${weight}`);
    await wait(ctx, policy.pauseSeconds * 1000, abortable);
    if (options.afterStep) await options.afterStep(weight);
  }
  return schedule;
}
