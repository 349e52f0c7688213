import { ApplicationFailure, makeContinueAsNewFunc, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AwsActivities } from '../activities';
import type { CellRestartInput } from '../domain/procedures/input';
import { awsTarget } from '../domain/registry/lookup';
import type { CellReplacementInput } from '../domain/procedures/replacement';
import { buildReport, type CellEndState, type ProcedureOutcome, type ProcedureReport } from '../domain/procedures/report';
import type { cellReplacement } from './cell-replacement';
import { quickAwsCall, stackWait } from './lib/proxies';
import { failureMessage, failureType } from './lib/failures';
import { procedureContext, stepToken, type ProcedureContext } from './lib/context';
import { acquireDrainPermit, releaseDrainPermit } from './lib/fleet-guard';
import { checkRestOfFleetHealthy, fullHealthCheck } from './lib/health';
import { approvalGate, approvalRequired, type ApprovalResult } from './lib/approval';
import { notifyOperator } from './lib/notify';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { watchStability } from './lib/stability-watch';
import { drainGradually, restoreGradually } from './lib/traffic';

/** The restart itself: one UpdateStack, never retried past a few attempts (the nonce makes a retry harmless). */
const restartCall = { ...quickAwsCall, retry: { ...quickAwsCall.retry, maximumAttempts: 5 } } as const;
const stacks = proxyActivities<Pick<AwsActivities, 'restartCellServices'>>(restartCall);

/** CloudWatch publishes a minute's datapoints shortly after it ends. */
const METRICS_PUBLISH_DELAY_MS = 5_000;

/** Where the procedure was when it stopped, which decides how the cell is put back. */
type Stage = 'before-drain' | 'draining' | 'restarting' | 'restoring' | 'releasing';

/**
 * Cell restart, as in the runbook: drain the cell gradually, restart its services, check it,
 * bring its traffic back gradually and watch it. A failure once the services are touched hands
 * the cell over to cell replacement (continue-as-new under the same workflow id, so the drain
 * permit and "one recovery per cell" carry over). An abort leaves the cell in service when its
 * services were not touched or already checked healthy, drained with an operator notified
 * otherwise; the report says which.
 */
export async function cellRestart(input: CellRestartInput): Promise<ProcedureReport> {
  const policies = input.registry.policies;
  const run = new ProcedureRun({ procedure: 'cellRestart', cellId: input.cellId, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    const ctx = procedureContext(run, input);
    const { cell } = ctx;
    let stage: Stage = 'before-drain';
    let permitHeld = false;
    try {
      // 1. Validate eligibility: the rest of the fleet must be healthy enough to take the cell's traffic
      //    (not in a cascade, where the other failed cells are recovered in turn: no call, same step)
      await run.step('check-eligibility', async () => {
        if (!input.partOfCascade) await checkRestOfFleetHealthy(ctx, 'eligibility');
      });
      // 2. Await operator approval of the restart, when the policy asks for it (nothing is touched yet)
      if (approvalRequired(ctx, 'restart')) stopUnlessApproved(ctx, await run.step('approve-restart', () => approvalGate(ctx, 'restart', `restart the services of ${cell.id}`)));
      // 3. Acquire a drain permit (refused when the cell is out for another procedure or the blast radius is used up)
      await run.step('acquire-drain-permit', () => acquireDrainPermit(ctx));
      permitHeld = true;
      // 4. Drain traffic gradually, verifying the observed share follows each weight step
      stage = 'draining';
      await run.step('drain-traffic', () => drainGradually(ctx, { step: 'drain' }));
      // 5. Restart the cell's services (restart-nonce update of its stack)
      await run.step('restart-services', () => {
        stage = 'restarting'; // inside the step: an abort held before it (paused) still finds the services untouched
        return stacks.restartCellServices({ requestToken: stepToken('restart'), target: awsTarget(cell), stackName: cell.stack.name, restartParameter: cell.stack.restartParameter });
      });
      // 6. Wait for the stack to be stable
      await run.step('wait-stack-stable', () => stackWait.waitForStack({ requestToken: stepToken('restart-wait'), target: awsTarget(cell), stackName: cell.stack.name, until: 'stable' }));
      // 7. Full health check, over a whole health window after the restart
      await run.step('health-check', async () => {
        // Readings from before the restart show the fault it was meant to cure.
        if (patched('health-window-after-restart')) await run.pace(policies.health.windowSeconds * 1000 + METRICS_PUBLISH_DELAY_MS);
        return await fullHealthCheck(ctx, 'health-check');
      });
      // 8. Restore traffic gradually
      stage = 'restoring';
      await run.step('restore-traffic', () => restoreGradually(ctx, { step: 'restore' }));
      // 9. Watch stability for the policy's period
      await run.step('watch-stability', () => watchStability(ctx));
      stage = 'releasing';
      // 10. Release the drain permit
      await run.step('release-drain-permit', () => releaseDrainPermit(ctx));
      permitHeld = false;
    } catch (err) {
      return await putCellBack(ctx, input, stage, permitHeld, err);
    }
    // 11. Report
    run.finish('completed');
    return report(ctx, input, 'completed', 'in-service');
  });
}

