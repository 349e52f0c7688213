/**
 * The visibility query language of ListWorkflowExecutions and CountWorkflowExecutions: the
 * SQL-like "List Filter" that `temporal workflow list --query` and the Web UI send.
 *
 * Grammar, semantics and the places where we chose between Temporal's backends are described
 * in README.md next to this file.
 *
 * @module
 */
import { Analyzer, type Condition, type SortKey } from './conditions';
import { evaluate } from './evaluate';
import { compareRecords } from './sort';
import { parseSyntax } from './syntax';
import type { SearchAttributeType, VisibilityRecord } from './types';

export { BUILT_IN_SEARCH_ATTRIBUTES } from './attributes';
export { VisibilityQueryError } from './errors';
export type { SearchAttributeType, VisibilityRecord, VisibilityValue } from './types';

/** A checked query: its filter (null when it has none) and its ORDER BY keys. */
export interface ParsedQuery {
  /** The query text as given. */
  readonly text: string;
  readonly filter: Condition | null;
  /** Empty when the query has no ORDER BY; `sortRecords` then uses Temporal's default order. */
  readonly orderBy: readonly SortKey[];
}

/**
 * Parses and checks a list filter. The empty (or blank) query matches every run.
 *
 * @param query - e.g. `WorkflowType = "cellRestart" AND ExecutionStatus = "Running" ORDER BY StartTime DESC`
 * @param attributeTypes - the namespace's custom search attributes; built-ins are always known
 *   and win over a custom entry of the same name.
 * @throws VisibilityQueryError for a syntax error, an unknown attribute, an operator the
 *   attribute's type does not support, or a value of the wrong type; the message says where.
 */
export function parseVisibilityQuery(query: string, attributeTypes: ReadonlyMap<string, SearchAttributeType>): ParsedQuery {
  const syntax = parseSyntax(query);
  const analyzer = new Analyzer(attributeTypes);
  return {
    text: query,
    filter: syntax.where ? analyzer.condition(syntax.where) : null,
    orderBy: syntax.orderBy.map((order) => analyzer.sortKey(order)),
  };
}

/**
 * Whether a run matches the query's filter. Comparisons with an unset attribute are unknown, as
 * in SQL, so `ParentWorkflowId != "x"` does not match a run without a parent (use IS NULL).
 */
export function matchesQuery(query: ParsedQuery, record: VisibilityRecord): boolean {
  return query.filter === null || evaluate(query.filter, record) === true;
}

/**
 * Returns a new array ordered by the query's ORDER BY (unset values last, ties broken by the
 * default order), or by Temporal's default order when there is none: running runs first, then
 * by CloseTime descending, StartTime descending, RunId ascending.
 */
export function sortRecords<T extends VisibilityRecord>(query: ParsedQuery, records: T[]): T[] {
  return [...records].sort((a, b) => compareRecords(query.orderBy, a, b));
}
