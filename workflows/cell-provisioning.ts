import { ApplicationFailure } from '@temporalio/workflow';
import type { CellProvisioningInput, CellProvisioningReport, ProvisionedResource } from '../domain/procedures/cell-lifecycle';
import { cellMonitoringNames } from '../domain/procedures/cell-lifecycle';
import { ProcedureFailure } from '../domain/procedures/failure-types';
import { newCell, newCellTags } from '../domain/procedures/replacement';
import { buildReport, type CellEndState, type ProcedureOutcome, type TimelineEntry } from '../domain/procedures/report';
import type { Cell } from '../domain/registry/schema';
import { deleteStackAndWait, deployStackAndWait, recordCellState, removeMonitoring, removeRecords, setRecordWeight, setUpMonitoring } from './lib/cell-lifecycle';
import { newCellContext, type ProcedureContext } from './lib/context';
import { failureType } from './lib/failures';
import { cellHealth, fullHealthCheck, healthProblems } from './lib/health';
import { ProcedureRun } from './lib/procedure-run';
import { endStopped, finishStopped, stoppedBy, windBackAndNotify } from './lib/stopping';
import { restoreGradually } from './lib/traffic';

/** Readings of a new cell's health before it counts as never validating. */
const VALIDATION_CHECKS = 3;
/** CloudWatch publishes a minute's datapoints shortly after it ends. */
const METRICS_PUBLISH_DELAY_MS = 5_000;

/**
 * Cell provisioning, as in the runbook: create the cell's stack from the cell template, set up
 * its monitoring (alarms at the health policy's thresholds and a capacity alarm, a dashboard),
 * register it in routing at weight 0, validate its health, ramp its weight up gradually while
 * watching it, and mark it ready. Any failure, and an abort, removes everything created, in
 * reverse order ({@link rollBack}); the report lists what was removed.
 */
export async function cellProvisioning(input: CellProvisioningInput): Promise<CellProvisioningReport> {
  const { registry } = input;
  const run = new ProcedureRun({ procedure: 'cellProvisioning', cellId: input.cellId, requestedBy: input.requestedBy, fourEyes: registry.policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    if (registry.cells.some((c) => c.id === input.cellId)) {
      throw ApplicationFailure.nonRetryable(`${input.cellId} is already a cell of ${registry.fleet.name}: pick a new id`, 'CellAlreadyExists');
    }
    const cell = provisionedCell(input);
    const ctx = newCellContext(run, registry, cell, input.weight ?? cell.route53.weight);
    const created: ProvisionedResource[] = [];
    const events: TimelineEntry[] = [];
    try {
      // 1. Record the new cell as provisioning (other procedures and `cellops fleet` see it from here on)
      await run.step('record-provisioning', () => recordCellState(cell.id, 'provisioning', 'provision-state', { cell }));
      // 2. Create its stack from the cell template (idempotent token) and wait until it is stable
      created.push('stack'); // before the call: a create that fails half way is deleted too
      await run.step('create-stack', () => deployStackAndWait(cell, 'provision-stack', { ...newCellTags(cell.id), 'cellops:requested-by': input.requestedBy }));
      // 3. Set up its monitoring: alarms and a dashboard
      created.push('monitoring');
      await run.step('set-up-monitoring', () => setUpMonitoring(cell, registry, 'provision-monitoring'));
      // 4. Register it in routing at weight 0
      created.push('record');
      await run.step('register-in-routing', () => setRecordWeight(cell.route53, 0, 'provision-register'));
      // 5. Validate its health over a whole health window
      await run.step('validate-health', () => validateHealth(ctx));
      // 6. Ramp its weight up gradually, watching its health after each step
      await run.step('ramp-up', () => restoreGradually(ctx, { step: 'provision-ramp', afterStep: (weight) => watchRamp(ctx, weight) }));
      events.push({ at: new Date().toISOString(), event: `${cell.id} in service at weight ${ctx.traffic.currentWeight}` });
      // 7. Mark it ready
      await run.step('mark-ready', () => recordCellState(cell.id, 'ready', 'provision-ready', { cell: inService(cell, ctx.traffic.currentWeight) }));
    } catch (err) {
      return await rollBack(ctx, input, created, events, err);
    }
    run.finish('completed');
    return report(ctx, input, 'completed', 'in-service', [], events);
  });
}

/** The new cell from the registry's template: its priority after every registry cell unless given. */
function provisionedCell(input: CellProvisioningInput): Cell {
  const priority = input.priority ?? Math.max(0, ...input.registry.cells.map((c) => c.priority + 1));
  return newCell(input.registry, input.cellId, priority);
}

const inService = (cell: Cell, weight: number): Cell => ({ ...cell, route53: { ...cell.route53, weight } });

/**
 * Waits a whole health window after the cell joined routing (a new cell has no metrics before),
 * then checks it, up to {@link VALIDATION_CHECKS} times a minute apart.
 * @throws ApplicationFailure `CellUnhealthy` when it never validates.
 */
