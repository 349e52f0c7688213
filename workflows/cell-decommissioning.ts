import { ApplicationFailure } from '@temporalio/workflow';
import type { CellDecommissioningInput, CellDecommissioningReport, DecommissionOutcome } from '../domain/procedures/cell-lifecycle';
import { cellWithMostRoom } from '../domain/procedures/cell-lifecycle';
import { buildReport, type CellEndState, type ProcedureOutcome, type TimelineEntry } from '../domain/procedures/report';
import { awsTarget } from '../domain/registry/lookup';
import type { Cell } from '../domain/registry/schema';
import { approvalGate, type ApprovalResult } from './lib/approval';
import { deleteStackAndWait, recordCellState, removeMonitoring, removeRecords } from './lib/cell-lifecycle';
import { procedureContext, stepToken, type ProcedureContext } from './lib/context';
import { failureMessage } from './lib/failures';
import { acquireDrainPermit, releaseDrainPermit } from './lib/fleet-guard';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { aws, dataHooks } from './lib/proxies';
import { endStopped, finishStopped, stoppedBy, windBackAndNotify } from './lib/stopping';
import { drainGradually, restoreGradually } from './lib/traffic';

/** Failure types of decommissioning's own checks. */
export const DecommissionFailure = {
  /** Customers or requests are still on the cell after the migration. */
  CustomersRemain: 'CustomersRemain',
  /** The cell's data could not be backed up: nothing is destroyed. */
  BackupFailed: 'BackupFailed',
  /** No other cell to migrate the customers to. */
  NoCellToMigrateTo: 'NoCellToMigrateTo',
} as const;

/**
 * How far decommissioning got: before its customers moved, the cell can go back into service;
 * from then on it is kept (drained, nothing destroyed) unless it is destroyed completely.
 */
type Stage = 'in-service' | 'draining' | 'migrating' | 'unrouted' | 'destroying' | 'decommissioned';

interface State {
  stage: Stage;
  permitHeld: boolean;
  migratedTo?: string;
  migratedCustomers: number;
  backupId?: string;
  outcome?: DecommissionOutcome;
  readonly events: TimelineEntry[];
}

/**
 * Cell decommissioning, as in the runbook: drain the cell's traffic gradually, migrate its
 * remaining customers to the cell with the most room, validate it is empty, remove it from
 * routing, back up its data, await approval, then delete its monitoring and its stack. Nothing is
 * destroyed before the backup succeeded and the approval came: a failed backup, a rejection or a
 * timeout stop with the cell intact (drained, out of routing) and an operator notified. A
 * failure or an abort before the customers moved puts the cell back into service.
 */
export async function cellDecommissioning(input: CellDecommissioningInput): Promise<CellDecommissioningReport> {
  const { policies } = input.registry;
  const run = new ProcedureRun({ procedure: 'cellDecommissioning', cellId: input.cellId, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    const ctx = procedureContext(run, input);
    const { cell } = ctx;
    const state: State = { stage: 'in-service', permitHeld: false, migratedCustomers: 0, events: [] };
    try {
      const target = migrationTarget(ctx, input);
      // 1. Acquire a drain permit (the cell goes out of service for good)
      await run.step('acquire-drain-permit', () => acquireDrainPermit(ctx));
      state.permitHeld = true;
      // 2. Record it as draining
      await run.step('record-draining', () => recordCellState(cell.id, 'draining', 'decommission-state-draining'));
      // 3. Drain its traffic gradually, verifying the traffic follows
      state.stage = 'draining';
      await run.step('drain-traffic', () => drainGradually(ctx, { step: 'decommission-drain' }));
      // 4. Migrate its remaining customers to the cell with the most room
      await run.step('migrate-customers', async () => {
        state.stage = 'migrating'; // from the first call on, customers may have moved: the cell is not put back
        state.migratedTo = target.id;
        const moved = await dataHooks.migrateCustomers({ requestToken: stepToken('decommission-migrate'), fromCellId: cell.id, toCellId: target.id });
        state.migratedCustomers = moved.migratedCustomers;
        state.events.push({ at: new Date().toISOString(), event: `${moved.migratedCustomers} customers migrated from ${cell.id} to ${target.id}` });
      });
      // 5. Validate it is empty: its customers moved, no requests reach it
      await run.step('validate-empty', () => validateEmpty(ctx, state));
      // 6. Remove it from routing
      await run.step('remove-from-routing', () => removeRecords([cell.route53], 'decommission-unroute'));
      state.stage = 'unrouted';
      // 7. Back up its data (a failure stops here: nothing is destroyed)
      state.backupId = await run.step('back-up-data', () => backUp(ctx));
      state.events.push({ at: new Date().toISOString(), event: `${cell.id} backed up as ${state.backupId}` });
      // 8. Await approval to destroy it
      const approval = await run.step('approve-decommission', () => approvalGate(ctx, 'decommission', `delete ${cell.id}'s stack ${cell.stack.name} and monitoring (backup ${state.backupId})`));
      if (!approval.proceed) throw notApproved(ctx, approval);
      // 9. Delete its monitoring, then its stack
      state.stage = 'destroying';
      await run.step('delete-monitoring', () => removeMonitoring(cell, 'decommission-monitoring'));
      await run.step('delete-stack', () => deleteStackAndWait(cell, 'decommission-stack'));
      state.stage = 'decommissioned';
      state.outcome = { kind: 'decommissioned', backupId: state.backupId, approvedBy: approvedBy(approval) };
      // 10. Record it as decommissioned and release the drain permit
      await run.step('record-decommissioned', () => recordCellState(cell.id, 'decommissioned', 'decommission-state-done', { detail: `backup ${state.backupId}` }));
      await run.step('release-drain-permit', () => releaseDrainPermit(ctx));
      state.permitHeld = false;
    } catch (err) {
      return await stop(ctx, input, state, err);
    }
    run.finish('completed');
    return report(ctx, input, state, 'completed');
  });
}

