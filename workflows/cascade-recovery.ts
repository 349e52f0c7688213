import { ApplicationFailure, CancellationScope, executeChild } from '@temporalio/workflow';
import { buildReport, type ProcedureOutcome } from '../domain/procedures/report';
import {
  DEFAULT_FLEET_STABILITY_CHECKS,
  DEFAULT_SHEDDING_PERCENT,
  FLEET_ID,
  cascadeInputProblems,
  recoveryOrder,
  sheddingLiftSchedule,
  type CascadeRecoveryInput,
  type CascadeRecoveryReport,
} from '../domain/procedures/cascade-recovery';
import { ProcedureFailure } from '../domain/procedures/failure-types';
import { emergencyCellId, newCell } from '../domain/procedures/replacement';
import { approvalGate } from './lib/approval';
import { CascadeState, assessFailedCells, awaitFleetStable, cascadeContext, recoverCell, setRouterSwitches, type CascadeContext } from './lib/cascade';
import { failureMessage, failureType } from './lib/failures';
import { notifyOperator } from './lib/notify';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { provisionEmergencyCell } from './provision-emergency-cell';

/**
 * Cascade recovery, as in the runbook: find the failed cells, shed load at the router, add
 * emergency capacity, open the failed cells' circuit breakers, recover the failed cells one at a
 * time in priority order (each in its own restart or replacement, as the decision matrix says),
 * waiting for the fleet to be stable between them, then close the breakers of the recovered
 * cells, lift the shedding step by step while the fleet stays stable, and validate the whole
 * system. A cell whose recovery fails does not stop the others; the report has a line per cell.
 * A failure or an abort leaves the shedding and the breakers as they are (protective), with an
 * operator notified: {@link stopHere}.
 */
