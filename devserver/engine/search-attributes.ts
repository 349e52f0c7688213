import { invalidArgument } from './errors';
import { getOwn, setOwn } from './own-keys';
import { common, enums } from './proto';
import type { NamespaceState } from './types';

/** Temporal's search attribute types, by their canonical names. */
export type SearchAttributeTypeName = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** A decoded search attribute value. */
export type SearchAttributeValue = string | number | boolean | Date | string[];

const IndexedValueType = enums.IndexedValueType;

const TYPE_TO_INDEXED: Record<SearchAttributeTypeName, enums.IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The proto enum value for a type name. */
export function toIndexedValueType(type: SearchAttributeTypeName): enums.IndexedValueType {
  return TYPE_TO_INDEXED[type];
}

/** The type name for a proto enum value, or undefined for UNSPECIFIED/unknown. */
export function fromIndexedValueType(value: enums.IndexedValueType): SearchAttributeTypeName | undefined {
  return (Object.keys(TYPE_TO_INDEXED) as SearchAttributeTypeName[]).find((k) => TYPE_TO_INDEXED[k] === value);
}

/** Built-in attributes every namespace has; queries and the Web UI use them. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeTypeName>> = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  StartTime: 'Datetime',
  ExecutionTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionStatus: 'Keyword',
  TaskQueue: 'Keyword',
  HistoryLength: 'Int',
  HistorySizeBytes: 'Int',
  ExecutionDuration: 'Int',
  StateTransitionCount: 'Int',
  ParentWorkflowId: 'Keyword',
  ParentRunId: 'Keyword',
  RootWorkflowId: 'Keyword',
  RootRunId: 'Keyword',
  TemporalChangeVersion: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  BuildIds: 'KeywordList',
  BatcherUser: 'Keyword',
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
  TemporalSchedulePaused: 'Bool',
  TemporalNamespaceDivision: 'Keyword',
};

/** System attributes a workflow may set itself (the SDK upserts TemporalChangeVersion for patches). */
const WORKFLOW_SETTABLE_SYSTEM_ATTRIBUTES = new Set(['TemporalChangeVersion', 'BinaryChecksums', 'BuildIds']);

/** The namespace's custom attributes by type, for the query language (which knows the built-ins). */
export function customAttributeTypes(ns: NamespaceState): Map<string, SearchAttributeTypeName> {
  return new Map(Object.entries(ns.customSearchAttributes) as [string, SearchAttributeTypeName][]);
}

/** Registers a custom attribute; an existing one of the same type is a no-op. */
export function registerSearchAttribute(ns: NamespaceState, name: string, type: SearchAttributeTypeName): void {
  // The real server also accepts hyphens (the Temporal CLI's own examples use `new-search-attr`).
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw invalidArgument(`Search attribute name "${name}" is not valid.`);
  if (Object.hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name)) {
    throw invalidArgument(`Search attribute ${name} is reserved by system.`);
  }
  const existing = getOwn(ns.customSearchAttributes, name);
  if (existing !== undefined && existing !== type) {
    throw invalidArgument(`Search attribute ${name} already exists with type ${existing}.`);
  }
  setOwn(ns.customSearchAttributes, name, type);
}

