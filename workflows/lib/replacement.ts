/**
 * The steps of cell replacement that are its own (the shared ones are in the other lib files),
 * and what the procedure remembers on the way for its compensation and its report.
 */
import { executeChild } from '@temporalio/workflow';
import type { PostRecoveryAlarm } from '../../activities';
import type { HookErrorType } from '../../activities/hooks';
import { buildReport, type CellEndState, type ProcedureOutcome, type TimelineEntry } from '../../domain/procedures/report';
import {
  dataLossWindow,
  emergencyCellId,
  newCell,
  newCellTags,
  planCapacity,
  safeNewCellWeight,
  type CapacityPlan,
  type CellReplacementReport,
  type CustomerMove,
  type FailedCellOutcome,
  type KeptBecause,
} from '../../domain/procedures/replacement';
import { awsTarget } from '../../domain/registry/lookup';
import type { Cell } from '../../domain/registry/schema';
import { provisionEmergencyCell } from '../provision-emergency-cell';
import { aws, dataHooks } from './proxies';
import { approvalGate, type ApprovalResult } from './approval';
import { deleteStackAndWait, removeRecords } from './cell-lifecycle';
import { stepToken, type ProcedureContext } from './context';

export { withCell } from './context';
import { failureMessage, failureType } from './failures';
import { notifyOperator } from './notify';

/** How far the replacement got, which decides how a failure or an abort is wound back. */
export type ReplacementStage = 'before-drain' | 'drained' | 'provisioning' | 'customers-moved' | 'in-service';

/** What the procedure knows beyond its progress: for compensation and the report. */
export class ReplacementState {
  stage: ReplacementStage = 'before-drain';
  permitHeld = false;
  /** When the failed cell stopped taking writes (drained here, or by the procedure that handed over). */
  drainedAt?: string;
  capacity?: CapacityPlan;
  emergencyCells: string[] = [];
  /** The replacement's record may exist (set before it is written, so a failed write is cleaned up too). */
  registered = false;
  customers?: CustomerMove;
  alarms: string[] = [];
  failedCell?: FailedCellOutcome;
  compensationError?: string;
  readonly events: TimelineEntry[] = [];
  readonly recommendations: string[] = [];

  constructor(
    private readonly ctx: ProcedureContext,
    readonly replacement: Cell,
    readonly reason: string,
  ) {}

  /** Something worth a line in the report's timeline, at the workflow's now. */
  note(event: string): void {
    this.events.push({ at: new Date().toISOString(), event });
  }

  replacementTags(): Record<string, string> {
    return { ...newCellTags(this.replacement.id), 'cellops:replaces': this.ctx.cell.id, 'cellops:requested-by': this.ctx.run.progress.requestedBy };
  }

  /** The failed cell stays (drained, its stack kept): after a refused or timed-out approval, a failed backup, a failure or an abort. */
  keepFailedCell(approval: ApprovalResult | undefined, because?: KeptBecause, detail?: string): void {
    if (this.failedCell?.kind === 'decommissioned') return;
    if (approval?.kind === 'rejected') {
      because = 'approval-rejected';
      detail = `decommissioning rejected by ${approval.decision.approver}: ${approval.decision.reason}`;
    } else if (approval?.kind === 'timed-out') {
      because = 'approval-timed-out';
      detail = 'nobody approved decommissioning in time; the policy default is not to decommission';
    }
    this.failedCell ??= { kind: 'kept', because: because ?? 'failed', detail: detail ?? '' };
    this.note(`${this.ctx.cell.id} kept, not decommissioned: ${this.failedCell.kind === 'kept' ? this.failedCell.detail : ''}`);
  }

  /** The end state in one sentence, for failure messages and notifications. */
  endStateSentence(): string {
    const failed = this.ctx.cell.id;
    if (this.stage === 'before-drain') return `${failed} was not touched and still serves traffic`;
    const replacement =
      this.stage === 'in-service'
        ? `${this.replacement.id} serves its traffic`
        : this.stage === 'drained'
          ? 'no replacement was built'
          : `no replacement is in service (${this.replacement.id} was removed)`;
    const permit = this.permitHeld ? 'the drain permit stays held' : 'the drain permit was released';
    const broken = this.compensationError ? `; putting things back failed too: ${this.compensationError}` : '';
    return `${failed} is kept drained, ${replacement}, ${permit}${broken}`;
  }

  operatorNotice(aborted: boolean, error: string): { subject: string; message: string } {
    const what = aborted ? 'aborted' : 'failed';
    return {
      subject: `Cell replacement of ${this.ctx.cell.id} ${what}`,
      message: `${this.ctx.workflowId} ${what} (${error}). ${this.endStateSentence()}. An operator must decide what happens to ${this.ctx.cell.id} next.`,
    };
  }
}

