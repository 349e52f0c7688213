/**
 * The steps of cascade recovery that are its own: the fleet as the procedure's "cell", reading
 * which cells failed, the router's load-shedding and circuit-breaker switches (parameters of the
 * router's CloudFormation stack), waiting for the fleet to be stable, and recovering one cell
 * in a child workflow. What the procedure remembers on the way is in {@link CascadeState}.
 */
import { ApplicationFailure, ChildWorkflowFailure, condition, getExternalWorkflowHandle, patched, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { decideRecovery } from '../../domain/decision-matrix';
import { failureTypeOf } from '../../domain/incidents';
import {
  CIRCUIT_BREAKERS_PARAMETER,
  FLEET_ID,
  LOAD_SHEDDING_PARAMETER,
  STABLE_CHECKS_NEEDED,
  type CascadeCellLine,
  type CascadeRecoveryInput,
} from '../../domain/procedures/cascade-recovery';
import { decidePermit } from '../../domain/procedures/drain-permits';
import { ProcedureFailure } from '../../domain/procedures/failure-types';
import type { CellRestartInput } from '../../domain/procedures/input';
import type { ProcedureName } from '../../domain/procedures/progress';
import type { ProcedureReport, TimelineEntry } from '../../domain/procedures/report';
import type { CellReplacementInput } from '../../domain/procedures/replacement';
import { awsTarget, fleetCapacity } from '../../domain/registry/lookup';
import type { Cell, StackSpec } from '../../domain/registry/schema';
import { recoveryWorkflowId } from '../../domain/workflow-ids';
import { abortSignal } from '../messages';
import { aws, guard, stackWait } from './proxies';
import { stepToken, type ProcedureContext } from './context';
import { failureMessage, failureType } from './failures';
import { cellHealth, healthProblems } from './health';
import type { ProcedureRun } from './procedure-run';

/** Where the cascade is, which decides what the end (or an abort) leaves behind. */
export type CascadeStage = 'assessing' | 'shedding' | 'recovering' | 'lifting' | 'done';

/** A failed cell as the assessment found it. */
export interface FailedCell {
  cell: Cell;
  problems: string[];
  /** The procedure the decision matrix chose for it alone, or undefined when a person must act. */
  procedure?: ProcedureName;
  why: string;
}

/** What the procedure knows beyond its progress: for the end and for the report. */
export class CascadeState {
  stage: CascadeStage = 'assessing';
  failed: FailedCell[] = [];
  readonly lines: CascadeCellLine[] = [];
  emergencyCells: Cell[] = [];
  sheddingPercent = 0;
  openCircuitBreakers: string[] = [];
  fleetStable = false;
  readonly events: TimelineEntry[] = [];
  readonly recommendations: string[] = [];

  note(event: string): void {
    this.events.push({ at: new Date().toISOString(), event });
  }

  line(cellId: string): CascadeCellLine {
    const line = this.lines.find((l) => l.cellId === cellId);
    if (!line) throw new Error(`no report line for ${cellId}`);
    return line;
  }

  /**
   * The cells expected healthy and in service: the cells that did not fail, the failed ones
   * recovered in place (restarted), and the emergency cells. Cells still to recover, or whose
   * recovery failed, are left out (their circuit breakers stay open).
   */
  expectedHealthy(cells: readonly Cell[]): Cell[] {
    const failedIds = new Set(this.failed.map((f) => f.cell.id));
    const restarted = new Set(this.lines.filter((l) => l.outcome === 'recovered' && l.cellEndState === 'in-service').map((l) => l.cellId));
    return [...cells.filter((c) => !failedIds.has(c.id) || restarted.has(c.id)), ...this.emergencyCells];
  }
}

/**
 * The fleet in the place of the procedure's cell (for notifications, approval gates and the
 * shared steps), with the router's stack that carries the switches.
 */
export interface CascadeContext extends ProcedureContext {
  routerStack: StackSpec;
}

/** Builds the context; fails the workflow (not the task) when the input or the registry cannot be acted on. */
export function cascadeContext(run: ProcedureRun, input: CascadeRecoveryInput, problems: string[]): CascadeContext {
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`cascade recovery input is invalid: ${problems.join('; ')}`, 'InvalidInput');
  const { registry } = input;
  const routerStack = registry.router.stack;
  if (!routerStack) throw ApplicationFailure.nonRetryable("the registry's router has no stack: cascade recovery sheds load and opens circuit breakers through it", ProcedureFailure.RouterNotConfigured);
  const fleet: Cell = {
    id: FLEET_ID,
    region: registry.fleet.region,
    priority: 0,
    capacity: registry.cells.reduce((sum, c) => sum + c.capacity, 0),
    customers: registry.cells.reduce((sum, c) => sum + c.customers, 0),
    stack: routerStack,
    route53: registry.router.primary,
    alarms: [],
    metrics: registry.router.metrics ?? registry.cells[0].metrics,
  };
  return { run, registry, cell: fleet, workflowId: workflowInfo().workflowId, traffic: { inServiceWeight: 0, currentWeight: 0 }, routerStack };
}