/** The cell the customers go to: the input's, or the other cell with the most room. */
function migrationTarget(ctx: ProcedureContext, input: CellDecommissioningInput): Cell {
  const others = ctx.registry.cells.filter((c) => c.id !== ctx.cell.id);
  const target = input.migrateTo !== undefined ? others.find((c) => c.id === input.migrateTo) : cellWithMostRoom(ctx.registry.cells, ctx.cell.id);
  if (target === undefined) {
    const why = input.migrateTo !== undefined ? `${input.migrateTo} is not another cell of the registry` : `${ctx.cell.id} is the fleet's only cell`;
    throw ApplicationFailure.nonRetryable(`no cell to migrate ${ctx.cell.id}'s customers to: ${why}`, DecommissionFailure.NoCellToMigrateTo);
  }
  return target;
}

/**
 * Empty: the migration moved at least the customers the registry lists, and the last minute
 * brought the cell no requests.
 * @throws ApplicationFailure `CustomersRemain`.
 */
async function validateEmpty(ctx: ProcedureContext, state: State): Promise<void> {
  const { cell, registry } = ctx;
  const shares = await aws.getTrafficShares({
    requestToken: stepToken('decommission-empty'),
    cells: registry.cells.map((c) => ({ cellId: c.id, metrics: c.metrics, target: awsTarget(c) })),
    windowSeconds: 60,
    endTime: new Date().toISOString(),
  });
  const requests = shares.shares.find((s) => s.cellId === cell.id)?.requestCount ?? 0;
  const problems: string[] = [];
  if (state.migratedCustomers < cell.customers) problems.push(`${cell.customers - state.migratedCustomers} of its ${cell.customers} customers were not migrated`);
  if (requests > 0) problems.push(`${requests} requests reached it in the last minute`);
  if (problems.length > 0) {
    throw ApplicationFailure.create({ type: DecommissionFailure.CustomersRemain, nonRetryable: true, message: `${cell.id} is not empty: ${problems.join('; ')}`, details: [{ cellId: cell.id, problems }] });
  }
}

/** Backs the cell's data up; any failure (after the hook's retries) is `BackupFailed`. */
async function backUp(ctx: ProcedureContext): Promise<string> {
  try {
    return (await dataHooks.backupCellData({ requestToken: stepToken('decommission-backup'), cellId: ctx.cell.id })).backupId;
  } catch (err) {
    throw ApplicationFailure.create({
      type: DecommissionFailure.BackupFailed,
      nonRetryable: true,
      message: `${ctx.cell.id}'s data could not be backed up (${failureMessage(err)}); nothing was destroyed`,
      cause: err instanceof Error ? err : undefined,
    });
  }
}

function notApproved(ctx: ProcedureContext, approval: ApprovalResult): ApplicationFailure {
  const why = approval.kind === 'rejected' ? `rejected by ${approval.decision.approver}: ${approval.decision.reason}` : 'nobody approved in time; the policy says abort';
  return ApplicationFailure.nonRetryable(`decommissioning ${ctx.cell.id} was not approved (${why})`, ABORTED, { approval: approval.kind });
}

function approvedBy(approval: ApprovalResult): string {
  if (approval.kind === 'approved') return approval.approvedBy.join(', ');
  return approval.kind === 'not-required' ? 'policy (no approval required)' : 'policy (proceed on timeout)';
}

/**
 * The one place a failed, aborted or refused decommissioning stops. Before its customers moved,
 * the cell goes back into service (traffic restored, permit released, recorded ready). After,
 * nothing is destroyed and nothing is put back: the cell stays drained (and out of routing, once
 * removed) with its stack, data and monitoring, keeps its permit, and an operator is notified.
 * Once its stack is being deleted there is no way back: the operator is told what is left.
 */
