/**
 * Wave deployment's own steps: the rollout's state (the `deploymentProgress` query), updating a
 * batch of cells, baking a wave against its criteria, rolling cells back, and the approval
 * before a wave. Cells move in batches through the batched activities, so the history grows
 * per batch and per bake check, not per cell.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { AwsActivities } from '../../activities';
import {
  BAKE_CHECK_SECONDS,
  BAKE_WINDOW_SECONDS,
  judgeReading,
  stackBefore,
  stackBeforeOf,
  versionedStack,
  type CriterionFailure,
  type DeploymentPlan,
  type DeploymentProgress,
  type DeploymentResume,
  type PlannedWave,
  type StackBefore,
  type WaveStatus,
} from '../../domain/procedures/wave-deployment';
import { activeFreeze, describeActiveFreeze } from '../../domain/change-freezes';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell } from '../../domain/registry/schema';
import { stepToken, type ProcedureContext } from './context';
import { notifyOperator } from './notify';
import { ABORTED } from './procedure-run';
import { guard, quickAwsCall, waitForStackStable } from './proxies';

/** A batch's stack updates: a few calls per cell, heartbeated per cell. */
const updateBatchCall = { ...quickAwsCall, startToCloseTimeout: '10 minutes', heartbeatTimeout: '2 minutes' } as const;
/** A batch's health read: one DescribeAlarms per 100 alarms, one GetMetricData per 166 cells. */
const healthReadCall = { ...quickAwsCall, startToCloseTimeout: '5 minutes', heartbeatTimeout: '2 minutes' } as const;

const updates = proxyActivities<Pick<AwsActivities, 'updateCellStacks'>>(updateBatchCall);
const waits = proxyActivities<Pick<AwsActivities, 'waitForCellStacks'>>(waitForStackStable);
const health = proxyActivities<Pick<AwsActivities, 'readCellsHealth'>>(healthReadCall);
const stackReads = proxyActivities<Pick<AwsActivities, 'readCellStacks'>>(updateBatchCall);

/** Runs from before it took no permits from the fleet guard for the cells they updated. */
export const CHANGE_PERMITS_PATCH = 'deployment-change-permits';

/** Runs from before the stacks were read ahead of their update roll back to the registry's stack. */
export const STACKS_BEFORE_PATCH = 'deployment-rollback-to-stack-before';

/** Runs from before change freezes existed did not check them (no timer, no notification). */
export const CHANGE_FREEZE_PATCH = 'deployment-change-freezes';
/** The failure type of a rollout refused at its start because a change freeze lasts. */
export const CHANGE_FROZEN = 'ChangeFrozen';

/** The failure type of a rollout that crossed its error budget. */
export const DEPLOYMENT_FAILED = 'DeploymentCriterionFailed';
/** CloudWatch publishes a minute's datapoints shortly after it ends. */
const METRICS_PUBLISH_DELAY_MS = 5_000;
/** Failures kept per wave in the progress (the report keeps the deciding ones). */
const MAX_WAVE_FAILURES = 20;

/** Everything the rollout knows about itself; its progress is the `deploymentProgress` answer. */
export class DeploymentState {
  readonly progress: DeploymentProgress;
  /** Cells on the new version (or on their way to it), in update order. */
  readonly updated: string[];
  /** Cells that failed, within the budget or past it. */
  readonly failedCells: string[];
  /** The failures of the check that spent the budget. */
  failures: CriterionFailure[] = [];
  readonly rollbackFailures: { cellId: string; message: string }[] = [];
  readonly firstWave: number;
  /** Each updated cell's stack as it was before (what a rollback puts back). */
  readonly before: Record<string, StackBefore>;
  /** The template bodies `before` refers to, by digest: few, as a fleet runs few distinct templates. */
  readonly templates: Record<string, string>;
  /** Cells whose change permit this run holds (none between waves, so none across continue-as-new). */
  readonly permitted: string[] = [];

  constructor(
    readonly plan: DeploymentPlan,
    resume: DeploymentResume | undefined,
  ) {
    this.firstWave = resume?.nextWave ?? 0;
    this.updated = [...(resume?.updated ?? [])];
    this.failedCells = [...(resume?.failedCells ?? [])];
    this.before = { ...resume?.before };
    this.templates = { ...resume?.templates };
    this.progress = resume?.progress ?? {
      version: plan.version.label,
      strategy: plan.strategy,
      outcome: 'in-progress',
      waves: plan.waves.map((w) => ({ index: w.index, canary: w.canary, cells: w.cellIds.length, status: 'pending', updated: 0, checksPassed: 0 })),
      cellsTotal: plan.cells,
      cellsUpdated: 0,
      cellsRolledBack: 0,
      cellFailures: 0,
      errorBudget: plan.errorBudget,
      continuedAsNew: 0,
    };
  }