export async function cascadeRecovery(input: CascadeRecoveryInput): Promise<CascadeRecoveryReport> {
  const { policies } = input.registry;
  const run = new ProcedureRun({ procedure: 'cascadeRecovery', cellId: FLEET_ID, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    const ctx = cascadeContext(run, input, cascadeInputProblems(input));
    const state = new CascadeState();
    const shedding = input.sheddingPercent ?? DEFAULT_SHEDDING_PERCENT;
    const stabilityChecks = input.fleetStabilityChecks ?? DEFAULT_FLEET_STABILITY_CHECKS;
    const expected = () => state.expectedHealthy(input.registry.cells);
    try {
      // 1. Assess which cells failed (their alarms and metrics), and what recovers each
      state.failed = recoveryOrder(await run.step('assess-failed-cells', () => assessFailedCells(ctx)), (f) => f.cell);
      for (const f of state.failed) state.lines.push({ cellId: f.cell.id, priority: f.cell.priority, problems: f.problems, ...(f.procedure ? { procedure: f.procedure } : {}), outcome: 'not-started' });
      state.note(`failed cells, in recovery order: ${state.failed.map((f) => f.cell.id).join(', ')}`);
      // 2. Shed load at the router
      state.stage = 'shedding';
      await run.step('shed-load', () => setRouterSwitches(ctx, shedding, [], 'shed-load'));
      state.sheddingPercent = shedding;
      // 3. Add emergency capacity (after approval when the policy asks)
      const count = input.emergencyCells ?? 1;
      if (count > 0) {
        const approval = await run.step('approve-emergency-capacity', () => approvalGate(ctx, 'emergency-capacity', `add ${count} emergency cell(s) to ${input.registry.fleet.name}`));
        if (approval.proceed) await run.step('add-emergency-capacity', () => addEmergencyCapacity(ctx, state, count));
        else state.note(`no emergency capacity: ${approval.kind === 'rejected' ? `rejected by ${approval.decision.approver}` : 'not approved in time'}`);
      }
      // 4. Open the failed cells' circuit breakers
      const failedIds = state.failed.map((f) => f.cell.id);
      await run.step('open-circuit-breakers', () => setRouterSwitches(ctx, shedding, failedIds, 'open-breakers'));
      state.openCircuitBreakers = failedIds;
      // 5. Recover the failed cells one by one, in priority order, the fleet stable between them
      state.stage = 'recovering';
      for (const failed of state.failed) {
        const line = state.line(failed.cell.id);
        const started = await run.step(`recover-${failed.cell.id}`, () => recoverCell(ctx, input, failed, line));
        run.throwIfAborted();
        if (line.outcome === 'held-back') {
          state.note(`${failed.cell.id} held back: ${line.detail ?? 'the fleet guard refused its drain permit'}`);
          state.recommendations.push(
            `${failed.cell.id} was not recovered: held back by the fleet guard (${line.detail ?? 'blast radius used up'}); its circuit breaker stays open. Deal with the cells out of service first, then start its recovery (cellops start ${failed.procedure ?? 'cellRestart'} --cell ${failed.cell.id}).`,
          );
        } else if (line.outcome === 'already-in-recovery') {
          state.note(`${failed.cell.id} left to its running recovery ${line.workflowId ?? ''}`.trimEnd());
          state.recommendations.push(`${failed.cell.id} was not recovered by the cascade: ${line.detail ?? 'its own recovery was already running'}; its circuit breaker stays open. Follow it (cellops watch ${line.workflowId ?? failed.cell.id}) and close the breaker once it has recovered.`);
        } else if (line.outcome !== 'recovered') state.recommendations.push(`${failed.cell.id} was not recovered (${line.outcome}${line.detail ? `: ${line.detail}` : ''}); its circuit breaker stays open.`);
        // A cell held back before its procedure started changed nothing: no need to wait for the fleet.
        if (started === false && (line.outcome === 'held-back' || line.outcome === 'already-in-recovery')) continue;
        const problems: string[] = [];
        const stable = await run.step(`wait-fleet-stable-after-${failed.cell.id}`, () => awaitFleetStable(ctx, expected, stabilityChecks, `stable-after-${failed.cell.id}`, problems));
        if (!stable) state.note(`the fleet was not stable after ${failed.cell.id}: ${problems.join('; ')}`);
      }
      // 6. Close the breakers of the recovered cells, once the fleet is stable
      state.stage = 'lifting';
      await run.step('wait-fleet-stable', () => requireStable(ctx, state, expected, stabilityChecks, 'stable-before-lift'));
      const stillOpen = state.lines.filter((l) => l.outcome !== 'recovered').map((l) => l.cellId);
      await run.step('close-circuit-breakers', () => setRouterSwitches(ctx, shedding, stillOpen, 'close-breakers'));
      state.openCircuitBreakers = stillOpen;
      // 7. Lift the shedding gradually, the fleet stable before each step
      await run.step('lift-load-shedding', async () => {
        for (const percent of sheddingLiftSchedule(shedding)) {
          await requireStable(ctx, state, expected, stabilityChecks, `stable-before-shedding-${percent}`);
          await setRouterSwitches(ctx, percent, stillOpen, `shedding-${percent}`);
          state.sheddingPercent = percent;
          state.note(`load shedding at ${percent}%`);
        }
      });
      // 8. Validate the whole system
      await run.step('validate-system', () => requireStable(ctx, state, expected, stabilityChecks, 'validate-system'));
      state.stage = 'done';
    } catch (err) {
      return await stopHere(ctx, state, input, err);
    }
    // 9. Notify and report, a line per cell
    const notRecovered = state.lines.filter((l) => l.outcome !== 'recovered');
    const outcome: ProcedureOutcome = notRecovered.length === 0 ? 'completed' : 'failed';
    const summary = state.lines.map((l) => `${l.cellId}: ${l.outcome}`).join(', ');
    await run.step('notify-done', () =>
      notifyOperator(ctx, 'cascade-done', notRecovered.length === 0 ? 'info' : 'critical', `Cascade recovery of ${input.registry.fleet.name}: ${notRecovered.length === 0 ? 'every cell recovered' : `${notRecovered.length} cell(s) not recovered`}`, `${ctx.workflowId}: ${summary}; load shedding lifted.`),
    );
    const error = notRecovered.length === 0 ? undefined : `not recovered: ${notRecovered.map((l) => `${l.cellId} (${l.outcome})`).join(', ')}`;
    run.finish(outcome, error);
    return report(ctx, state, input, outcome, error);
  });
}