/**
 * Which cells failed: every cell's alarms and metrics over the policy's window; a cell with
 * problems is failed, and the decision matrix says (for it alone) what recovers it.
 * @throws ApplicationFailure `NoFailedCells` when every cell is healthy.
 */
export async function assessFailedCells(ctx: CascadeContext): Promise<FailedCell[]> {
  const policy = ctx.registry.policies.health;
  const failed: FailedCell[] = [];
  for (const cell of ctx.registry.cells) {
    const health = await cellHealth(cell, policy.windowSeconds, `assess-${cell.id}`);
    const problems = healthProblems(health, policy);
    if (problems.length === 0) continue;
    const failureType = health.inAlarm.length > 0 ? failureTypeOf({ alarmName: health.inAlarm[0] }, cell) : 'elevated-errors';
    const decision = decideRecovery({ failureType, impact: failureType === 'unavailable' || failureType === 'infrastructure-lost' ? 'outage' : 'degraded', dataIntegrity: 'intact', scope: 'single' });
    failed.push({ cell, problems, procedure: decision.action === 'start' && isCellProcedure(decision.procedure) ? decision.procedure : undefined, why: decision.why });
  }
  if (failed.length === 0) throw ApplicationFailure.nonRetryable('no cell of the fleet is unhealthy: there is no cascade to recover', ProcedureFailure.NoFailedCells);
  return failed;
}

const isCellProcedure = (p: ProcedureName): boolean => p === 'cellRestart' || p === 'cellReplacement';

/**
 * Sets the router's switches in one stack update (the template as the registry has it, both
 * parameters given, so neither resets the other) and waits for the stack to be stable.
 */
export async function setRouterSwitches(ctx: CascadeContext, sheddingPercent: number, openBreakers: readonly string[], step: string): Promise<void> {
  const stack: StackSpec = {
    ...ctx.routerStack,
    parameters: { ...ctx.routerStack.parameters, [LOAD_SHEDDING_PARAMETER]: String(sheddingPercent), [CIRCUIT_BREAKERS_PARAMETER]: openBreakers.join(',') },
  };
  const target = awsTarget(ctx.cell);
  await aws.deployCellStack({ requestToken: stepToken(step), target, stack, tags: { 'cellops:changed-by': ctx.workflowId } });
  await stackWait.waitForStack({ requestToken: stepToken(`${step}-wait`), target, stackName: stack.name, until: 'stable' });
}

/**
 * Waits until the cells expected healthy pass {@link STABLE_CHECKS_NEEDED} consecutive
 * one-minute checks, for at most `maxChecks` checks. Returns whether they did; the last
 * problems are in `problems`.
 */
export async function awaitFleetStable(ctx: CascadeContext, cells: () => Cell[], maxChecks: number, step: string, problems: string[] = []): Promise<boolean> {
  let healthyInARow = 0;
  for (let check = 1; check <= maxChecks; check++) {
    await ctx.run.pace(60_000);
    problems.length = 0;
    for (const cell of cells()) {
      const health = await cellHealth(cell, 60, `${step}-${check}-${cell.id}`);
      for (const p of healthProblems(health, ctx.registry.policies.health)) problems.push(`${cell.id}: ${p}`);
    }
    healthyInARow = problems.length === 0 ? healthyInARow + 1 : 0;
    if (healthyInARow >= STABLE_CHECKS_NEEDED) return true;
  }
  return false;
}

/**
 * Cascades started before this change start every cell's child and let its permit request be
 * refused; since, the cascade asks the guard first and holds a cell back without starting it.
 */
export const CASCADE_PERMIT_CHECK_PATCH = 'cascade-permit-check-before-child';
/** A cell whose own recovery is already running is left to it (`already-in-recovery`) instead of failing the cascade. */
export const CASCADE_CELL_ALREADY_IN_RECOVERY_PATCH = 'cascade-cell-already-in-recovery';

