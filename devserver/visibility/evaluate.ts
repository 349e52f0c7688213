import type { ResolvedAttribute } from './attributes';
import type { Condition, Scalar } from './conditions';
import { analyzeText } from './text';
import type { VisibilityRecord } from './types';
import { datetimeOf } from './values';

/** SQL's three truth values: `null` is "unknown", the result of comparing an unset attribute. */
type Truth = boolean | null;

/**
 * A record's value in the form its query values take (see `Scalar`), a string[] for
 * KeywordList, or null when unset. A value of the wrong JS type counts as unset.
 */
export function recordValue(record: VisibilityRecord, attribute: ResolvedAttribute): Scalar | string[] | null {
  const raw = Object.hasOwn(record, attribute.name) ? record[attribute.name] : undefined;
  switch (attribute.type) {
    case 'Keyword':
    case 'Text':
      return typeof raw === 'string' ? raw : null;
    case 'KeywordList': {
      const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v) => typeof v === 'string') : [];
      return list.length > 0 ? list : null;
    }
    case 'Int':
    case 'Double':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    case 'Bool':
      return typeof raw === 'boolean' ? raw : null;
    case 'Datetime':
      return datetimeOf(raw) ?? null;
  }
}

/** Orders two values of one type; strings by UTF-8 bytes, as SQL and Elasticsearch compare keywords. */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function scalarOf(value: Scalar | string[] | null): Scalar | null {
  return Array.isArray(value) ? null : value;
}

export function evaluate(condition: Condition, record: VisibilityRecord): Truth {
  switch (condition.kind) {
    case 'and': {
      const left = evaluate(condition.left, record);
      if (left === false) return false;
      const right = evaluate(condition.right, record);
      if (right === false) return false;
      return left === true && right === true ? true : null;
    }
    case 'or': {
      const left = evaluate(condition.left, record);
      if (left === true) return true;
      const right = evaluate(condition.right, record);
      if (right === true) return true;
      return left === false && right === false ? false : null;
    }
    case 'not': {
      const inner = evaluate(condition.operand, record);
      return inner === null ? null : !inner;
    }
    case 'compare': {
      const value = scalarOf(recordValue(record, condition.attribute));
      if (value === null) return null;
      const order = compareScalars(value, condition.value);
      switch (condition.operator) {
        case '=':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      break;
    }
    case 'in': {
      const value = scalarOf(recordValue(record, condition.attribute));
      if (value === null) return null;
      return condition.values.some((v) => compareScalars(value, v) === 0) !== condition.negated;
    }
    case 'between': {
      const value = scalarOf(recordValue(record, condition.attribute));
      if (value === null) return null;
      const within = compareScalars(value, condition.from) >= 0 && compareScalars(value, condition.to) <= 0;
      return within !== condition.negated;
    }
    case 'startsWith': {
      const value = scalarOf(recordValue(record, condition.attribute));
      if (typeof value !== 'string') return null;
      return value.startsWith(condition.prefix) !== condition.negated;
    }
    case 'isNull':
      return (recordValue(record, condition.attribute) === null) !== condition.negated;
    // Text and KeywordList are searched through an index on real servers: an unset value simply
    // does not match, so `!=` and NOT IN are true for it rather than unknown.
    case 'textMatch': {
      const value = recordValue(record, condition.attribute);
      const words = typeof value === 'string' ? new Set(analyzeText(value)) : new Set<string>();
      return condition.words.some((w) => words.has(w)) !== condition.negated;
    }
    case 'listContains': {
      const value = recordValue(record, condition.attribute);
      const list = Array.isArray(value) ? value : [];
      return condition.values.some((v) => list.includes(v)) !== condition.negated;
    }
  }
}
