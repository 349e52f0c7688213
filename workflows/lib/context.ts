/** What the shared steps need to know about the procedure they run in. */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../../domain/procedures/input';
import { UnknownCellError, findCell } from '../../domain/registry/lookup';
import type { Cell, Registry } from '../../domain/registry/schema';
import type { ProcedureRun } from './procedure-run';

/** The cell's traffic as the procedure last set it. */
export interface CellTrafficState {
  /** The weight the cell carries in service (the registry's). */
  inServiceWeight: number;
  /** The weight last written (or read, before any write). */
  currentWeight: number;
}

export interface ProcedureContext {
  run: ProcedureRun;
  registry: Registry;
  cell: Cell;
  workflowId: string;
  traffic: CellTrafficState;
}

/** Builds the context for `input.cellId`; fails the workflow (not the task) on an unknown cell. */
export function procedureContext(run: ProcedureRun, input: ProcedureInput): ProcedureContext {
  let cell: Cell;
  try {
    cell = findCell(input.registry, input.cellId);
  } catch (err) {
    if (err instanceof UnknownCellError) throw ApplicationFailure.nonRetryable(err.message, 'UnknownCell');
    throw err;
  }
  return {
    run,
    registry: input.registry,
    cell,
    workflowId: workflowInfo().workflowId,
    traffic: { inServiceWeight: cell.route53.weight, currentWeight: cell.route53.weight },
  };
}

/**
 * The idempotency key of one step's side effect: the workflow id, the first run of the chain
 * (stable across retries, replays and continue-as-new, new for a later procedure reusing the
 * id) and the step. Every activity input's `requestToken` comes from here.
 */
export function stepToken(step: string): string {
  const info = workflowInfo();
  return `${info.workflowId}-${info.firstExecutionRunId}-${step}`;
}

/** The context of the shared steps, for another cell (a replacement, a new cell) starting at `currentWeight`. */
export function withCell(ctx: ProcedureContext, cell: Cell, currentWeight: number, inServiceWeight = cell.route53.weight): ProcedureContext {
  return { ...ctx, cell, traffic: { inServiceWeight, currentWeight } };
}

/** The context of a procedure on a cell the registry does not list yet (a new cell), at weight 0 until it joins routing. */
export function newCellContext(run: ProcedureRun, registry: Registry, cell: Cell, inServiceWeight = cell.route53.weight): ProcedureContext {
  return { run, registry, cell, workflowId: workflowInfo().workflowId, traffic: { inServiceWeight, currentWeight: 0 } };
}
