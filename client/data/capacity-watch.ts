/**
 * The capacity watch of a fleet (`capacity-watch-<fleet>`, one per fleet) as operators start,
 * read and stop it. Pausing, resuming and stopping are the procedures' own actions
 * (`actions.ts`) on its id.
 */
import type { Client } from '@temporalio/client';
import type { CapacityWatchInput, CapacityWatchStatus } from '../../domain/procedures/capacity-watch';
import type { Registry } from '../../domain/registry/schema';
import { capacityWatchWorkflowId } from '../../domain/workflow-ids';
import { capacityWatchQuery } from '../../workflows/messages';
import { AlreadyInRecoveryError, startCapacityWatch } from '../start-procedure';
import { ActionRefusedError, InvalidInputError, isWorkflowNotFound, ProcedureNotFoundError } from './errors';
import { workflowWebUiUrl } from './web-ui';

export interface CapacityWatchStart {
  registry: Registry;
  /** Who starts it. */
  by: string;
  reason: string;
  options?: CapacityWatchInput['options'];
  /** Web UI base URL for the link. */
  webUiUrl: string;
}

export interface CapacityWatchStarted {
  fleet: string;
  workflowId: string;
  runId: string;
  namespace: string;
  webUiUrl: string;
}

/** The watch as it is now: running with its latest status, or how its last run ended. */
export interface CapacityWatchView {
  fleet: string;
  workflowId: string;
  runId: string;
  /** The workflow's status: RUNNING, COMPLETED, TERMINATED, ... */
  status: string;
  /** The `capacityWatch` query's answer while it runs. */
  watch?: CapacityWatchStatus;
  webUiUrl: string;
}

const QUERY_TIMEOUT_MS = 5_000;

/**
 * Starts the fleet's capacity watch.
 * @throws InvalidInputError (nothing started), ActionRefusedError when one already runs.
 */
export async function startFleetCapacityWatch(client: Client, input: CapacityWatchStart): Promise<CapacityWatchStarted> {
  const by = input.by.trim();
  const reason = input.reason.trim();
  if (!by) throw new InvalidInputError('who starts it is required (--by, or CELLOPS_USER / USER)');
  if (!reason) throw new InvalidInputError('a reason is required');
  const fleet = input.registry.fleet.name;
  try {
    const handle = await startCapacityWatch(client, { registry: input.registry, requestedBy: by, reason, ...(input.options ? { options: input.options } : {}) });
    const namespace = client.options.namespace;
    return { fleet, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, namespace, webUiUrl: workflowWebUiUrl(input.webUiUrl, namespace, handle.workflowId, handle.firstExecutionRunId) };
  } catch (err) {
    if (err instanceof AlreadyInRecoveryError) throw new ActionRefusedError(err.workflowId, 'start', `the capacity watch of ${fleet} is already running; \`cellops capacity-watch status\` shows it`);
    throw err;
  }
}

/**
 * The fleet's capacity watch: its latest run's status and, while it runs, what it watches and decided.
 * @throws ProcedureNotFoundError when the fleet never had one.
 */
export async function getCapacityWatch(client: Client, fleet: string, webUiUrl: string): Promise<CapacityWatchView> {
  const workflowId = capacityWatchWorkflowId(fleet);
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe().catch((err: unknown) => {
    throw isWorkflowNotFound(err) ? new ProcedureNotFoundError(workflowId, client.options.namespace) : err;
  });
  const status = described.status.name;
  const watch = status === 'RUNNING' ? await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(capacityWatchQuery)) : undefined;
  return { fleet, workflowId, runId: described.runId, status, ...(watch ? { watch } : {}), webUiUrl: workflowWebUiUrl(webUiUrl, client.options.namespace, workflowId, described.runId) };
}