/**
 * A rejected restart, or one nobody approved in time under `onTimeout: abort`, stops the
 * procedure as an abort would: nothing was touched, the cell stays in service.
 */
function stopUnlessApproved(ctx: ProcedureContext, approval: ApprovalResult): void {
  if (approval.kind === 'rejected') {
    throw ApplicationFailure.nonRetryable(`the restart of ${ctx.cell.id} was rejected by ${approval.decision.approver}: ${approval.decision.reason}`, ABORTED);
  }
  if (!approval.proceed) throw ApplicationFailure.nonRetryable(`nobody approved the restart of ${ctx.cell.id} in time; the policy says abort`, ABORTED);
}

/** The one place the cell is put back after an abort or a failure. */
async function putCellBack(ctx: ProcedureContext, input: CellRestartInput, stage: Stage, permitHeld: boolean, err: unknown): Promise<ProcedureReport> {
  const { run, cell } = ctx;
  const error = failureMessage(err);
  // An abort asked for while a step was failing is still the operator's decision to stop.
  const aborted = failureType(err) === ABORTED || run.abortRequested !== undefined;
  const failedStep = [...run.progress.steps].reverse().find((s) => s.status === 'failed')?.name ?? run.progress.currentStep ?? 'unknown';
  const notify = (what: string, severity: 'warning' | 'critical', subject: string, message: string) =>
    run.compensate(`notify-${what}`, () => notifyOperator(ctx, what, severity, subject, message));

  if (!aborted && stage === 'releasing') {
    // The cell is restarted, healthy and in service; only the permit is left over.
    await notify('permit-left', 'warning', `Release the drain permit of ${cell.id}`, `${ctx.workflowId} restarted ${cell.id} but could not release its drain permit (${error}); release it with the CLI.`);
    run.finish('completed', error);
    return report(ctx, input, 'completed', 'in-service', error);
  }
  if (!aborted && (stage === 'restarting' || stage === 'restoring')) {
    await notify('escalation', 'critical', `Cell restart of ${cell.id} failed: replacing it`, `${failedStep} failed (${error}); ${ctx.workflowId} hands ${cell.id} over to cell replacement.`);
    run.finish('failed', error);
    const escalation = report(ctx, input, 'escalated', 'handed-over', error);
    const replace = makeContinueAsNewFunc<typeof cellReplacement>({ workflowType: 'cellReplacement' });
    return await replace(replacementInput(input, ctx, failedStep, error, escalation));
  }
  if (stage === 'restarting') {
    // An abort while the services restart: they may be half restarted, so the cell stays out.
    await notify('kept-drained', 'critical', `${cell.id} kept drained`, `${ctx.workflowId} was aborted while restarting ${cell.id} (${error}). It stays drained and keeps its drain permit until an operator restores or replaces it.`);
    run.finish('aborted', error);
    return report(ctx, input, 'aborted', 'drained-operator-notified', error);
  }
  // The services were not touched, or were checked healthy: the cell goes (back) into service.
  if (stage !== 'before-drain') await run.compensate('restore-traffic-back', () => restoreGradually(ctx, { step: 'back', abortable: false }));
  if (permitHeld) await run.compensate('release-drain-permit', () => releaseDrainPermit(ctx));
  if (!aborted) {
    const changed = stage === 'before-drain' ? 'nothing was changed' : `${cell.id} is back in service, not restarted`;
    await notify('failure', 'warning', `Cell restart of ${cell.id} failed`, `${failedStep} failed (${error}); ${changed}.`);
  }
  run.finish(aborted ? 'aborted' : 'failed', error);
  const result = report(ctx, input, aborted ? 'aborted' : 'failed', 'in-service', error);
  if (aborted) return result;
  throw ApplicationFailure.create({
    type: failureType(err) ?? 'CellRestartFailed',
    nonRetryable: true,
    message: error,
    details: [result],
    cause: err instanceof Error ? err : undefined,
  });
}

function report(ctx: ProcedureContext, input: CellRestartInput, outcome: ProcedureOutcome, cellEndState: CellEndState, error?: string): ProcedureReport {
  const drained = ctx.run.progress.steps.some((s) => s.name === 'drain-traffic');
  return buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason: input.reason,
    outcome,
    cellEndState,
    endedAt: new Date().toISOString(),
    customersAffected: drained ? ctx.cell.customers : 0,
    error,
    ...(outcome === 'escalated' ? { escalatedTo: { procedure: 'cellReplacement' as const, workflowId: ctx.workflowId } } : {}),
  });
}

/** The input of `cellReplacement`: the same cell and registry, with what happened here. */
function replacementInput(input: CellRestartInput, ctx: ProcedureContext, step: string, error: string, escalation: ProcedureReport): CellReplacementInput {
  return {
    cellId: input.cellId,
    reason: `cell restart failed at ${step}: ${error}`,
    requestedBy: input.requestedBy,
    registry: input.registry,
    escalatedFrom: { workflowId: ctx.workflowId, runId: workflowInfo().runId, procedure: 'cellRestart', step, error, report: escalation },
  };
}
