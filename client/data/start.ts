/** Starting a procedure from the catalog, as an operator does. */
import type { Client } from '@temporalio/client';
import { catalogEntry } from '../../domain/procedures/catalog';
import type { Registry } from '../../domain/registry/schema';
import { startProcedure } from '../start-procedure';
import { InvalidInputError } from './errors';
import { workflowWebUiUrl } from './web-ui';

export interface StartInput {
  /** A procedure of the catalog (`domain/procedures/catalog.ts`). */
  procedure: string;
  cellId: string;
  reason: string;
  /** Who asks for it (four-eyes approvals compare against it). */
  by: string;
  registry: Registry;
  /** Web UI base URL for the link. */
  webUiUrl: string;
}

export interface StartResult {
  procedure: string;
  cellId: string;
  workflowId: string;
  runId: string;
  namespace: string;
  webUiUrl: string;
}

/**
 * Starts `procedure` on the cell under its recovery id.
 * @throws UnknownProcedureError, UnknownCellError (nothing started), AlreadyInRecoveryError.
 */
export async function startFromCatalog(client: Client, input: StartInput): Promise<StartResult> {
  const entry = catalogEntry(input.procedure);
  const reason = input.reason.trim();
  const by = input.by.trim();
  if (!reason) throw new InvalidInputError('a reason is required');
  if (!by) throw new InvalidInputError('who starts it is required (--by, or CELLOPS_USER / USER)');
  const handle = await startProcedure(client, { procedure: entry.procedure, input: { cellId: input.cellId, reason, requestedBy: by, registry: input.registry } });
  const runId = handle.firstExecutionRunId;
  const namespace = client.options.namespace;
  return { procedure: entry.procedure, cellId: input.cellId, workflowId: handle.workflowId, runId, namespace, webUiUrl: workflowWebUiUrl(input.webUiUrl, namespace, handle.workflowId, runId) };
}
