import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { newCell, replacementCellId, writesStoppedAt, type CellReplacementInput, type CellReplacementReport } from '../domain/procedures/replacement';
import {
  ReplacementState,
  addEmergencyCapacity,
  checkCapacity,
  decommissionFailedCell,
  moveCustomers,
  putReplacementAlarms,
  replacementReport,
  withCell,
} from './lib/replacement';
import { approvalGate } from './lib/approval';
import { deleteStackAndWait, deployStackAndWait, removeRecords, setRecordWeight } from './lib/cell-lifecycle';
import { procedureContext, type ProcedureContext } from './lib/context';
import { acquireDrainPermit, releaseDrainPermit } from './lib/fleet-guard';
import { failureMessage, failureType } from './lib/failures';
import { fullHealthCheck } from './lib/health';
import { notifyOperator } from './lib/notify';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { drainAtOnce, restoreGradually } from './lib/traffic';

/**
 * Cell replacement, as in the runbook: take the failed cell out at once, make sure the rest of
 * the fleet can carry the load (emergency cells if not), build a replacement from the cell
 * template, move the customers onto it (migrated, or restored from backup when the failed
 * cell's data cannot be read), route the traffic to it, validate it, and decommission the
 * failed cell once an operator approves (its data backed up first). A failure or an abort is
 * handled in one place, {@link putFleetBack}; the final report names the state it left.
 */
export async function cellReplacement(input: CellReplacementInput): Promise<CellReplacementReport> {
  const { policies } = input.registry;
  const run = new ProcedureRun({ procedure: 'cellReplacement', cellId: input.cellId, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    const ctx = procedureContext(run, input);
    const replacement = withCell(ctx, newCell(input.registry, replacementCellId(input.cellId), ctx.cell.priority), 0);
    const state = new ReplacementState(ctx, replacement.cell, input.reason);
    if (input.escalatedFrom) state.note(`handed over by ${input.escalatedFrom.procedure} (${input.escalatedFrom.step} failed: ${input.escalatedFrom.error})`);
    try {
      // 1. Acquire a drain permit from the fleet guard (already held when a restart handed over)
      await run.step('acquire-drain-permit', () => acquireDrainPermit(ctx));
      state.permitHeld = true;
      // 2. Drain the failed cell at once
      state.stage = 'drained';
      await run.step('drain-at-once', () => drainAtOnce(ctx, { step: 'replace-drain' }));
      state.drainedAt = writesStoppedAt(input.escalatedFrom, new Date().toISOString());
      // 3. Check the remaining cells' capacity against the load; add emergency cells if short
      state.capacity = await run.step('check-capacity', () => checkCapacity(ctx, input.maxUtilizationPercent));
      if (state.capacity.emergencyCells > 0) await run.step('add-emergency-capacity', () => addEmergencyCapacity(ctx, state));
      // 4. Provision the replacement stack and register it in routing at weight 0
      state.stage = 'provisioning';
      await run.step('provision-replacement', () => deployStackAndWait(replacement.cell, 'replace-provision', state.replacementTags()));
      state.registered = true; // from here on the record may exist: compensation removes it (a repeat is harmless)
      await run.step('register-replacement', () => setRecordWeight(replacement.cell.route53, 0, 'replace-register'));
      // 5. Move the customers: migrate them when the failed cell's data is readable, else restore from backup
      state.customers = await run.step('move-customers', () => moveCustomers(ctx, replacement.cell, state));
      state.stage = 'customers-moved';
      // 6. Re-route traffic to the replacement
      await run.step('reroute-traffic', () => restoreGradually(replacement, { step: 'replace-reroute' }));
      state.stage = 'in-service';
      // 7. Validate the replacement (full health check), then watch it with post-recovery alarms
      await run.step('validate-replacement', () => fullHealthCheck(replacement, 'replace-validate'));
      state.alarms = await run.step('put-post-recovery-alarms', () => putReplacementAlarms(replacement));
      // 8. Await operator approval to decommission the failed cell
      const approval = await run.step('approve-decommission', () => approvalGate(ctx, 'decommission', `decommission ${ctx.cell.id}, replaced by ${replacement.cell.id}`));
      // 9. Decommission the failed cell: back up its data, delete its stack, remove it from routing
      if (approval.proceed) await run.step('decommission-failed-cell', () => decommissionFailedCell(ctx, state, approval));
      else state.keepFailedCell(approval);
      // 10. Release the drain permit
      await run.step('release-drain-permit', () => releaseDrainPermit(ctx));
      state.permitHeld = false;
    } catch (err) {
      return await putFleetBack(ctx, replacement, state, err);
    }
    // 11. Final report
    run.finish('completed');
    return replacementReport(ctx, state, 'completed');
  });
}

/**
 * The one place a failed or aborted replacement is wound back to a known-good state:
 * - customers already on the replacement: it stays (and gets the traffic), the failed cell is
 *   kept drained, the permit released (capacity is back);
 * - otherwise: the replacement's record and stack are removed, so nothing half built stays;
 *   the failed cell is kept drained with its permit (it is still out) and an operator notified.
 * An abort returns the report (outcome `aborted`); a failure fails the workflow, the report in
 * the failure's details.
 */
async function putFleetBack(ctx: ProcedureContext, replacement: ProcedureContext, state: ReplacementState, err: unknown): Promise<CellReplacementReport> {
  const { run } = ctx;
  const type = failureType(err);
  const aborted = type === ABORTED;
  const error = failureMessage(err);
  await CancellationScope.nonCancellable(async () => {
    try {
      if (state.stage === 'customers-moved' || state.stage === 'in-service') {
        if (state.stage === 'customers-moved') await run.compensate('reroute-to-replacement', () => restoreGradually(replacement, { step: 'replace-back-reroute', abortable: false }));
        state.stage = 'in-service';
        await run.compensate('release-drain-permit', () => releaseDrainPermit(ctx));
        state.permitHeld = false;
      } else if (state.stage === 'provisioning') {
        if (state.registered) await run.compensate('remove-replacement-record', () => removeRecords([replacement.cell.route53], 'replace-back-unregister'));
        await run.compensate('delete-replacement-stack', () => deleteStackAndWait(replacement.cell, 'replace-back-delete'));
      }
      state.keepFailedCell(undefined, aborted ? 'aborted' : 'failed', error);
    } catch (compensationErr) {
      state.compensationError = compensationErr instanceof Error ? compensationErr.message : String(compensationErr);
    }
    const notice = state.operatorNotice(aborted, error);
    await run.compensate('notify-operator', () => notifyOperator(ctx, 'replace-end', 'critical', notice.subject, notice.message)).catch(() => undefined);
  });
  run.finish(aborted ? 'aborted' : 'failed', error);
  const report = replacementReport(ctx, state, aborted ? 'aborted' : 'failed', error);
  if (aborted) return report;
  throw ApplicationFailure.create({
    type: type ?? 'CellReplacementFailed',
    nonRetryable: true,
    message: `cell replacement of ${ctx.cell.id} failed: ${error}; ${state.endStateSentence()}`,
    details: [report],
    cause: err instanceof Error ? err : undefined,
  });
}
