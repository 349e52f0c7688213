/**
 * What the cell provisioning, decommissioning and capacity watch tests share: starting them the
 * way every entry point does, waiting (with time skipped) for a step, and the fleet guard's
 * lifecycle states.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startProcedure } from '../../client/start-procedure';
import type { CellDecommissioningInput, CellProvisioningInput } from '../../domain/procedures/cell-lifecycle';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { cellStatesQuery, progressQuery } from '../../workflows/messages';
import type { TestFleet } from '../helpers/procedures-environment';

export async function startProvisioning(env: TestWorkflowEnvironment, fleet: TestFleet, cellId = 'cell-004', extra: Partial<CellProvisioningInput> = {}): Promise<WorkflowHandle> {
  return await startProcedure(env.client, { procedure: 'cellProvisioning', input: { ...fleet.input(cellId), reason: 'test: more capacity', ...extra } });
}

export async function startDecommissioning(env: TestWorkflowEnvironment, fleet: TestFleet, cellId: string, extra: Partial<CellDecommissioningInput> = {}): Promise<WorkflowHandle> {
  return await startProcedure(env.client, { procedure: 'cellDecommissioning', input: { ...fleet.input(cellId), reason: 'test: retire the cell', ...extra } });
}

/** Skips time a minute at a time until `until` holds; fails after `maxMinutes`. */
export async function skipUntil(env: TestWorkflowEnvironment, handle: WorkflowHandle, until: (p: ProcedureProgress) => boolean, maxMinutes = 60): Promise<ProcedureProgress> {
  for (let minute = 0; minute <= maxMinutes; minute++) {
    const progress = await handle.query(progressQuery);
    if (until(progress)) return progress;
    if (['completed', 'failed', 'aborted'].includes(progress.state)) break;
    await env.sleep(60_000);
  }
  throw new Error(`the awaited state did not come within ${maxMinutes} minutes; progress: ${JSON.stringify(await handle.query(progressQuery))}`);
}

export const running = (step: string) => (p: ProcedureProgress) => p.steps.some((s) => s.name === step && s.status === 'running');

/** The fleet guard's lifecycle states, `cellId: state`. */
export async function cellStates(env: TestWorkflowEnvironment): Promise<Record<string, string>> {
  const records = await env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(cellStatesQuery);
  return Object.fromEntries(records.map((r) => [r.cellId, r.state]));
}

/** The result of a run that ended either way: its report (a failure carries it in its details). */
export async function reportOf<R>(handle: WorkflowHandle): Promise<R> {
  try {
    return (await handle.result()) as R;
  } catch (err) {
    let cause: unknown = err;
    while (cause instanceof Error) {
      const details = (cause as { details?: unknown[] }).details;
      if (Array.isArray(details) && details.length > 0) return details[0] as R;
      cause = cause.cause;
    }
    throw err;
  }
}
