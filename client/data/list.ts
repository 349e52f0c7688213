/**
 * The procedures Temporal knows of, found through the search attributes every procedure keeps
 * current (`CellId`, `Procedure`, `Step`) and the execution status.
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { InvalidInputError } from './errors';

/** Execution statuses a filter may name (Temporal's, as its visibility queries spell them). */
export const EXECUTION_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'] as const;
export type ExecutionStatusFilter = (typeof EXECUTION_STATUSES)[number];

/** Every field is optional; given ones must all match. */
export interface ProcedureFilter {
  cellId?: string;
  procedure?: string;
  /** Case-insensitive: `running`, `Running`, `completed`, ... */
  status?: string;
  step?: string;
  /** At most this many rows (default 100). */
  limit?: number;
}

export interface ProcedureRow {
  workflowId: string;
  runId: string;
  workflowType: string;
  procedure?: string;
  cellId?: string;
  /** The step it is in (running) or was last in (closed). */
  step?: string;
  status: WorkflowExecutionStatusName;
  startTime: string;
  closeTime?: string;
}

export interface ProcedureList {
  /** The visibility query sent. */
  query: string;
  rows: ProcedureRow[];
  /** More matched than `limit`. */
  truncated: boolean;
}

// Search attribute values are interpolated into the query: accept only what ids and names use.
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;

function clause(field: string, value: string | undefined, label: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!SAFE_VALUE.test(value)) throw new InvalidInputError(`${label} "${value}": expected letters, digits and . _ : @ / -`);
  return `${field} = "${value}"`;
}

/** The visibility query for `filter`; procedures are the executions with a `Procedure` attribute. */
export function procedureQuery(filter: ProcedureFilter): string {
  let status: string | undefined;
  if (filter.status) {
    status = EXECUTION_STATUSES.find((s) => s.toLowerCase() === filter.status?.toLowerCase().replace(/[-_ ]/g, ''));
    if (!status) throw new InvalidInputError(`status "${filter.status}": expected one of ${EXECUTION_STATUSES.join(', ')}`);
  }
  const clauses = [
    clause(CellIdAttribute.name, filter.cellId, 'cell'),
    clause(ProcedureAttribute.name, filter.procedure, 'procedure'),
    clause('ExecutionStatus', status, 'status'),
    clause(StepAttribute.name, filter.step, 'step'),
  ].filter((c): c is string => c !== undefined);
  return clauses.join(' AND ');
}

/**
 * The procedures matching `filter`, newest first (as the server lists them). Executions
 * without a `Procedure` attribute (the fleet guard, the emergency cells' children) are left out.
 * @throws InvalidInputError for a filter value that cannot be queried.
 */
export async function listProcedures(client: Client, filter: ProcedureFilter = {}): Promise<ProcedureList> {
  const query = procedureQuery(filter);
  const limit = filter.limit ?? 100;
  const rows: ProcedureRow[] = [];
  let truncated = false;
  for await (const execution of client.workflow.list(query ? { query } : {})) {
    const procedure = execution.typedSearchAttributes.get(ProcedureAttribute);
    if (procedure === undefined) continue;
    if (rows.length >= limit) {
      truncated = true;
      break;
    }
    rows.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      workflowType: execution.type,
      procedure,
      cellId: execution.typedSearchAttributes.get(CellIdAttribute),
      step: execution.typedSearchAttributes.get(StepAttribute),
      status: execution.status.name,
      startTime: execution.startTime.toISOString(),
      closeTime: execution.closeTime?.toISOString(),
    });
  }
  return { query, rows, truncated };
}
