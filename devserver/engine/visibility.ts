import { resetPointsInfo } from './reset-points';
import { versioningInfo } from '../deployments/routing';
import type { EngineContext } from './context';
import { invalidArgument } from './errors';
import { duration, enums, i64, timestamp, workflow, wsv } from './proto';
import { customAttributeTypes, decodeSearchAttributes, withTypeMetadata } from './search-attributes';
import type { ExecutionState, NamespaceState } from './types';
import {
  matchesQuery,
  parseVisibilityQuery,
  sortRecords,
  VisibilityQueryError,
  type ParsedQuery,
  type VisibilityRecord,
} from '../visibility/query';

const Status = enums.WorkflowExecutionStatus;

/** Status names as the visibility query language spells them (`ExecutionStatus = "Running"`). */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING]: 'Running',
  [Status.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'Completed',
  [Status.WORKFLOW_EXECUTION_STATUS_FAILED]: 'Failed',
  [Status.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'Canceled',
  [Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'Terminated',
  [Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'ContinuedAsNew',
  [Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'TimedOut',
};

const DEFAULT_PAGE_SIZE = 1000;

/** The visibility record of a run: built-in attributes plus its custom search attributes. */
export function visibilityRecord(ns: NamespaceState, exec: ExecutionState): VisibilityRecord {
  const record: VisibilityRecord = {
    ...decodeSearchAttributes(ns, exec.searchAttributes),
    WorkflowId: exec.workflowId,
    RunId: exec.runId,
    WorkflowType: exec.workflowType,
    ExecutionStatus: STATUS_NAMES[exec.status] ?? 'Unspecified',
    StartTime: new Date(exec.startTimeMs),
    ExecutionTime: new Date(exec.executionTimeMs),
    TaskQueue: exec.taskQueue,
    HistoryLength: exec.nextEventId - 1,
    HistorySizeBytes: exec.log.sizeBytes,
    StateTransitionCount: exec.stateTransitionCount,
    RootWorkflowId: exec.root.workflowId,
    RootRunId: exec.root.runId,
  };
  if (exec.parent) {
    record.ParentWorkflowId = exec.parent.workflowId;
    record.ParentRunId = exec.parent.runId;
  }
  if (exec.closeTimeMs > 0) {
    record.CloseTime = new Date(exec.closeTimeMs);
    record.ExecutionDuration = (exec.closeTimeMs - exec.executionTimeMs) * 1e6;
  }
  return record;
}

/** `WorkflowExecutionInfo` as List and Describe return it. */
export function executionInfo(ns: NamespaceState, exec: ExecutionState): workflow.IWorkflowExecutionInfo {
  const closed = exec.closeTimeMs > 0;
  return {
    execution: { workflowId: exec.workflowId, runId: exec.runId },
    type: { name: exec.workflowType },
    startTime: timestamp(exec.startTimeMs),
    closeTime: closed ? timestamp(exec.closeTimeMs) : null,
    status: exec.status,
    historyLength: i64(exec.nextEventId - 1),
    executionTime: timestamp(exec.executionTimeMs),
    memo: exec.memo ?? { fields: {} },
    searchAttributes: { indexedFields: withTypeMetadata(ns, exec.searchAttributes) },
    taskQueue: exec.taskQueue,
    stateTransitionCount: i64(exec.stateTransitionCount),
    historySizeBytes: i64(exec.log.sizeBytes),
    executionDuration: closed ? duration(exec.closeTimeMs - exec.executionTimeMs) : null,
    parentNamespaceId: exec.parent?.namespaceId ?? '',
    parentExecution: exec.parent ? { workflowId: exec.parent.workflowId, runId: exec.parent.runId } : null,
    rootExecution: { workflowId: exec.root.workflowId, runId: exec.root.runId },
    firstRunId: exec.firstExecutionRunId,
    autoResetPoints: resetPointsInfo(exec, ns.retentionMs),
    versioningInfo: versioningInfo(exec),
  };
}

function runsOf(ctx: EngineContext, ns: NamespaceState): ExecutionState[] {
  const runs: ExecutionState[] = [];
  for (const runIds of ns.runsByWorkflowId.values()) {
    for (const runId of runIds) {
      const exec = ctx.executions.get(runId);
      if (exec) runs.push(exec);
    }
  }
  return runs;
}

interface Selected {
  exec: ExecutionState;
  record: VisibilityRecord;
}

/** Runs matching a visibility query (empty: all), in its ORDER BY or Temporal's default order. */
function select(ctx: EngineContext, ns: NamespaceState, queryText: string): Selected[] {
  const all = runsOf(ctx, ns).map((exec) => ({ exec, record: visibilityRecord(ns, exec) }));
  let parsed: ParsedQuery;
  try {
    parsed = parseVisibilityQuery(queryText, customAttributeTypes(ns));
  } catch (err) {
    if (err instanceof VisibilityQueryError) throw invalidArgument(`Invalid query: ${err.message}`);
    throw err;
  }
  const matching = all.filter((s) => matchesQuery(parsed, s.record));
  const byRecord = new Map(matching.map((s) => [s.record, s]));
  return sortRecords(parsed, matching.map((s) => s.record)).map((r) => byRecord.get(r) as Selected);
}

function decodePageToken(token: Uint8Array | null | undefined): number {
  if (!token || token.length === 0) return 0;
  const offset = Number(Buffer.from(token).toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('Invalid next page token.');
  return offset;
}

/** ListWorkflowExecutions: one page of matching runs. */
export function listExecutions(
  ctx: EngineContext,
  ns: NamespaceState,
  queryText: string,
  pageSize: number,
  pageToken: Uint8Array | null | undefined,
): { executions: workflow.IWorkflowExecutionInfo[]; nextPageToken: Uint8Array } {
  const offset = decodePageToken(pageToken);
  const size = pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE;
  const selected = select(ctx, ns, queryText);
  const page = selected.slice(offset, offset + size);
  const next = offset + size < selected.length ? Buffer.from(String(offset + size)) : Buffer.alloc(0);
  return { executions: page.map((s) => executionInfo(ns, s.exec)), nextPageToken: next };
}

const GROUP_BY = /\s+group\s+by\s+([A-Za-z_][A-Za-z0-9_]*)\s*$/i;

/** CountWorkflowExecutions, including `GROUP BY ExecutionStatus` (the only grouping Temporal supports). */
export function countExecutions(
  ctx: EngineContext,
  ns: NamespaceState,
  queryText: string,
): wsv.ICountWorkflowExecutionsResponse {
  const text = ` ${queryText}`;
  const group = GROUP_BY.exec(text);
  if (!group) return { count: i64(select(ctx, ns, queryText).length), groups: [] };
  if (group[1] !== 'ExecutionStatus') {
    throw invalidArgument(`'GROUP BY' clause is only supported for ExecutionStatus search attribute, got ${group[1]}.`);
  }
  const selected = select(ctx, ns, text.slice(0, group.index));
  const counts = new Map<string, number>();
  for (const s of selected) {
    const name = String(s.record.ExecutionStatus);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const groups = [...counts.entries()].map(([name, count]) => ({
    groupValues: [
      {
        metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
        data: Buffer.from(JSON.stringify(name)),
      },
    ],
    count: i64(count),
  }));
  return { count: i64(selected.length), groups };
}
