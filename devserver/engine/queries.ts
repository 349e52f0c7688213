import { enums, type common, type failure, type query } from './proto';

/** The outcome of a query as the worker reported it. */
export type QueryOutcome =
  | { ok: true; answer: common.IPayloads | null | undefined }
  | { ok: false; message: string; failure: failure.IFailure | null | undefined };

/**
 * Where a query is:
 * - `buffered`: waiting for the run's next workflow task (consistent query);
 * - `attached`: delivered in the `queries` map of a started workflow task;
 * - `direct`: waiting in the task queue as a query-only (legacy) task;
 * - `dispatched`: a worker holds the query-only task.
 */
export type QueryPhase = 'buffered' | 'attached' | 'direct' | 'dispatched';

/** An in-flight query. Queries are not history: they live only as long as the caller waits. */
export interface PendingQuery {
  id: string;
  namespace: string;
  runId: string;
  query: query.IWorkflowQuery;
  phase: QueryPhase;
  resolve(outcome: QueryOutcome): void;
}

/** In-flight queries by id and by run. */
export class QueryRegistry {
  private readonly byId = new Map<string, PendingQuery>();
  private readonly byRun = new Map<string, Set<string>>();

  add(q: PendingQuery): void {
    this.byId.set(q.id, q);
    let ids = this.byRun.get(q.runId);
    if (!ids) {
      ids = new Set();
      this.byRun.set(q.runId, ids);
    }
    ids.add(q.id);
  }

  get(id: string): PendingQuery | undefined {
    return this.byId.get(id);
  }

  /** Removes the query and hands `outcome` to its caller (once). */
  settle(id: string, outcome: QueryOutcome): void {
    const q = this.remove(id);
    q?.resolve(outcome);
  }

  /** Forgets a query (its caller gave up). */
  remove(id: string): PendingQuery | undefined {
    const q = this.byId.get(id);
    if (!q) return undefined;
    this.byId.delete(id);
    const ids = this.byRun.get(q.runId);
    ids?.delete(id);
    if (ids && ids.size === 0) this.byRun.delete(q.runId);
    return q;
  }

  /** The run's queries in the given phase, oldest first. */
  forRun(runId: string, phase: QueryPhase): PendingQuery[] {
    const ids = this.byRun.get(runId);
    if (!ids) return [];
    const result: PendingQuery[] = [];
    for (const id of ids) {
      const q = this.byId.get(id);
      if (q && q.phase === phase) result.push(q);
    }
    return result;
  }

  hasAny(runId: string): boolean {
    return this.byRun.has(runId);
  }
}

/**
 * Settles the queries a completing workflow task answered; queries it carried but did not
 * answer wait for the next task.
 */
export function settleTaskQueries(
  registry: QueryRegistry,
  attachedQueryIds: readonly string[],
  results: Record<string, query.IWorkflowQueryResult> | null | undefined,
): void {
  for (const [queryId, result] of Object.entries(results ?? {})) {
    if (result.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) {
      registry.settle(queryId, { ok: true, answer: result.answer });
    } else {
      registry.settle(queryId, { ok: false, message: result.errorMessage ?? 'query failed', failure: result.failure });
    }
  }
  for (const id of attachedQueryIds) {
    const q = registry.get(id);
    if (q?.phase === 'attached') q.phase = 'buffered';
  }
}