async function addEmergencyCapacity(ctx: CascadeContext, state: CascadeState, count: number): Promise<void> {
  const { registry } = ctx;
  const cells = Array.from({ length: count }, (_, i) => newCell(registry, emergencyCellId(`${registry.fleet.name}-cascade`, i + 1)));
  const weight = registry.cellTemplate.route53.weight;
  const results = await Promise.all(
    cells.map((cell, i) => executeChild(provisionEmergencyCell, { workflowId: `${ctx.workflowId}-emergency-cell-${i + 1}`, args: [{ cell, weight, requestedBy: ctx.run.progress.requestedBy }] })),
  );
  state.emergencyCells = cells;
  state.note(`emergency cells ${results.map((r) => r.cellId).join(', ')} in service at weight ${weight}`);
  state.recommendations.push(`Emergency cells ${results.map((r) => r.cellId).join(', ')} serve traffic: decommission them once the fleet's load allows.`);
}

async function requireStable(ctx: CascadeContext, state: CascadeState, cells: () => ReturnType<CascadeState['expectedHealthy']>, checks: number, step: string): Promise<void> {
  const problems: string[] = [];
  state.fleetStable = await awaitFleetStable(ctx, cells, checks, step, problems);
  if (!state.fleetStable) {
    throw ApplicationFailure.nonRetryable(`the fleet was not stable within ${checks} checks: ${problems.join('; ')}`, ProcedureFailure.FleetNotStable);
  }
}

/**
 * The one place a failed or aborted cascade ends: the shedding and the open breakers stay as
 * they are (they protect a fleet that is not known to be stable), the cell being recovered was
 * put back by its own procedure, the cells not reached are left for an operator, who is notified.
 * An abort returns the report; a failure fails the workflow with the cause's type.
 */
async function stopHere(ctx: CascadeContext, state: CascadeState, input: CascadeRecoveryInput, err: unknown): Promise<CascadeRecoveryReport> {
  const { run } = ctx;
  const type = failureType(err);
  const aborted = type === ABORTED || run.abortRequested !== undefined;
  const error = failureMessage(err);
  const fleet = input.registry.fleet.name;
  await CancellationScope.nonCancellable(async () => {
    const lines = state.lines.map((l) => `${l.cellId}: ${l.outcome}`).join(', ') || 'no cell assessed';
    const switches = state.stage === 'assessing' ? 'Nothing was changed at the router.' : `The router sheds ${state.sheddingPercent}% of requests; circuit breakers open: ${state.openCircuitBreakers.join(', ') || 'none'}.`;
    await run
      .compensate('notify-operator', () => notifyOperator(ctx, 'cascade-end', 'critical', `Cascade recovery of ${fleet} ${aborted ? 'aborted' : 'failed'}`, `${ctx.workflowId} ${aborted ? 'was aborted' : 'failed'} (${error}). ${lines}. ${switches} An operator must lift the shedding once the fleet is stable.`))
      .catch(() => undefined);
  });
  run.finish(aborted ? 'aborted' : 'failed', error);
  const result = report(ctx, state, input, aborted ? 'aborted' : 'failed', error);
  if (aborted) return result;
  throw ApplicationFailure.create({ type: type ?? 'CascadeRecoveryFailed', nonRetryable: true, message: `cascade recovery of ${fleet} failed: ${error}`, details: [result], cause: err instanceof Error ? err : undefined });
}

function report(ctx: CascadeContext, state: CascadeState, input: CascadeRecoveryInput, outcome: ProcedureOutcome, error?: string): CascadeRecoveryReport {
  const allRecovered = state.lines.length > 0 && state.lines.every((l) => l.outcome === 'recovered');
  const recommendations = [...state.recommendations];
  if (state.sheddingPercent > 0) recommendations.push(`The router still sheds ${state.sheddingPercent}% of requests (${ctx.routerStack.name}): lift it once the fleet is stable.`);
  const base = buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason: input.reason,
    outcome,
    cellEndState: allRecovered && state.sheddingPercent === 0 ? 'in-service' : 'drained-operator-notified',
    endedAt: new Date().toISOString(),
    customersAffected: state.failed.reduce((sum, f) => sum + f.cell.customers, 0),
    events: state.events,
    error,
    recommendations,
  });
  return {
    ...base,
    cascade: {
      cells: state.lines,
      emergencyCells: state.emergencyCells.map((c) => c.id),
      sheddingPercent: state.sheddingPercent,
      openCircuitBreakers: state.openCircuitBreakers,
      fleetStable: state.fleetStable,
    },
  };
}
