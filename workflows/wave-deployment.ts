import { ApplicationFailure, ContinueAsNew, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { FLEET_ID } from '../domain/procedures/cascade-recovery';
import { buildReport, type ProcedureOutcome } from '../domain/procedures/report';
import {
  InvalidDeploymentError,
  planWaves,
  type CriterionFailure,
  type DeploymentOutcome,
  type DeploymentPlan,
  type WaveDeploymentInput,
  type WaveDeploymentReport,
} from '../domain/procedures/wave-deployment';
import type { Cell } from '../domain/registry/schema';
import { deploymentProgressQuery } from './messages';
import { failureMessage, failureType } from './lib/failures';
import { CHANGE_FREEZE_PATCH, CHANGE_PERMITS_PATCH, DEPLOYMENT_FAILED, STACKS_BEFORE_PATCH, releaseChangePermits, DeploymentState, approveWave, bakeWave, holdForFreeze, refuseIfFrozen, rollBackCells, updateBatch, type DeploymentContext } from './lib/deployment';
import { notifyOperator } from './lib/notify';
import { ABORTED, ProcedureRun } from './lib/procedure-run';

/** Past this many events, the run continues as new before its next wave. */
export const HISTORY_EVENTS_PER_RUN = 4_000;

/**
 * Wave deployment, as in the runbook: plan the waves (canary first, then growing waves, or the
 * waves given), then for each wave: approval when asked (after the canary), update its cells'
 * stacks a batch of `maxConcurrent` at a time, and bake it against its criteria (alarms, error
 * rate, p95 latency; tighter for the canary). Cells that fail within the error budget are rolled
 * back alone; one more failure, an abort or a rejected wave rolls back every updated cell (to the
 * template and parameters its stack had before, read ahead of its update) and the report names the criterion and the values that
 * failed it. Continues as new between waves when its history grows long, so a 1,000-cell rollout
 * stays bounded. Runs as `wave-deployment-<fleet>`: one rollout per fleet.
 */
export async function waveDeployment(input: WaveDeploymentInput): Promise<WaveDeploymentReport> {
  const { registry } = input;
  const run = new ProcedureRun({ procedure: 'waveDeployment', cellId: FLEET_ID, requestedBy: input.requestedBy, fourEyes: registry.policies.approvals.fourEyes });
  if (input.resume) {
    run.progress.steps.push(...input.resume.steps);
    run.progress.decisions = [...input.resume.decisions];
  }
  let plan: DeploymentPlan;
  try {
    plan = planWaves(input);
  } catch (err) {
    if (err instanceof InvalidDeploymentError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidDeployment');
    throw err;
  }
  const state = new DeploymentState(plan, input.resume);
  setHandler(deploymentProgressQuery, () => state.progress);
  const cells = new Map<string, Cell>(registry.cells.map((c) => [c.id, c]));
  const ctx: DeploymentContext = {
    run,
    registry,
    // Notifications and approvals speak of the rollout's first cell; the fleet is the subject.
    cell: cells.get(plan.waves[0].cellIds[0]) as Cell,
    workflowId: workflowInfo().workflowId,
    traffic: { inServiceWeight: 0, currentWeight: 0 },
    cells,
    state,
    readStacksBefore: false,
    takesPermits: false,
  };
  return await run.untilEnd(async () => {
    if (input.dryRun) {
      state.progress.outcome = 'planned';
      await run.step('plan', () => Promise.resolve(plan));
      run.finish('completed');
      return report(ctx, input, 'completed', 'planned');
    }
    // Change freezes: refused at the start (or waited for), and every wave waits while one lasts.
    const freezesChecked = patched(CHANGE_FREEZE_PATCH);
    // Rollbacks put back what each stack had before this rollout, read ahead of its update.
    ctx.readStacksBefore = patched(STACKS_BEFORE_PATCH);
    // A recovery and the rollout never take the same cell: change permits from the fleet guard.
    ctx.takesPermits = patched(CHANGE_PERMITS_PATCH);
    if (freezesChecked && state.firstWave === 0 && input.onFreeze !== 'wait') refuseIfFrozen(ctx);
    try {
      for (const wave of plan.waves.slice(state.firstWave)) {
        // 1. Keep the history bounded: a long run continues as new before the next wave
        if (wave.index > state.firstWave && (workflowInfo().historyLength > HISTORY_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
          await continueAsNew<typeof waveDeployment>({ ...input, resume: state.resume(wave.index, ctx) });
        }
        // 2. Approval before each wave after the canary, when asked for
        if (wave.approval) {
          state.wave(wave.index, 'awaiting-approval');
          const approvedBy = await run.step(`approve-wave-${wave.index}`, () => approveWave(ctx, wave));
          state.progress.waves[wave.index].approvedBy = approvedBy;
        }
        // 3. Not while a change freeze lasts: wait for its end (a bake under way is never cut short)
        if (freezesChecked) await holdForFreeze(ctx, wave);
        // 4. Update the wave's stacks, `maxConcurrent` at a time, each batch waited for
        for (let b = 0; b * plan.maxConcurrent < wave.cellIds.length; b += 1) {
          const batch = wave.cellIds.slice(b * plan.maxConcurrent, (b + 1) * plan.maxConcurrent);
          await run.step(`wave-${wave.index}-update-${b}`, () => updateBatch(ctx, wave, batch));
        }
        // 5. Bake: watch the criteria for the wave's bake time
        await run.step(`wave-${wave.index}-bake`, () => bakeWave(ctx, wave));
        state.wave(wave.index, 'passed');
      }
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      return await rollBackAll(ctx, input, err);
    }
    // 6. Notify and report
    state.progress.outcome = 'completed';
    state.progress.currentWave = undefined;
    await run.step('notify-completed', () =>
      notifyOperator(ctx, 'deployment-completed', 'info', `${plan.version.label} deployed to ${registry.fleet.name}`, `${ctx.workflowId} deployed ${plan.version.label} to ${state.updated.length} cell(s) in ${plan.waves.length} wave(s)${state.failedCells.length > 0 ? `; ${state.failedCells.length} cell(s) failed within the error budget and were rolled back: ${state.failedCells.join(', ')}` : ''}.`),
    );
    run.finish('completed');
    return report(ctx, input, 'completed', 'completed');
  });
}

/**
 * The one place a rollout ends early: every cell still on the new version goes back (newest
 * first), an operator is told which criterion failed with its values, and the report says so.
 * An abort (or a rejected wave) returns the report; a failed criterion fails the workflow with
 * the report in the failure's details.
 */
async function rollBackAll(ctx: DeploymentContext, input: WaveDeploymentInput, err: unknown): Promise<WaveDeploymentReport> {
  const { run, state } = ctx;
  const aborted = failureType(err) === ABORTED || run.abortRequested !== undefined;
  const error = failureMessage(err);
  const current = state.progress.currentWave;
  if (current !== undefined && state.progress.waves[current].status !== 'failed') state.progress.waves[current].status = aborted ? 'skipped' : 'failed';
  if (!aborted && state.failures.length === 0) state.failures = [{ cellId: ctx.cell.id, criterion: 'stackUpdate', value: failureType(err) ?? 'error', message: error }];
  await rollBackCells(ctx, [...state.updated].reverse(), 'rollback');
  // Permits taken for a batch that failed before its cells counted as updated.
  if (state.permitted.length > 0) await run.compensate('release-permits', () => releaseChangePermits(ctx, [...state.permitted], 'permits-release-rest'));
  for (const wave of state.progress.waves) if (wave.updated > 0 || wave.status === 'failed') wave.status = 'rolled-back';
  const outcome: DeploymentOutcome = aborted ? 'aborted' : 'rolled-back';
  state.progress.outcome = outcome;
  const left = state.rollbackFailures.length > 0 ? ` Could not roll back: ${state.rollbackFailures.map((f) => `${f.cellId} (${f.message})`).join('; ')}.` : '';
  const subject = `Deployment of ${state.plan.version.label} to ${input.registry.fleet.name} ${aborted ? 'aborted' : 'rolled back'}`;
  await run.compensate('notify-rolled-back', () => notifyOperator(ctx, 'deployment-rolled-back', 'critical', subject, `${ctx.workflowId}: ${error}. ${state.progress.cellsRolledBack} cell(s) rolled back.${left}`)).catch(() => undefined);
  run.finish(aborted ? 'aborted' : 'failed', error);
  const result = report(ctx, input, aborted ? 'aborted' : 'failed', outcome, error);
  if (aborted) return result;
  throw ApplicationFailure.create({
    type: failureType(err) ?? DEPLOYMENT_FAILED,
    nonRetryable: true,
    message: `deployment of ${state.plan.version.label} rolled back: ${error}`,
    details: [result],
  });
}

function report(ctx: DeploymentContext, input: WaveDeploymentInput, outcome: ProcedureOutcome, deploymentOutcome: Exclude<DeploymentOutcome, 'in-progress'>, error?: string): WaveDeploymentReport {
  const { state } = ctx;
  const failed: CriterionFailure | undefined = state.progress.failedCriterion ?? (outcome === 'failed' ? state.failures[0] : undefined);
  const recommendations: string[] = [];
  if (failed) recommendations.push(`Fix ${state.plan.version.label}: ${failed.message}.`);
  for (const f of state.rollbackFailures) recommendations.push(`Put ${f.cellId} back by hand: ${f.message}.`);
  if (deploymentOutcome === 'completed') recommendations.push(`Record ${state.plan.version.label} as the cells' template and parameters in the registry, so a later rollback returns to it.`);
  const base = buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason: input.reason,
    outcome,
    cellEndState: 'in-service',
    endedAt: new Date().toISOString(),
    customersAffected: state.plan.waves.filter((w) => state.progress.waves[w.index].updated > 0).flatMap((w) => w.cellIds).reduce((n, id) => n + (ctx.cells.get(id)?.customers ?? 0), 0),
    error,
    recommendations,
  });
  return {
    ...base,
    deployment: {
      version: state.plan.version.label,
      outcome: deploymentOutcome,
      plan: state.plan,
      waves: state.progress.waves.map((w) => ({ ...w })),
      cellsUpdated: state.progress.cellsUpdated,
      cellsRolledBack: state.progress.cellsRolledBack,
      failedCells: [...state.failedCells],
      ...(failed ? { failedCriterion: failed } : {}),
      failures: state.failures,
      rollbackFailures: [...state.rollbackFailures],
    },
  };
}
