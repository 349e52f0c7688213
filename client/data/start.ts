/** Starting a procedure from the catalog, as an operator does. */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { catalogEntry, type CatalogEntry } from '../../domain/procedures/catalog';
import type { Registry } from '../../domain/registry/schema';
import { startCascadeRecovery, startProcedure, startRouterFailover } from '../start-procedure';
import { InvalidInputError } from './errors';
import { subjectOf } from './plan';
import { workflowWebUiUrl } from './web-ui';

export interface StartInput {
  /** A procedure of the catalog (`domain/procedures/catalog.ts`). */
  procedure: string;
  /** The cell, for a procedure of one cell; absent for one of the whole fleet. */
  cellId?: string;
  reason: string;
  /** Who asks for it (four-eyes approvals compare against it). */
  by: string;
  registry: Registry;
  /** Web UI base URL for the link. */
  webUiUrl: string;
}

export interface StartResult {
  procedure: string;
  /** The cell, or the subject of a procedure of the fleet (`router`, `fleet`). */
  cellId: string;
  workflowId: string;
  runId: string;
  namespace: string;
  webUiUrl: string;
}

/**
 * Starts `procedure`: on a cell (or a new cell) under its recovery id, or on the fleet under the fleet's id for
 * that procedure (`router-recovery-<fleet>`, `cascade-recovery-<fleet>`).
 * @throws UnknownProcedureError, UnknownCellError, CellAlreadyExistsError, InvalidInputError (nothing started), AlreadyInRecoveryError.
 */
export async function startFromCatalog(client: Client, input: StartInput): Promise<StartResult> {
  const entry = catalogEntry(input.procedure);
  const subject = subjectOf(entry, input.cellId);
  const reason = input.reason.trim();
  const by = input.by.trim();
  if (!reason) throw new InvalidInputError('a reason is required');
  if (!by) throw new InvalidInputError('who starts it is required (--by, or CELLOPS_USER / USER)');
  const handle = await start(client, entry, subject, { reason, requestedBy: by, registry: input.registry });
  const runId = handle.firstExecutionRunId;
  const namespace = client.options.namespace;
  return { procedure: entry.procedure, cellId: subject, workflowId: handle.workflowId, runId, namespace, webUiUrl: workflowWebUiUrl(input.webUiUrl, namespace, handle.workflowId, runId) };
}

async function start(client: Client, entry: CatalogEntry, subject: string, input: { reason: string; requestedBy: string; registry: Registry }): Promise<WorkflowHandleWithFirstExecutionRunId> {
  if (entry.scope === 'cell' || entry.scope === 'new-cell') return await startProcedure(client, { procedure: entry.procedure, input: { ...input, cellId: subject } });
  switch (entry.procedure) {
    case 'routerFailover':
      return await startRouterFailover(client, input);
    case 'cascadeRecovery':
      return await startCascadeRecovery(client, input);
    default:
      throw new InvalidInputError(`${entry.procedure} cannot be started from the catalog`);
  }
}
