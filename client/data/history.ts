/** A procedure's event history in the JSON form replay tests load (`test/histories/*.json`). */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { isWorkflowNotFound, ProcedureNotFoundError } from './errors';

export interface ExportedHistory {
  workflowId: string;
  /** The run exported (default the latest). */
  runId?: string;
  events: number;
  /** `temporal workflow show -o json` form, loadable by `Worker.runReplayHistory`. */
  json: string;
}

/**
 * The history of `workflowId` (its latest run, or `runId`).
 * @throws ProcedureNotFoundError when there is no such workflow.
 */
export async function exportHistory(client: Client, workflowId: string, runId?: string): Promise<ExportedHistory> {
  const handle = client.workflow.getHandle(workflowId, runId);
  try {
    const history = await handle.fetchHistory();
    return { workflowId, runId, events: history.events?.length ?? 0, json: historyToJSON(history) + '\n' };
  } catch (err) {
    throw isWorkflowNotFound(err) ? new ProcedureNotFoundError(workflowId, client.options.namespace) : err;
  }
}