/** The fleet's load (requests per second over the health window) against the capacity of the cells left. */
export async function checkCapacity(ctx: ProcedureContext, maxUtilizationPercent?: number): Promise<CapacityPlan> {
  const { cells, cellTemplate, policies } = ctx.registry;
  const shares = await aws.getTrafficShares({
    requestToken: stepToken('replace-capacity-load'),
    cells: cells.map((c) => ({ cellId: c.id, metrics: c.metrics, target: awsTarget(c) })),
    windowSeconds: policies.health.windowSeconds,
    endTime: new Date().toISOString(),
  });
  const loadRps = Math.round(shares.totalRequests / shares.window.periodSeconds);
  const remaining = cells.filter((c) => c.id !== ctx.cell.id).reduce((sum, c) => sum + c.capacity, 0);
  return planCapacity(loadRps, remaining, cellTemplate.capacity, maxUtilizationPercent);
}

/** Emergency cells as child workflows (after approval, if the policy asks), each joining routing at a safe weight. */
export async function addEmergencyCapacity(ctx: ProcedureContext, state: ReplacementState): Promise<void> {
  const plan = state.capacity;
  if (plan === undefined || plan.emergencyCells === 0) return;
  const { registry } = ctx;
  const count = plan.emergencyCells;
  const gate = await approvalGate(ctx, 'emergency-capacity', `add ${count} emergency cell(s): ${plan.loadRps} rps on ${plan.remainingCapacityRps} rps of capacity left`);
  if (!gate.proceed) {
    const why = gate.kind === 'rejected' ? `rejected by ${gate.decision.approver}: ${gate.decision.reason}` : 'the approval timed out';
    state.note(`no emergency cells added (${why})`);
    state.recommendations.push(`The remaining cells run at ${plan.utilizationPercent ?? '∞'}% of their capacity without the ${count} emergency cell(s) (${why}); add capacity or shed load.`);
    return;
  }
  const remainingWeight = registry.cells.filter((c) => c.id !== ctx.cell.id).reduce((sum, c) => sum + c.route53.weight, 0);
  const weight = safeNewCellWeight(plan, count, registry.cellTemplate.capacity, remainingWeight, registry.cellTemplate.route53.weight);
  const cells = Array.from({ length: count }, (_, i) => newCell(registry, emergencyCellId(ctx.cell.id, i + 1), ctx.cell.priority));
  const results = await Promise.all(
    cells.map((cell, i) =>
      executeChild(provisionEmergencyCell, {
        workflowId: `${ctx.workflowId}-emergency-cell-${i + 1}`,
        args: [{ cell, weight, requestedBy: ctx.run.progress.requestedBy }],
      }),
    ),
  );
  state.emergencyCells = results.map((r) => r.cellId);
  state.note(`emergency cells ${state.emergencyCells.join(', ')} in service at weight ${weight}`);
  state.recommendations.push(`Emergency cells ${state.emergencyCells.join(', ')} serve traffic at weight ${weight}: decommission them once the fleet's load allows.`);
}

/** Migrates the failed cell's customers to the replacement, or restores them from backup when its data cannot be read. */
export async function moveCustomers(ctx: ProcedureContext, replacement: Cell, state: ReplacementState): Promise<CustomerMove> {
  const from = { fromCellId: ctx.cell.id, toCellId: replacement.id };
  const access = await dataHooks.checkDataAccessible({ requestToken: stepToken('replace-data-access'), cellId: ctx.cell.id });
  if (access.accessible) {
    const migrated = await dataHooks.migrateCustomers({ requestToken: stepToken('replace-migrate'), ...from });
    state.note(`${migrated.migratedCustomers} customers migrated from ${ctx.cell.id} to ${replacement.id}`);
    return { kind: 'migrated', customers: migrated.migratedCustomers };
  }
  const restored = await dataHooks.restoreCustomersFromBackup({ requestToken: stepToken('replace-restore'), ...from });
  const window = dataLossWindow(restored.backupTakenAt, state.drainedAt ?? new Date().toISOString());
  state.note(`${restored.restoredCustomers} customers restored onto ${replacement.id} from backup ${restored.backupId} (${ctx.cell.id}'s data: ${access.reason ?? 'not accessible'})`);
  return { kind: 'restored-from-backup', customers: restored.restoredCustomers, backupId: restored.backupId, reason: access.reason ?? 'not accessible', dataLossWindow: window };
}