  wave(index: number, status: WaveStatus): void {
    const wave = this.progress.waves[index];
    wave.status = status;
    const now = new Date().toISOString();
    if (status === 'updating' || status === 'awaiting-approval') wave.startedAt ??= now;
    if (['passed', 'failed', 'rolled-back', 'skipped'].includes(status)) wave.endedAt = now;
    this.progress.currentWave = index;
  }

  /**
   * Counts cell failures against the budget. Past it, fails with {@link DEPLOYMENT_FAILED}
   * naming the first failure and its values; within it, returns the newly failed cells.
   */
  countFailures(waveIndex: number, failures: CriterionFailure[]): string[] {
    if (failures.length === 0) return [];
    const wave = this.progress.waves[waveIndex];
    wave.failures = [...(wave.failures ?? []), ...failures].slice(0, MAX_WAVE_FAILURES);
    const fresh = [...new Set(failures.map((f) => f.cellId))].filter((id) => !this.failedCells.includes(id));
    this.failedCells.push(...fresh);
    this.progress.cellFailures = this.failedCells.length;
    if (this.failedCells.length > this.plan.errorBudget) {
      this.failures = failures;
      this.progress.failedCriterion = failures[0];
      wave.status = 'failed';
      const budget = this.plan.errorBudget;
      throw ApplicationFailure.create({
        type: DEPLOYMENT_FAILED,
        nonRetryable: true,
        message: `wave ${waveIndex}${wave.canary ? ' (canary)' : ''} failed: ${failures[0].message}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}; ${this.failedCells.length} failed cell(s), error budget ${budget}`,
        details: [failures],
      });
    }
    return fresh;
  }

  /** What a continued run needs. */
  resume(nextWave: number, ctx: ProcedureContext): DeploymentResume {
    // Only what a later rollback can need: the cells still on the new version.
    const before = Object.fromEntries(this.updated.filter((id) => this.before[id] !== undefined).map((id) => [id, this.before[id]]));
    const digests = new Set(Object.values(before).map((b) => b.templateDigest));
    return {
      nextWave,
      updated: [...this.updated],
      failedCells: [...this.failedCells],
      progress: { ...this.progress, continuedAsNew: this.progress.continuedAsNew + 1 },
      ...(Object.keys(before).length > 0 ? { before, templates: Object.fromEntries(Object.entries(this.templates).filter(([d]) => digests.has(d))) } : {}),
      steps: ctx.run.progress.steps.map((s) => ({ ...s })),
      decisions: (ctx.run.progress.decisions ?? []).map((d) => ({ ...d })),
    };
  }
}

/** What the steps need: the procedure's context, the plan's cells by id, the rollout's state. */
export interface DeploymentContext extends ProcedureContext {
  cells: Map<string, Cell>;
  state: DeploymentState;
  /** Read each stack before updating it, and roll back to that (patch {@link STACKS_BEFORE_PATCH}). */
  readStacksBefore: boolean;
  /** Take the fleet guard's change permits for the cells updated (patch {@link CHANGE_PERMITS_PATCH}). */
  takesPermits: boolean;
}

/**
 * Takes the fleet guard's change permits for cells about to be updated or rolled back. A batch
 * about to be updated gets all or none: a cell held by a recovery fails the rollout with
 * `DrainPermitRefused`, naming it, before any of the batch is touched. A rollback takes what it
 * can and returns the cells refused.
 */
async function takeChangePermits(ctx: DeploymentContext, cellIds: string[], step: string, allOrNothing: boolean): Promise<{ cellId: string; reason: string }[]> {
  if (!ctx.takesPermits) return [];
  const verdict = await guard.requestChangePermits({ requestToken: stepToken(step), holder: ctx.workflowId, cellIds, allOrNothing });
  for (const id of verdict.granted) if (!ctx.state.permitted.includes(id)) ctx.state.permitted.push(id);
  if (allOrNothing && verdict.refused.length > 0) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.DrainPermitRefused,
      nonRetryable: true,
      message: `the fleet guard refused to let ${ctx.workflowId} update ${verdict.refused.map((r) => r.cellId).join(', ')}: ${verdict.refused.map((r) => r.reason).join('; ')}`,
      details: [verdict.refused],
    });
  }
  return verdict.refused;
}

