import type { SearchAttributeTypeName } from './search-attributes';

/** A value in a visibility record, as the query language module expects it. */
export type VisibilityValue = string | number | boolean | Date | string[] | null | undefined;
/** Built-in attributes (WorkflowId, ExecutionStatus, StartTime, ...) plus custom ones by name. */
export type VisibilityRecord = Record<string, VisibilityValue>;

/**
 * The interface of `devserver/visibility/query.ts` (the visibility query language, owned by
 * another module). It is loaded lazily so the engine runs, with unfiltered listing only, in a
 * build where that module is absent.
 */
export interface VisibilityQueryModule {
  parseVisibilityQuery(query: string, attributeTypes: ReadonlyMap<string, SearchAttributeTypeName>): unknown;
  matchesQuery(query: unknown, record: VisibilityRecord): boolean;
  sortRecords<T extends VisibilityRecord>(query: unknown, records: T[]): T[];
  VisibilityQueryError: abstract new (...args: never[]) => Error;
}

let loaded: VisibilityQueryModule | null | undefined;

/** The query language module, or null when it is not present. */
export function loadVisibilityQuery(): VisibilityQueryModule | null {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, see above
      loaded = require('../visibility/query') as VisibilityQueryModule;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      loaded = null;
    }
  }
  return loaded;
}
