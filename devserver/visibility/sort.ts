import type { ResolvedAttribute } from './attributes';
import type { Scalar, SortKey } from './conditions';
import { compareScalars, recordValue } from './evaluate';
import type { VisibilityRecord } from './types';

const CLOSE_TIME: ResolvedAttribute = { name: 'CloseTime', type: 'Datetime' };
const START_TIME: ResolvedAttribute = { name: 'StartTime', type: 'Datetime' };
const RUN_ID: ResolvedAttribute = { name: 'RunId', type: 'Keyword' };

/** A sort value; a KeywordList sorts by its smallest entry ascending, its largest descending (as Elasticsearch does). */
function sortValue(record: VisibilityRecord, key: SortKey): Scalar | null {
  const value = recordValue(record, key.attribute);
  if (!Array.isArray(value)) return value;
  const sorted = [...value].sort(compareScalars);
  return key.descending ? sorted[sorted.length - 1] : sorted[0];
}

/** One ORDER BY key; unset values go last in either direction (Elasticsearch's default). */
function compareBy(key: SortKey, a: VisibilityRecord, b: VisibilityRecord): number {
  const va = sortValue(a, key);
  const vb = sortValue(b, key);
  if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
  const order = compareScalars(va, vb);
  return key.descending ? -order : order;
}

/**
 * Temporal's list order: open runs first (CloseTime unset, as `COALESCE(close_time, max) DESC`),
 * then CloseTime descending, StartTime descending, and RunId ascending to break ties.
 */
export function compareDefault(a: VisibilityRecord, b: VisibilityRecord): number {
  const closeA = recordValue(a, CLOSE_TIME);
  const closeB = recordValue(b, CLOSE_TIME);
  if ((closeA === null) !== (closeB === null)) return closeA === null ? -1 : 1;
  return (
    compareBy({ attribute: CLOSE_TIME, descending: true }, a, b) ||
    compareBy({ attribute: START_TIME, descending: true }, a, b) ||
    compareBy({ attribute: RUN_ID, descending: false }, a, b)
  );
}

/** Orders by the keys, then by the default order so equal keys still list deterministically. */
export function compareRecords(keys: readonly SortKey[], a: VisibilityRecord, b: VisibilityRecord): number {
  for (const key of keys) {
    const order = compareBy(key, a, b);
    if (order !== 0) return order;
  }
  return compareDefault(a, b);
}