async function stop(ctx: ProcedureContext, input: CellDecommissioningInput, state: State, err: unknown): Promise<CellDecommissioningReport> {
  const { run, cell } = ctx;
  const stopped = stoppedBy(run, err);
  const { aborted, type, error } = stopped;
  const windBack = async () => {
    if (state.stage === 'in-service' || state.stage === 'draining') {
      if (state.stage === 'draining') await run.compensate('restore-traffic', () => restoreGradually(ctx, { step: 'decommission-back', abortable: false }));
      state.stage = 'in-service';
      if (state.permitHeld) await run.compensate('release-drain-permit', () => releaseDrainPermit(ctx));
      state.permitHeld = false;
      if (run.progress.steps.some((s) => s.name === 'record-draining')) await run.compensate('record-ready', () => recordCellState(cell.id, 'ready', 'decommission-state-back'));
    } else {
      await run.compensate('record-failed', () => recordCellState(cell.id, 'failed', 'decommission-state-kept', { detail: `decommissioning stopped: ${error}` }));
    }
  };
  const compensationError = await windBackAndNotify(ctx, 'decommission-end', windBack, (windBackError) => {
    state.outcome = keptBecause(type, aborted, error, err);
    return {
      severity: state.stage === 'in-service' ? 'warning' : 'critical',
      subject: `Decommissioning of ${cell.id} ${aborted ? 'stopped' : 'failed'}`,
      message: `${ctx.workflowId}: ${error}. ${endStateSentence(ctx, state)}${windBackError ? `; putting it back failed too: ${windBackError}` : ''}.`,
    };
  });
  finishStopped(run, stopped);
  const result = report(ctx, input, state, aborted ? 'aborted' : 'failed', compensationError ? `${error}; putting it back failed: ${compensationError}` : error);
  return endStopped(stopped, result, 'CellDecommissioningFailed', `decommissioning of ${cell.id} failed: ${error}; ${endStateSentence(ctx, state)}`);
}

function keptBecause(type: string | undefined, aborted: boolean, error: string, err: unknown): DecommissionOutcome {
  const approval = (err instanceof ApplicationFailure ? (err.details?.[0] as { approval?: string } | undefined) : undefined)?.approval;
  if (approval === 'rejected') return { kind: 'kept', because: 'approval-rejected', detail: error };
  if (approval === 'timed-out') return { kind: 'kept', because: 'approval-timed-out', detail: error };
  if (type === DecommissionFailure.BackupFailed) return { kind: 'kept', because: 'backup-failed', detail: error };
  if (type === DecommissionFailure.CustomersRemain) return { kind: 'kept', because: 'customers-remain', detail: error };
  return { kind: 'kept', because: aborted ? 'aborted' : 'failed', detail: error };
}

function endStateSentence(ctx: ProcedureContext, state: State): string {
  const { cell } = ctx;
  switch (state.stage) {
    case 'in-service':
      return `${cell.id} is back in service, nothing was destroyed`;
    case 'migrating':
      return `${cell.id} is kept drained with its stack, data and monitoring (customers may be partly migrated to ${state.migratedTo ?? '?'}), the drain permit stays held`;
    case 'unrouted':
      return `${cell.id} is kept out of routing with its stack, data and monitoring${state.backupId ? ` (backup ${state.backupId})` : ''}, the drain permit stays held`;
    case 'destroying':
      return `${cell.id} is out of routing and partly deleted (backup ${state.backupId ?? '?'}): finish deleting its monitoring and stack ${cell.stack.name}`;
    default:
      return `${cell.id} is ${state.stage}`;
  }
}

function report(ctx: ProcedureContext, input: CellDecommissioningInput, state: State, outcome: ProcedureOutcome, error?: string): CellDecommissioningReport {
  const { cell } = ctx;
  const cellEndState: CellEndState = state.stage === 'decommissioned' ? 'decommissioned' : state.stage === 'in-service' ? 'in-service' : 'drained-operator-notified';
  const recommendations: string[] = [];
  if (state.stage === 'decommissioned') recommendations.push(`Remove ${cell.id} from the cell registry (backup ${state.backupId ?? '?'}).`);
  else if (state.stage !== 'in-service') recommendations.push(`${endStateSentence(ctx, state)}: decide whether to finish decommissioning it or bring it back.`);
  return {
    ...buildReport(ctx.run.progress, {
      workflowId: ctx.workflowId,
      reason: input.reason,
      outcome,
      cellEndState,
      endedAt: new Date().toISOString(),
      customersAffected: state.migratedCustomers,
      events: state.events,
      error,
      recommendations,
    }),
    decommissioning: {
      cellId: cell.id,
      ...(state.migratedTo ? { migratedTo: state.migratedTo } : {}),
      migratedCustomers: state.migratedCustomers,
      unrouted: state.stage === 'unrouted' || state.stage === 'destroying' || state.stage === 'decommissioned',
      outcome: state.outcome ?? { kind: 'kept', because: 'failed', detail: error ?? '' },
    },
  };
}