/** Gives the change permits of these cells back (those not held are skipped). */
export async function releaseChangePermits(ctx: DeploymentContext, cellIds: string[], step: string): Promise<void> {
  const held = cellIds.filter((id) => ctx.state.permitted.includes(id));
  if (!ctx.takesPermits || held.length === 0) return;
  await guard.releaseChangePermits({ requestToken: stepToken(step), holder: ctx.workflowId, cellIds: held });
  for (const id of held) ctx.state.permitted.splice(ctx.state.permitted.indexOf(id), 1);
}

/**
 * Reads the stacks of the cells about to be updated (parameters and template), once per cell, before any of them is touched: recorded in the history,
 * so a crash mid-update cannot make the new version look like the old one.
 */
async function recordStacksBefore(ctx: DeploymentContext, wave: PlannedWave, cells: Cell[]): Promise<void> {
  const { state } = ctx;
  const unread = cells.filter((c) => state.before[c.id] === undefined);
  if (!ctx.readStacksBefore || unread.length === 0) return;
  const read = await stackReads.readCellStacks({
    requestToken: stepToken(`read-w${wave.index}`),
    cells: unread.map((cell) => ({ cellId: cell.id, target: awsTarget(cell), stackName: cell.stack.name })),
    knownTemplates: Object.keys(state.templates),
  });
  Object.assign(state.templates, read.templates);
  for (const { cellId, ...before } of read.cells) state.before[cellId] = stackBeforeOf(ctx.cells.get(cellId) as Cell, before);
}

/**
 * Updates one batch of a wave's cells to the version and waits for their stacks. A cell is
 * counted as updated before the call, so a rollback after a crash includes it. A stack that did
 * not reach UPDATE_COMPLETE (CloudFormation rolled it back itself) is a failed cell.
 */
export async function updateBatch(ctx: DeploymentContext, wave: PlannedWave, cellIds: string[]): Promise<void> {
  const { state } = ctx;
  state.wave(wave.index, 'updating');
  const cells = cellIds.map((id) => ctx.cells.get(id) as Cell);
  await takeChangePermits(ctx, cellIds, `permits-w${wave.index}`, true);
  await recordStacksBefore(ctx, wave, cells);
  for (const id of cellIds) if (!state.updated.includes(id)) state.updated.push(id);
  const results = await updates.updateCellStacks({
    requestToken: stepToken(`deploy-w${wave.index}`),
    cells: cells.map((cell) => ({ cellId: cell.id, target: awsTarget(cell), stack: versionedStack(cell, state.plan.version) })),
  });
  const failures: CriterionFailure[] = results
    .filter((r) => r.outcome === 'failed')
    .map((r) => ({ cellId: r.cellId, criterion: 'stackUpdate', value: r.error?.type ?? 'failed', message: `${r.cellId}: the update of stack ${r.stackName} was refused: ${r.error?.message ?? '?'}` }));
  const started = results.filter((r) => r.outcome === 'started');
  if (started.length > 0) {
    const waited = await waits.waitForCellStacks({
      requestToken: stepToken(`deploy-wait-w${wave.index}`),
      cells: started.map((r) => ({ cellId: r.cellId, target: awsTarget(ctx.cells.get(r.cellId) as Cell), stackName: r.stackName })),
    });
    for (const w of waited.filter((x) => !x.ok)) {
      failures.push({ cellId: w.cellId, criterion: 'stackUpdate', value: w.status, threshold: 'UPDATE_COMPLETE', message: `${w.cellId}: stack ${w.stackName} ended in ${w.status}: ${w.reason ?? ''}` });
    }
  }
  const ok = results.length - failures.length;
  state.progress.waves[wave.index].updated += ok;
  state.progress.cellsUpdated += ok;
  const failed = state.countFailures(wave.index, failures);
  // Within the budget: CloudFormation already put these stacks back; they leave the rollout.
  await rollBackCells(ctx, failed, `rollback-failed-w${wave.index}`);
}

/**
 * Bakes a wave: one check a minute for the wave's bake time, each reading every cell of the wave
 * over the time since the bake started (at most {@link BAKE_WINDOW_SECONDS}). A cell failing a
 * criterion counts against the error budget; within it, the cell alone is rolled back.
 * An abort wakes the wait.
 */