/** Stricter alarms on the new cell, at the health policy's thresholds. */
export async function putReplacementAlarms(replacement: ProcedureContext): Promise<string[]> {
  const { id, metrics } = replacement.cell;
  const health = replacement.registry.policies.health;
  const alarms: PostRecoveryAlarm[] = [
    { alarmName: `${id}-post-recovery-error-rate`, metrics, signal: 'errorRatePercent', threshold: health.maxErrorRatePercent },
    { alarmName: `${id}-post-recovery-latency-p99`, metrics, signal: 'latencyP99Ms', threshold: health.maxLatencyP99Ms },
    { alarmName: `${id}-post-recovery-availability`, metrics, signal: 'availabilityPercent', threshold: health.minAvailabilityPercent },
  ];
  return (await aws.putPostRecoveryAlarms({ requestToken: stepToken('replace-alarms'), target: awsTarget(replacement.cell), cellId: id, alarms })).alarmNames;
}

const isHookRejected = (err: unknown): boolean => failureType(err) === ('HookRejected' satisfies HookErrorType);

/**
 * Backs up the failed cell's data, then deletes its stack and removes its record. A backup the
 * application refuses (its data cannot be read) keeps the cell and its stack: deleting them
 * would destroy the only copy of what the backup lacks.
 */
export async function decommissionFailedCell(ctx: ProcedureContext, state: ReplacementState, approval: ApprovalResult): Promise<void> {
  const { cell } = ctx;
  let backupId: string;
  try {
    backupId = (await dataHooks.backupCellData({ requestToken: stepToken('replace-decommission-backup'), cellId: cell.id })).backupId;
  } catch (err) {
    if (!isHookRejected(err)) throw err;
    const why = failureMessage(err);
    state.keepFailedCell(undefined, 'backup-failed', `its data could not be backed up (${why}); its stack is kept for data recovery`);
    await notifyOperator(ctx, 'replace-backup-failed', 'critical', `${cell.id} not decommissioned: no backup`, `${ctx.workflowId} could not back up ${cell.id} (${why}); its stack ${cell.stack.name} is kept, drained, until its data is recovered.`);
    return;
  }
  state.note(`${cell.id} backed up as ${backupId}`);
  await deleteStackAndWait(cell, 'replace-decommission-delete');
  await removeRecords([cell.route53], 'replace-decommission-unroute');
  const approvedBy = approval.kind === 'approved' ? approval.approvedBy.join(', ') : approval.kind === 'not-required' ? 'policy (no approval required)' : 'policy (proceed on timeout)';
  state.failedCell = { kind: 'decommissioned', backupId, approvedBy };
  state.note(`${cell.id} decommissioned (approved by ${approvedBy})`);
}

function cellEndState(state: ReplacementState): CellEndState {
  if (state.failedCell?.kind === 'decommissioned') return 'decommissioned';
  return state.stage === 'before-drain' ? 'in-service' : 'drained-operator-notified';
}

/** The final report: the shared one, plus what became of each cell. */
export function replacementReport(ctx: ProcedureContext, state: ReplacementState, outcome: ProcedureOutcome, error?: string): CellReplacementReport {
  const { cell } = ctx;
  const recommendations = [...state.recommendations];
  const serving = state.stage === 'in-service';
  if (serving) {
    recommendations.push(`Add ${state.replacement.id} (stack ${state.replacement.stack.name}, record ${state.replacement.route53.setIdentifier}) to the cell registry with its own alarms; ${state.alarms.join(', ') || 'no post-recovery alarms'} cover it until then.`);
  }
  if (state.failedCell?.kind === 'decommissioned') recommendations.push(`Remove ${cell.id} from the cell registry (backup ${state.failedCell.backupId}).`);
  else if (state.failedCell?.kind === 'kept' && state.stage !== 'before-drain') recommendations.push(`${cell.id} is kept drained, not decommissioned: ${state.failedCell.detail}.`);
  if (state.permitHeld && state.stage !== 'before-drain') recommendations.push(`${ctx.workflowId} still holds the drain permit of ${cell.id} (the cell is out with nothing replacing it); release it once the cell is dealt with.`);
  const customersAffected = state.customers?.customers ?? (state.stage === 'before-drain' ? 0 : cell.customers);
  const report = buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason: state.reason,
    outcome,
    cellEndState: cellEndState(state),
    endedAt: new Date().toISOString(),
    customersAffected,
    events: state.events,
    ...(state.customers?.kind === 'restored-from-backup' ? { dataLossWindow: state.customers.dataLossWindow } : {}),
    error: error ?? state.compensationError,
    recommendations,
  });
  return {
    ...report,
    replacement: {
      failedCellId: cell.id,
      replacementCellId: state.replacement.id,
      replacementInService: serving,
      ...(state.capacity ? { capacity: state.capacity } : {}),
      emergencyCells: state.emergencyCells,
      ...(state.customers ? { customers: state.customers } : {}),
      failedCell: state.failedCell ?? { kind: 'kept', because: 'failed', detail: error ?? '' },
      postRecoveryAlarms: state.alarms,
      permitReleased: !state.permitHeld,
    },
  };
}
