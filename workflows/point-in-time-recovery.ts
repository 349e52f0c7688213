import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { DEFAULT_LOOKBACK_SECONDS, recoveryCell, recoveryCellId, type PointInTimeRecoveryInput, type PointInTimeRecoveryReport } from '../domain/procedures/point-in-time-recovery';
import { ProcedureFailure } from '../domain/procedures/failure-types';
import { newCellTags } from '../domain/procedures/replacement';
import { approvalGate } from './lib/approval';
import { deleteStackAndWait, deployStackAndWait, removeRecords, setRecordWeight } from './lib/cell-lifecycle';
import { procedureContext, type ProcedureContext } from './lib/context';
import { failureMessage, failureType } from './lib/failures';
import { acquireDrainPermit, releaseDrainPermit } from './lib/fleet-guard';
import { notifyOperator } from './lib/notify';
import { PitrState, interimCell, migrate, pickRecoveryPoint, pitrReport, validateIntegrity, withPromoteGate } from './lib/point-in-time';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { withCell } from './lib/replacement';
import { watchStability } from './lib/stability-watch';
import { drainAtOnce, restoreGradually } from './lib/traffic';

/**
 * Point-in-time recovery, as in the runbook: isolate the cell whose data went bad, move its
 * active customers away, pick the last moment its alarms were all OK, build a recovery
 * environment restored to it, validate its data, and once a person approves the promotion
 * (it accepts losing the writes since then), move the customers onto it, bring the traffic
 * over gradually and watch its data. Failures and aborts are wound back in one place,
 * {@link putCellsBack}; the report states the data-loss window.
 */
