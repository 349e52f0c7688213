/**
 * The steps of point-in-time recovery that are its own (the shared ones are in the other lib
 * files), and what the procedure remembers on the way for putting things back and its report.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ApplicationHooks, HookErrorType, ValidateDataIntegrityResult } from '../../activities/hooks';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import type { PointInTimeDetails, RecoveryEnvironmentOutcome, RecoveryPoint } from '../../domain/procedures/point-in-time-recovery';
import { buildReport, type CellEndState, type DataLossWindow, type ProcedureOutcome, type TimelineEntry } from '../../domain/procedures/report';
import { dataLossWindow } from '../../domain/procedures/replacement';
import { awsTarget, cellsByPriority } from '../../domain/registry/lookup';
import type { Cell } from '../../domain/registry/schema';
import { HOOKS_TASK_QUEUE } from '../../domain/task-queues';
import type { PointInTimeRecoveryReport } from '../../domain/procedures/point-in-time-recovery';
import { aws } from './proxies';
import { stepToken, type ProcedureContext } from './context';

const nonRetryableHooks: HookErrorType[] = ['HookRejected', 'HookResponseInvalid'];

/** Moving customers and checking a whole cell's data can take long: the hooks heartbeat while they work. */
const dataHookCall = {
  taskQueue: HOOKS_TASK_QUEUE,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: nonRetryableHooks },
} as const;
const dataHooks = proxyActivities<Pick<ApplicationHooks, 'migrateCustomers' | 'validateDataIntegrity'>>(dataHookCall);

/** How far recovery got, which decides how a failure or an abort is wound back. */
export type PitrStage = 'before-isolation' | 'isolated' | 'building' | 'promoting' | 'promoted';

/** What the procedure knows beyond its progress. */
export class PitrState {
  stage: PitrStage = 'before-isolation';
  permitHeld = false;
  writesStoppedAt?: string;
  customersMovedTo?: string;
  customersMoved = 0;
  recoveryPoint?: RecoveryPoint;
  /** The recovery environment's stack or record may exist (set before they are created, so a failed create is cleaned up too). */
  built = false;
  registered = false;
  environment: RecoveryEnvironmentOutcome = 'not-built';
  integrity?: ValidateDataIntegrityResult;
  compensationError?: string;
  readonly events: TimelineEntry[] = [];

  note(event: string): void {
    this.events.push({ at: new Date().toISOString(), event });
  }

  /** Writes after the recovery point and before the isolation are lost. */
  dataLossWindow(): DataLossWindow | undefined {
    if (this.recoveryPoint?.found !== true || this.writesStoppedAt === undefined) return undefined;
    return dataLossWindow(this.recoveryPoint.recoveryPoint, this.writesStoppedAt);
  }
}

/** Where the cell's active customers go while it is recovered: the first other cell in recovery order. */
export function interimCell(ctx: ProcedureContext): Cell {
  const other = cellsByPriority(ctx.registry).find((c) => c.id !== ctx.cell.id);
  if (other === undefined) throw ApplicationFailure.nonRetryable(`${ctx.cell.id} is the only cell: its customers have nowhere to go while it is recovered`, 'NoInterimCell');
  return other;
}

/** Moves `customers` (all, when undefined) from one cell to another through the application's hook. */
export async function migrate(from: string, to: string, step: string, customers?: number): Promise<number> {
  const moved = await dataHooks.migrateCustomers({ requestToken: stepToken(step), fromCellId: from, toCellId: to, ...(customers === undefined ? {} : { customers }) });
  return moved.migratedCustomers;
}

/**
 * The recovery point from the cell's alarm history.
 * @throws ApplicationFailure `NoKnownGoodRecoveryPoint` (non-retryable) saying why there is none.
 */
export async function pickRecoveryPoint(ctx: ProcedureContext, state: PitrState, lookbackSeconds: number): Promise<RecoveryPoint> {
  const point = await aws.findRecoveryPoint({ requestToken: stepToken('pitr-recovery-point'), target: awsTarget(ctx.cell), cellId: ctx.cell.id, alarms: ctx.cell.alarms, lookbackSeconds, endTime: state.writesStoppedAt });
  state.recoveryPoint = point.found
    ? { found: true, recoveryPoint: point.recoveryPoint, incidentStartedAt: point.incidentStartedAt, marginSeconds: point.marginSeconds }
    : { found: false, reason: point.reason };
  if (!point.found) {
    throw ApplicationFailure.create({ type: ProcedureFailure.NoKnownGoodRecoveryPoint, nonRetryable: true, message: `no known-good recovery point for ${ctx.cell.id}: ${point.reason}` });
  }
  state.note(`recovery point ${point.recoveryPoint} (alarms left OK at ${point.incidentStartedAt}, less their ${point.marginSeconds} s look-back)`);
  return state.recoveryPoint;
}