async function validateHealth(ctx: ProcedureContext): Promise<void> {
  const withAlarms: ProcedureContext = { ...ctx, cell: { ...ctx.cell, alarms: cellMonitoringNames(ctx.cell.id).alarms } };
  await ctx.run.pace(ctx.registry.policies.health.windowSeconds * 1000 + METRICS_PUBLISH_DELAY_MS);
  for (let check = 1; ; check++) {
    try {
      await fullHealthCheck(withAlarms, `provision-validate-${check}`);
      return;
    } catch (err) {
      if (check >= VALIDATION_CHECKS || failureType(err) !== ProcedureFailure.CellUnhealthy) throw err;
    }
    await ctx.run.pace(60_000);
  }
}

/** After a ramp step: the cell's last minute, against the health policy. */
async function watchRamp(ctx: ProcedureContext, weight: number): Promise<void> {
  const health = await cellHealth({ ...ctx.cell, alarms: cellMonitoringNames(ctx.cell.id).alarms }, 60, `provision-ramp-watch-w${weight}`);
  const problems = healthProblems(health, ctx.registry.policies.health);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.CellUnhealthy,
      nonRetryable: true,
      message: `${ctx.cell.id} fell ill at weight ${weight} while ramping up: ${problems.join('; ')}`,
      details: [{ cellId: ctx.cell.id, weight, problems }],
    });
  }
}

/**
 * The one place a failed or aborted provisioning is wound back: what was created is removed in
 * reverse order (its record, after its weight is set to 0; its monitoring; its stack), the cell
 * recorded as failed and an operator notified. An abort returns the report; a failure fails the
 * workflow with the report in its details.
 */
async function rollBack(ctx: ProcedureContext, input: CellProvisioningInput, created: ProvisionedResource[], events: TimelineEntry[], err: unknown): Promise<CellProvisioningReport> {
  const { run, cell } = ctx;
  const stopped = stoppedBy(run, err);
  const { aborted, error } = stopped;
  const removed: ProvisionedResource[] = [];
  const windBack = async () => {
    for (const resource of [...created].reverse()) {
      if (resource === 'record') {
        if (ctx.traffic.currentWeight > 0) await run.compensate('take-weight-off', () => setRecordWeight(cell.route53, 0, 'provision-back-weight'));
        await run.compensate('remove-record', () => removeRecords([cell.route53], 'provision-back-unregister'));
      } else if (resource === 'monitoring') {
        await run.compensate('remove-monitoring', () => removeMonitoring(cell, 'provision-back-monitoring'));
      } else {
        await run.compensate('delete-stack', () => deleteStackAndWait(cell, 'provision-back-stack'));
      }
      removed.push(resource);
    }
    await run.compensate('record-failed', () => recordCellState(cell.id, 'failed', 'provision-state-failed', { detail: `${aborted ? 'aborted' : 'failed'}: ${error}; rolled back` }));
  };
  const compensationError = await windBackAndNotify(ctx, 'provision-end', windBack, (windBackError) => {
    const left = windBackError ? ` Rolling back failed too (${windBackError}); still there: ${created.filter((r) => !removed.includes(r)).join(', ')}.` : ' Everything it created was removed.';
    events.push({ at: new Date().toISOString(), event: `rolled back: ${removed.join(', ') || 'nothing was created'}` });
    return { severity: windBackError ? 'critical' : 'warning', subject: `Provisioning of ${cell.id} ${aborted ? 'aborted' : 'failed'}`, message: `${ctx.workflowId} ${aborted ? 'was aborted' : 'failed'} (${error}).${left}` };
  });
  const outcome: ProcedureOutcome = aborted ? 'aborted' : 'failed';
  finishStopped(run, stopped);
  const result = report(ctx, input, outcome, compensationError ? 'drained-operator-notified' : 'decommissioned', removed, events, compensationError ? `${error}; rolling back failed: ${compensationError}` : error);
  return endStopped(stopped, result, 'CellProvisioningFailed', `provisioning of ${cell.id} failed: ${error}; ${compensationError ? `rolling back failed: ${compensationError}` : 'everything created was removed'}`);
}

function report(ctx: ProcedureContext, input: CellProvisioningInput, outcome: ProcedureOutcome, cellEndState: CellEndState, rolledBack: ProvisionedResource[], events: TimelineEntry[], error?: string): CellProvisioningReport {
  const { cell } = ctx;
  const ready = outcome === 'completed';
  const names = cellMonitoringNames(cell.id);
  const monitoring = ctx.run.progress.steps.some((s) => s.name === 'set-up-monitoring' && s.status === 'done') && !rolledBack.includes('monitoring');
  const recommendations = ready
    ? [`Add ${cell.id} (stack ${cell.stack.name}, record ${cell.route53.setIdentifier}, alarms ${names.alarms.join(', ')}) to the cell registry.`]
    : [];
  return {
    ...buildReport(ctx.run.progress, {
      workflowId: ctx.workflowId,
      reason: input.reason,
      outcome,
      cellEndState,
      endedAt: new Date().toISOString(),
      customersAffected: 0,
      events,
      error,
      recommendations,
    }),
    provisioning: {
      cellId: cell.id,
      stackName: cell.stack.name,
      ready,
      weight: ready ? ctx.traffic.currentWeight : 0,
      alarms: monitoring ? names.alarms : [],
      ...(monitoring ? { dashboard: names.dashboard } : {}),
      rolledBack,
    },
  };
}