function payloadText(payload: common.IPayload, key: string): string | undefined {
  const bytes = payload.metadata?.[key];
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/** Decodes a search attribute payload (JSON data, optional `type` metadata); null = unset. */
export function decodeSearchAttributePayload(
  name: string,
  payload: common.IPayload,
  type: SearchAttributeTypeName,
): SearchAttributeValue | null {
  const declared = payloadText(payload, 'type');
  if (declared && declared !== type) {
    throw invalidArgument(`Invalid value for search attribute ${name} of type ${type}: payload declares type ${declared}.`);
  }
  const text = payload.data ? Buffer.from(payload.data).toString('utf8') : '';
  if (text === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidArgument(`Invalid value for search attribute ${name} of type ${type}: data is not JSON.`);
  }
  if (raw === null) return null;
  // Untyped (legacy) search attributes arrive as single-element arrays.
  if (Array.isArray(raw) && type !== 'KeywordList') {
    if (raw.length === 0) return null;
    if (raw.length === 1) raw = raw[0];
  }
  const bad = (): never => {
    throw invalidArgument(`Invalid value for search attribute ${name} of type ${type}: ${text}`);
  };
  switch (type) {
    case 'Keyword':
    case 'Text':
      return typeof raw === 'string' ? raw : bad();
    case 'Int':
      return typeof raw === 'number' && Number.isInteger(raw) ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : bad();
    case 'Double':
      return typeof raw === 'number' ? raw : bad();
    case 'Bool':
      return typeof raw === 'boolean' ? raw : bad();
    case 'Datetime': {
      if (typeof raw !== 'string') return bad();
      const date = new Date(raw);
      return Number.isNaN(date.getTime()) ? bad() : date;
    }
    case 'KeywordList':
      if (typeof raw === 'string') return [raw];
      if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw.length === 0 ? null : (raw);
      return bad();
  }
}

/**
 * Validates search attributes a client or workflow sets and returns them merged into `current`
 * (unset values remove the attribute). Unknown names are INVALID_ARGUMENT, as on a real server.
 * Values are kept with their type in the `type` metadata, as the real server's frontend adds it,
 * so the SDK decodes them by type from history (a Datetime as a Date).
 */
export function mergeSearchAttributes(
  ns: NamespaceState,
  current: Record<string, common.IPayload>,
  update: common.ISearchAttributes | null | undefined,
): Record<string, common.IPayload> {
  const merged: Record<string, common.IPayload> = {};
  for (const [name, payload] of Object.entries(current)) setOwn(merged, name, payload);
  for (const [name, payload] of Object.entries(update?.indexedFields ?? {})) {
    const type = customOrSettableType(ns, name);
    if (!type) {
      throw invalidArgument(`Namespace ${ns.name} has no mapping defined for search attribute ${name}`);
    }
    if (decodeSearchAttributePayload(name, payload, type) === null) delete merged[name];
    else setOwn(merged, name, payload.metadata?.type ? payload : { ...payload, metadata: { ...payload.metadata, type: Buffer.from(type) } });
  }
  return merged;
}

function customOrSettableType(ns: NamespaceState, name: string): SearchAttributeTypeName | undefined {
  const custom = getOwn(ns.customSearchAttributes, name) as SearchAttributeTypeName | undefined;
  if (custom) return custom;
  return WORKFLOW_SETTABLE_SYSTEM_ATTRIBUTES.has(name) ? getOwn(SYSTEM_SEARCH_ATTRIBUTES, name) : undefined;
}

/** System attributes only the server sets (on workflows a schedule starts), read like settable ones. */
const SERVER_SET_SYSTEM_ATTRIBUTES = new Set(['TemporalScheduledStartTime', 'TemporalScheduledById']);

function knownType(ns: NamespaceState, name: string): SearchAttributeTypeName | undefined {
  const type = customOrSettableType(ns, name);
  if (type) return type;
  return SERVER_SET_SYSTEM_ATTRIBUTES.has(name) ? getOwn(SYSTEM_SEARCH_ATTRIBUTES, name) : undefined;
}

/** Decoded values of a run's search attributes, for visibility records. */
export function decodeSearchAttributes(
  ns: NamespaceState,
  attributes: Record<string, common.IPayload>,
): Record<string, SearchAttributeValue> {
  const result: Record<string, SearchAttributeValue> = {};
  for (const [name, payload] of Object.entries(attributes)) {
    const type = knownType(ns, name);
    if (!type) continue;
    try {
      const value = decodeSearchAttributePayload(name, payload, type);
      if (value !== null) setOwn(result, name, value);
    } catch {
      // Values were validated when set; an attribute re-registered since then is skipped.
    }
  }
  return result;
}

/** Adds the `type` metadata the SDKs use to decode typed search attributes, if missing. */
export function withTypeMetadata(
  ns: NamespaceState,
  attributes: Record<string, common.IPayload>,
): Record<string, common.IPayload> {
  const result: Record<string, common.IPayload> = {};
  for (const [name, payload] of Object.entries(attributes)) {
    const type = knownType(ns, name);
    if (type && !payload.metadata?.type) {
      setOwn(result, name, { ...payload, metadata: { ...payload.metadata, type: Buffer.from(type) } });
    } else {
      setOwn(result, name, payload);
    }
  }
  return result;
}