/**
 * Recovers one failed cell in its child workflow, under the cell's recovery id (so no other
 * recovery of the cell runs at the same time). An abort of the cascade is passed on to the
 * child, which puts its cell back as its own runbook says. The child's failure is recorded on
 * the cell's line, never thrown: the cascade goes on with the other cells.
 *
 * Before starting the child, the fleet guard's permits are read and the guard's own rule
 * applied: when the cell's procedure would be refused its drain permit (the blast radius used
 * up, typically by a cell an earlier failed replacement left drained, which stays counted as
 * out), the child is not started and the line says `held-back`, with who holds the permits.
 * A child refused its permit all the same (the permits changed in between) is `held-back` too.
 * A cell whose own recovery is already running (same recovery id) is `already-in-recovery`.
 * @returns whether a child was started (a held-back, already-in-recovery or manual cell changed nothing).
 */
export async function recoverCell(ctx: CascadeContext, input: CascadeRecoveryInput, failed: FailedCell, line: CascadeCellLine): Promise<boolean> {
  const { cell } = failed;
  const procedure = failed.procedure;
  if (!procedure) {
    line.outcome = 'manual';
    line.detail = failed.why;
    return false;
  }
  const workflowId = recoveryWorkflowId(cell.id);
  const checkPermitFirst = patched(CASCADE_PERMIT_CHECK_PATCH);
  if (checkPermitFirst) {
    const refusal = await permitRefusal(ctx, cell, workflowId);
    if (refusal) {
      line.outcome = 'held-back';
      line.detail = `not started: the fleet guard would refuse to let ${cell.id} out of service: ${refusal}`;
      return false;
    }
  }
  const base = { cellId: cell.id, reason: `cascade recovery (${ctx.workflowId}): ${failed.problems.join('; ')}`, requestedBy: input.requestedBy, registry: input.registry };
  line.workflowId = workflowId;
  let child;
  try {
    child =
      procedure === 'cellRestart'
        ? await startChild('cellRestart', { workflowId, args: [{ ...base, partOfCascade: true } satisfies CellRestartInput] })
        : await startChild('cellReplacement', { workflowId, args: [base satisfies CellReplacementInput] });
  } catch (err) {
    // The cell's own recovery (started by an alarm or an operator before the cascade reached it)
    // is still running under the same id: it owns the cell, the cascade neither disturbs it nor waits.
    if (err instanceof WorkflowExecutionAlreadyStartedError && patched(CASCADE_CELL_ALREADY_IN_RECOVERY_PATCH)) {
      line.outcome = 'already-in-recovery';
      line.detail = `not started: ${workflowId} is already recovering ${cell.id}`;
      return false;
    }
    throw err;
  }
  let finished = false;
  // An abort of the cascade while the child runs is the child's abort too.
  void condition(() => finished || ctx.run.abortRequested !== undefined).then(async () => {
    const request = ctx.run.abortRequested;
    if (finished || !request) return;
    await getExternalWorkflowHandle(workflowId).signal(abortSignal, request).catch(() => undefined);
  });
  try {
    const report = (await child.result()) as ProcedureReport;
    line.childOutcome = report.outcome;
    line.cellEndState = report.cellEndState;
    line.outcome = report.outcome === 'completed' ? 'recovered' : report.outcome === 'aborted' ? 'aborted' : 'failed';
    if (report.error) line.detail = report.error;
  } catch (err) {
    line.outcome = checkPermitFirst && failureType(err) === ProcedureFailure.DrainPermitRefused ? 'held-back' : 'failed';
    line.detail = failureMessage(err);
    const childReport = err instanceof ChildWorkflowFailure ? reportIn(err.cause) : undefined;
    if (childReport) {
      line.childOutcome = childReport.outcome;
      line.cellEndState = childReport.cellEndState;
    }
  } finally {
    finished = true;
  }
  return true;
}

/**
 * Why the fleet guard would refuse the cell's procedure (holder `workflowId`) a drain permit
 * now, naming the procedures holding the permits; undefined when it would grant it. The guard's
 * own rule (`decidePermit`) on the permits it holds, with the registry's limits.
 */
async function permitRefusal(ctx: CascadeContext, cell: Cell, workflowId: string): Promise<string | undefined> {
  const held = await guard.heldDrainPermits();
  const limits = { ...ctx.registry.policies.blastRadius, fleetCapacity: fleetCapacity(ctx.registry) };
  const verdict = decidePermit({ holder: workflowId, cellId: cell.id, capacity: cell.capacity }, held, limits);
  if (verdict.granted) return undefined;
  return `${verdict.reason}; held by ${held.map((p) => `${p.holder} (${p.cellId} since ${p.grantedAt})`).join(', ')}`;
}

function reportIn(cause: unknown): ProcedureReport | undefined {
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const first: unknown = cause.details?.[0];
  return typeof first === 'object' && first !== null && 'outcome' in first ? (first as ProcedureReport) : undefined;
}