export async function bakeWave(ctx: DeploymentContext, wave: PlannedWave): Promise<void> {
  const { state, run } = ctx;
  state.wave(wave.index, 'baking');
  const failedBefore = new Set(state.failedCells);
  let watched = wave.cellIds.filter((id) => !failedBefore.has(id));
  const checks = Math.max(1, Math.ceil(wave.bakeSeconds / BAKE_CHECK_SECONDS));
  const bakeStartedAt = Date.now();
  for (let check = 0; check < checks && watched.length > 0; check += 1) {
    await run.pace(BAKE_CHECK_SECONDS * 1000 + METRICS_PUBLISH_DELAY_MS);
    const elapsedMinutes = Math.floor((Date.now() - bakeStartedAt) / 60_000);
    const windowSeconds = Math.min(BAKE_WINDOW_SECONDS, Math.max(60, elapsedMinutes * 60));
    const readings = await health.readCellsHealth({
      requestToken: stepToken(`bake-w${wave.index}-${check}`),
      cells: watched.map((id) => {
        const cell = ctx.cells.get(id) as Cell;
        return { cellId: id, target: awsTarget(cell), alarms: cell.alarms, metrics: cell.metrics };
      }),
      windowSeconds,
      endTime: new Date().toISOString(),
    });
    const failures = readings.flatMap((r) => judgeReading(r, wave.criteria));
    const failed = state.countFailures(wave.index, failures);
    if (failed.length > 0) {
      await rollBackCells(ctx, failed, `rollback-failed-w${wave.index}-${check}`);
      watched = watched.filter((id) => !failed.includes(id));
    }
    state.progress.waves[wave.index].checksPassed += 1;
  }
  // Baked: the wave's cells are the fleet's again.
  await releaseChangePermits(ctx, wave.cellIds, `permits-release-w${wave.index}`);
}

/**
 * Puts cells back on the stack they had before the rollout ({@link stackBefore}: the template
 * and parameters read before their update; the registry's in runs from before that was read),
 * a batch at a time, and waits for their stacks; what could not be put back is recorded for the
 * report, not thrown.
 */
export async function rollBackCells(ctx: DeploymentContext, cellIds: string[], step: string): Promise<void> {
  if (cellIds.length === 0) return;
  const { state, run } = ctx;
  const batch = state.plan.maxConcurrent;
  for (let b = 0; b * batch < cellIds.length; b += 1) {
    const part = cellIds.slice(b * batch, (b + 1) * batch);
    await run.compensate(`${step}-${b}`, async () => {
      // A cell a recovery holds now is left to it, named for an operator to put back after.
      const refused = await takeChangePermits(ctx, part, `permits-${step}-${b}`, false);
      for (const r of refused) state.rollbackFailures.push({ cellId: r.cellId, message: `the fleet guard refused it (${r.reason}); put it back once that is done` });
      const cells = part.filter((id) => !refused.some((r) => r.cellId === id)).map((id) => ctx.cells.get(id) as Cell);
      const results = await updates.updateCellStacks({
        requestToken: stepToken('rollback'),
        cells: cells.map((cell) => ({ cellId: cell.id, target: awsTarget(cell), stack: stackBefore(cell, state.before[cell.id], state.templates) })),
      });
      for (const r of results.filter((x) => x.outcome === 'failed')) state.rollbackFailures.push({ cellId: r.cellId, message: r.error?.message ?? 'refused' });
      const started = results.filter((r) => r.outcome === 'started');
      if (started.length > 0) {
        const waited = await waits.waitForCellStacks({
          requestToken: stepToken(`rollback-wait-${step}-${b}`),
          cells: started.map((r) => ({ cellId: r.cellId, target: awsTarget(ctx.cells.get(r.cellId) as Cell), stackName: r.stackName })),
        });
        for (const w of waited.filter((x) => !x.ok)) state.rollbackFailures.push({ cellId: w.cellId, message: `stack ${w.stackName} ended in ${w.status}: ${w.reason ?? ''}` });
      }
      const back = part.filter((id) => !state.rollbackFailures.some((f) => f.cellId === id));
      for (const id of back) {
        const at = state.updated.indexOf(id);
        if (at >= 0) state.updated.splice(at, 1);
      }
      state.progress.cellsRolledBack += back.length;
      await releaseChangePermits(ctx, part, `permits-release-${step}-${b}`);
    });
    // A compensation step shows the run as aborting; between batches it is still running.
  }
}