/**
 * Validates the recovered data through the application's hook.
 * @throws ApplicationFailure `IntegrityValidationFailed` (non-retryable) listing the problems.
 */
export async function validateIntegrity(cell: Cell, state: PitrState, step: string): Promise<ValidateDataIntegrityResult> {
  const result = await dataHooks.validateDataIntegrity({ requestToken: stepToken(step), cellId: cell.id });
  state.integrity = result;
  if (!result.ok) {
    throw ApplicationFailure.create({
      type: ProcedureFailure.IntegrityValidationFailed,
      nonRetryable: true,
      message: `the data of ${cell.id} did not validate (${result.checkedCustomers} customers checked): ${result.problems.join('; ')}`,
      details: [result],
    });
  }
  return result;
}

/**
 * The context of the promotion gate: promoting a restore accepts losing the writes of the
 * data-loss window, so a person decides it whatever the policy's list of gated steps says.
 */
export function withPromoteGate(ctx: ProcedureContext): ProcedureContext {
  const approvals = ctx.registry.policies.approvals;
  if (approvals.required.includes('promote')) return ctx;
  return { ...ctx, registry: { ...ctx.registry, policies: { ...ctx.registry.policies, approvals: { ...approvals, required: [...approvals.required, 'promote'] } } } };
}

function cellEndState(state: PitrState): CellEndState {
  if (state.stage === 'before-isolation') return 'in-service';
  // Promoted or not, the corrupted cell itself stays out: its data is not to be trusted.
  return 'drained-operator-notified';
}

/** The final report: the shared one (with the data-loss window), plus what point-in-time recovery did. */
export function pitrReport(ctx: ProcedureContext, recovery: Cell, state: PitrState, reason: string, outcome: ProcedureOutcome, error?: string): PointInTimeRecoveryReport {
  const { cell } = ctx;
  const window = state.environment === 'promoted' ? state.dataLossWindow() : undefined;
  const recommendations: string[] = [];
  if (state.environment === 'promoted') {
    recommendations.push(`Add ${recovery.id} (stack ${recovery.stack.name}, record ${recovery.route53.setIdentifier}) to the cell registry; it serves ${cell.id}'s customers from data restored to ${state.recoveryPoint?.found === true ? state.recoveryPoint.recoveryPoint : '?'}.`);
    recommendations.push(`${cell.id} is kept drained with its stack ${cell.stack.name} for the investigation of the corruption; decommission it once done.`);
  } else if (state.stage !== 'before-isolation') {
    recommendations.push(`${cell.id} is isolated (drained, its data suspect)${state.customersMovedTo ? `; its ${state.customersMoved} active customers are served by ${state.customersMovedTo}` : ''}. Decide how to recover its data.`);
  }
  if (state.permitHeld && state.stage !== 'before-isolation') recommendations.push(`${ctx.workflowId} still holds the drain permit of ${cell.id}; release it once the cell is dealt with.`);
  const base = buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason,
    outcome,
    cellEndState: cellEndState(state),
    endedAt: new Date().toISOString(),
    customersAffected: state.stage === 'before-isolation' ? 0 : cell.customers,
    events: state.events,
    ...(window ? { dataLossWindow: window } : {}),
    error: error ?? state.compensationError,
    recommendations,
  });
  const details: PointInTimeDetails = {
    recoveryCellId: recovery.id,
    ...(state.customersMovedTo ? { customersMovedTo: state.customersMovedTo } : {}),
    customersMoved: state.customersMoved,
    ...(state.recoveryPoint ? { recoveryPoint: state.recoveryPoint } : {}),
    recoveryEnvironment: state.environment,
    ...(state.integrity ? { integrity: state.integrity } : {}),
    ...(window ? { dataLossWindow: window } : {}),
    permitReleased: !state.permitHeld,
  };
  return { ...base, pointInTime: details };
}