export async function pointInTimeRecovery(input: PointInTimeRecoveryInput): Promise<PointInTimeRecoveryReport> {
  const { policies } = input.registry;
  const run = new ProcedureRun({ procedure: 'pointInTimeRecovery', cellId: input.cellId, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  // The progress ends failed even when the procedure fails before its first step (an unknown cell).
  return await run.untilEnd(() => recover(run, input));
}

async function recover(run: ProcedureRun, input: PointInTimeRecoveryInput): Promise<PointInTimeRecoveryReport> {
  const ctx = procedureContext(run, input);
  const state = new PitrState();
  // Known once the recovery point is: the stack restores the data to it.
  let recovery = withCell(ctx, recoveryCell(input.registry, ctx.cell, ''), 0);
  try {
    // 1. Acquire a drain permit from the fleet guard
    await run.step('acquire-drain-permit', () => acquireDrainPermit(ctx));
    state.permitHeld = true;
    // 2. Isolate the cell: drain it at once, so no more writes land on bad data
    await run.step('isolate-cell', () => {
      state.stage = 'isolated';
      return drainAtOnce(ctx, { step: 'pitr-isolate' });
    });
    state.writesStoppedAt = new Date().toISOString();
    // 3. Move its active customers to the interim cell
    const interim = interimCell(ctx);
    state.customersMoved = await run.step('move-customers-away', () => migrate(ctx.cell.id, interim.id, 'pitr-move-away'));
    state.customersMovedTo = interim.id;
    // 4. Pick the recovery point: the last moment the cell's alarms were all OK before the incident
    const point = await run.step('pick-recovery-point', () => pickRecoveryPoint(ctx, state, input.lookbackSeconds ?? DEFAULT_LOOKBACK_SECONDS));
    recovery = withCell(ctx, recoveryCell(input.registry, ctx.cell, point.found ? point.recoveryPoint : ''), 0);
    // 5. Build the recovery environment: a stack restoring the cell's data to that point
    await run.step('build-recovery-environment', () => {
      state.stage = 'building';
      state.built = true;
      return deployStackAndWait(recovery.cell, 'pitr-build', { ...newCellTags(recovery.cell.id), 'cellops:restores': ctx.cell.id, 'cellops:requested-by': input.requestedBy });
    });
    state.registered = true;
    await run.step('register-recovery-environment', () => setRecordWeight(recovery.cell.route53, 0, 'pitr-register'));
    // 6. Validate the restored data's integrity
    await run.step('validate-integrity', () => validateIntegrity(recovery.cell, state, 'pitr-validate'));
    // 7. Await approval to promote it (always a person's decision: it accepts the data loss)
    const window = state.dataLossWindow();
    const approval = await run.step('approve-promotion', () =>
      approvalGate(withPromoteGate(ctx), 'promote', `promote ${recovery.cell.id} (data restored to ${window?.from ?? '?'}; writes until ${window?.to ?? '?'} are lost)`),
    );
    if (!approval.proceed) {
      const why = approval.kind === 'rejected' ? `rejected by ${approval.decision.approver}: ${approval.decision.reason}` : 'nobody approved it in time';
      throw ApplicationFailure.nonRetryable(`promoting ${recovery.cell.id} was ${why}`, ProcedureFailure.ApprovalDenied);
    }
    // 8. Promote: the customers move onto the recovery environment
    await run.step('move-customers-to-recovery', () => migrate(interim.id, recovery.cell.id, 'pitr-promote', state.customersMoved));
    state.stage = 'promoting';
    state.environment = 'promoted';
    // 9. Restore traffic gradually, to the recovery environment
    await run.step('restore-traffic', () => restoreGradually(recovery, { step: 'pitr-restore' }));
    state.stage = 'promoted';
    // 10. Watch data consistency: its health for the stability period, then its data again
    await run.step('watch-stability', () => watchStability(recovery));
    await run.step('check-data-consistency', () => validateIntegrity(recovery.cell, state, 'pitr-consistency'));
    // 11. Release the drain permit (the recovery environment carries the cell's load)
    await run.step('release-drain-permit', () => releaseDrainPermit(ctx));
    state.permitHeld = false;
  } catch (err) {
    return await putCellsBack(ctx, recovery, state, input, err);
  }
  // 12. Report, with the data-loss window
  await run.step('notify-recovered', () =>
    notifyOperator(ctx, 'pitr-recovered', 'info', `${ctx.cell.id} recovered to a point in time`, `${ctx.workflowId} promoted ${recovery.cell.id}; writes between ${state.dataLossWindow()?.from ?? '?'} and ${state.dataLossWindow()?.to ?? '?'} are lost.`),
  );
  run.finish('completed');
  return pitrReport(ctx, recovery.cell, state, input.reason, 'completed');
}

/**
 * The one place a failed or aborted recovery is wound back to a known-good state, an operator
 * always notified:
 * - before the isolation: nothing changed;
 * - isolated, no recovery environment yet (no known-good point among others): the cell stays
 *   drained with its permit, its customers where they were moved;
 * - the recovery environment built but not promoted (integrity failed, promotion refused): its
 *   record and stack are removed, the cell stays isolated;
 * - customers already on the recovery environment: it keeps them and gets the traffic
 *   (re-routed if the stop came mid re-route), the permit is released.
 * An abort returns the report; a failure fails the workflow with the cause's type.
 */
async function putCellsBack(ctx: ProcedureContext, recovery: ProcedureContext, state: PitrState, input: PointInTimeRecoveryInput, err: unknown): Promise<PointInTimeRecoveryReport> {
  const { run, cell } = ctx;
  const type = failureType(err);
  const aborted = type === ABORTED || run.abortRequested !== undefined;
  const error = failureMessage(err);
  await CancellationScope.nonCancellable(async () => {
    try {
      if (state.stage === 'promoting' || state.stage === 'promoted') {
        if (state.stage === 'promoting') await run.compensate('reroute-to-recovery', () => restoreGradually(recovery, { step: 'pitr-back-reroute', abortable: false }));
        state.stage = 'promoted';
        if (state.permitHeld) await run.compensate('release-drain-permit', () => releaseDrainPermit(ctx));
        state.permitHeld = false;
      } else if (state.stage === 'building') {
        if (state.registered) await run.compensate('remove-recovery-record', () => removeRecords([recovery.cell.route53], 'pitr-back-unregister'));
        if (state.built) await run.compensate('delete-recovery-stack', () => deleteStackAndWait(recovery.cell, 'pitr-back-delete'));
        state.environment = 'removed';
        state.stage = 'isolated';
      }
    } catch (compensationErr) {
      state.compensationError = failureMessage(compensationErr);
    }
    const what = aborted ? 'aborted' : 'failed';
    const where =
      state.stage === 'before-isolation'
        ? `${cell.id} was not touched`
        : state.stage === 'promoted'
          ? `${recoveryCellId(cell.id)} serves ${cell.id}'s customers; ${cell.id} stays drained`
          : `${cell.id} stays isolated (drained, permit held)${state.customersMovedTo ? `, its customers on ${state.customersMovedTo}` : ''}; no recovery environment is in service`;
    const broken = state.compensationError ? ` Putting things back failed too: ${state.compensationError}.` : '';
    await run
      .compensate('notify-operator', () => notifyOperator(ctx, 'pitr-end', 'critical', `Point-in-time recovery of ${cell.id} ${what}`, `${ctx.workflowId} ${what} (${error}). ${where}.${broken} An operator must decide what happens to ${cell.id}'s data next.`))
      .catch(() => undefined);
  });
  run.finish(aborted ? 'aborted' : 'failed', error);
  const report = pitrReport(ctx, recovery.cell, state, input.reason, aborted ? 'aborted' : 'failed', error);
  if (aborted) return report;
  throw ApplicationFailure.create({
    type: type ?? 'PointInTimeRecoveryFailed',
    nonRetryable: true,
    message: `point-in-time recovery of ${cell.id} failed: ${error}`,
    details: [report],
    cause: err instanceof Error ? err : undefined,
  });
}