/**
 * The approval before a wave: notify, wait for `minApprovers` distinct approvals of step
 * `wave-<n>` (four-eyes as the policy says), remind before the deadline, and take the policy's
 * default on timeout. A rejection, or a timeout under `abort`, stops the rollout as an abort does.
 * @returns who approved (empty when the timeout default let it proceed).
 */
export async function approveWave(ctx: DeploymentContext, wave: PlannedWave): Promise<string[]> {
  const policy = ctx.registry.policies.approvals;
  const step = `wave-${wave.index}`;
  const what = `deploy ${ctx.state.plan.version.label} to wave ${wave.index} (${wave.cellIds.length} cell${wave.cellIds.length === 1 ? '' : 's'})`;
  const minApprovers = (policy.minApprovers as number | undefined) ?? 1;
  await notifyOperator(ctx, `approval-${step}-requested`, 'warning', `Approval needed: ${what}`, `${ctx.workflowId} waits for approval of "${step}" (${what}). Without an answer in ${policy.timeoutSeconds} s it will ${policy.onTimeout}.`);
  const gate = await ctx.run.awaitDecision({
    step,
    timeoutMs: policy.timeoutSeconds * 1000,
    remindBeforeMs: policy.reminderBeforeSeconds * 1000,
    onTimeout: policy.onTimeout,
    minApprovers,
    remind: () => notifyOperator(ctx, `approval-${step}-reminder`, 'warning', `Reminder: approval needed: ${what}`, `${ctx.workflowId} still waits for approval of "${step}"; ${policy.reminderBeforeSeconds} s left before it will ${policy.onTimeout}.`),
  });
  if (gate === undefined) {
    if (policy.onTimeout === 'proceed') return [];
    throw ApplicationFailure.nonRetryable(`nobody approved ${step} in time; the policy says abort`, ABORTED);
  }
  if (!gate.decision.approved) throw ApplicationFailure.nonRetryable(`${step} was rejected by ${gate.decision.approver}: ${gate.decision.reason}`, ABORTED);
  return gate.approvedBy;
}

/**
 * The start's check: inside a change freeze, a rollout whose input says `refuse` fails with
 * {@link CHANGE_FROZEN}, naming the freeze and its end, before touching anything.
 */
export function refuseIfFrozen(ctx: DeploymentContext): void {
  const active = activeFreeze(ctx.registry.policies.changeFreezes, Date.now());
  if (active === undefined) return;
  ctx.state.progress.outcome = 'failed';
  throw ApplicationFailure.create({
    type: CHANGE_FROZEN,
    nonRetryable: true,
    message: `deployment of ${ctx.state.plan.version.label} not started: ${describeActiveFreeze(active)}; start it after then, or with onFreeze: wait (cellops deploy --wait-for-freeze)`,
    details: [{ freezes: active.freezes.map((f) => f.name), until: new Date(active.untilMs).toISOString() }],
  });
}

/**
 * Holds a wave while a change freeze lasts (a durable timer to its end, back-to-back freezes
 * followed), visible as the wave's `waiting-for-freeze` status and the progress's
 * `waitingForFreeze`; an operator is told once. An abort wakes it.
 */
export async function holdForFreeze(ctx: DeploymentContext, wave: PlannedWave): Promise<void> {
  const { state, run } = ctx;
  let active = activeFreeze(ctx.registry.policies.changeFreezes, Date.now());
  if (active === undefined) return;
  const status = state.progress.waves[wave.index].status;
  await run.step(`wave-${wave.index}-freeze`, async () => {
    state.wave(wave.index, 'waiting-for-freeze');
    const first = active as NonNullable<typeof active>;
    await notifyOperator(ctx, `deployment-frozen-w${wave.index}`, 'info', `Deployment of ${state.plan.version.label} holds wave ${wave.index}`, `${ctx.workflowId} holds wave ${wave.index}: ${describeActiveFreeze(first)}.`);
    while (active !== undefined) {
      state.progress.waitingForFreeze = { freezes: active.freezes.map((f) => f.name), until: new Date(active.untilMs).toISOString(), why: describeActiveFreeze(active) };
      await run.pace(active.untilMs - Date.now());
      active = activeFreeze(ctx.registry.policies.changeFreezes, Date.now());
    }
    state.progress.waitingForFreeze = undefined;
    state.wave(wave.index, status);
  });
}
