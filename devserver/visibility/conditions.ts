import { resolveAttribute, similarAttribute, type ResolvedAttribute } from './attributes';
import { INVALID_EXPRESSION, NOT_SUPPORTED, errorAt } from './errors';
import type { Operand, SyntaxNode, SyntaxOrder } from './syntax';
import { analyzeText } from './text';
import type { SearchAttributeType } from './types';
import { executionStatusName, parseDatetime, parseExecutionDuration } from './values';

/**
 * A query value converted to its attribute's type: string (Keyword, KeywordList, Text),
 * number (Int, Double; ExecutionDuration in ns), boolean (Bool) or bigint (Datetime, ns since epoch).
 */
export type Scalar = string | number | boolean | bigint;

export type CompareOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A checked, typed condition, ready to evaluate against records. */
export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly operand: Condition }
  | { readonly kind: 'compare'; readonly attribute: ResolvedAttribute; readonly operator: CompareOperator; readonly value: Scalar }
  | { readonly kind: 'in'; readonly attribute: ResolvedAttribute; readonly negated: boolean; readonly values: readonly Scalar[] }
  | {
      readonly kind: 'between';
      readonly attribute: ResolvedAttribute;
      readonly negated: boolean;
      readonly from: Scalar;
      readonly to: Scalar;
    }
  | { readonly kind: 'startsWith'; readonly attribute: ResolvedAttribute; readonly negated: boolean; readonly prefix: string }
  | { readonly kind: 'isNull'; readonly attribute: ResolvedAttribute; readonly negated: boolean }
  /** Text `=`: true when any word of the value is a word of the attribute. */
  | { readonly kind: 'textMatch'; readonly attribute: ResolvedAttribute; readonly negated: boolean; readonly words: readonly string[] }
  /** KeywordList `=` and `IN`: true when the list holds any of the values. */
  | { readonly kind: 'listContains'; readonly attribute: ResolvedAttribute; readonly negated: boolean; readonly values: readonly string[] };

export interface SortKey {
  readonly attribute: ResolvedAttribute;
  readonly descending: boolean;
}

type Operator = string; // '=', 'IN', 'NOT STARTS_WITH', 'LIKE', ...

const COMPARISON = ['=', '!=', '<', '<=', '>', '>=', 'IN', 'NOT IN'];

/** Operators per type, as in Temporal's query converter (`store/query/converter.go`). */
const SUPPORTED_OPERATORS: Readonly<Record<SearchAttributeType, readonly Operator[]>> = {
  Keyword: [...COMPARISON, 'STARTS_WITH', 'NOT STARTS_WITH'],
  KeywordList: ['=', '!=', 'IN', 'NOT IN'],
  Text: ['=', '!='],
  Int: COMPARISON,
  Double: COMPARISON,
  Bool: COMPARISON,
  Datetime: COMPARISON,
};

const RANGE_TYPES: readonly SearchAttributeType[] = ['Datetime', 'Double', 'Int', 'Keyword'];

/** A literal as Go's sqlparser would type it; Temporal's messages name these Go types. */
type Literal =
  | { readonly goType: 'string'; readonly value: string }
  | { readonly goType: 'int64'; readonly value: number; readonly text: string }
  | { readonly goType: 'float64'; readonly value: number; readonly text: string }
  | { readonly goType: 'bool'; readonly value: boolean };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function describe(literal: Literal): string {
  return literal.goType === 'string' ? JSON.stringify(literal.value) : String(literal.value);
}

/** Converts parsed conditions to typed ones, checking every name, operator and value. */
export class Analyzer {
  constructor(private readonly custom: ReadonlyMap<string, SearchAttributeType>) {}

  condition(node: SyntaxNode): Condition {
    switch (node.kind) {
      case 'and':
      case 'or':
        return { kind: node.kind, left: this.condition(node.left), right: this.condition(node.right) };
      case 'not':
        return { kind: 'not', operand: this.condition(node.operand) };
      case 'comparison': {
        const attribute = this.attribute(node.left);
        const value = this.value(node.left, attribute, node.right);
        this.checkOperator(node.left, attribute, node.operator, node.offset);
        const negated = node.operator.startsWith('!') || node.operator.startsWith('NOT ');
        if (attribute.type === 'Text') return { kind: 'textMatch', attribute, negated, words: analyzeText(value as string) };
        if (attribute.type === 'KeywordList') return { kind: 'listContains', attribute, negated, values: [value as string] };
        if (node.operator.endsWith('STARTS_WITH')) return { kind: 'startsWith', attribute, negated, prefix: value as string };
        return { kind: 'compare', attribute, operator: node.operator as CompareOperator, value };
      }
      case 'in': {
        const attribute = this.attribute(node.left);
        const values = node.values.map((v) => this.value(node.left, attribute, v));
        this.checkOperator(node.left, attribute, node.negated ? 'NOT IN' : 'IN', node.offset);
        if (attribute.type === 'KeywordList') return { kind: 'listContains', attribute, negated: node.negated, values: values as string[] };
        return { kind: 'in', attribute, negated: node.negated, values };
      }
      case 'between': {
        const attribute = this.attribute(node.left);
        if (!RANGE_TYPES.includes(attribute.type)) {
          throw errorAt(
            `${INVALID_EXPRESSION}: cannot do range condition on search attribute '${this.nameOf(node.left)}' of type ${attribute.type}`,
            node.offset,
          );
        }
        const from = this.value(node.left, attribute, node.from);
        const to = this.value(node.left, attribute, node.to);
        return { kind: 'between', attribute, negated: node.negated, from, to };
      }
      case 'is': {
        const attribute = this.attribute(node.left);
        if (node.what !== 'NULL') {
          throw errorAt(`${INVALID_EXPRESSION}: 'IS' operator can only be used as 'IS NULL' or 'IS NOT NULL'`, node.offset);
        }
        return { kind: 'isNull', attribute, negated: node.negated };
      }
      case 'bare':
        if (node.operand.kind === 'column') {
          throw errorAt(
            `${INVALID_EXPRESSION}: incomplete expression: '${node.operand.source}' is not a condition; compare it with a value`,
            node.operand.offset,
          );
        }
        throw errorAt(`${NOT_SUPPORTED}: '${node.operand.source}' on its own is not a condition`, node.operand.offset);
    }
  }

  sortKey(order: SyntaxOrder): SortKey {
    const attribute = this.resolve(order.column.name, order.column.offset);
    if (attribute.type === 'Text') {
      throw errorAt(`${NOT_SUPPORTED}: unable to sort by search attribute type Text ('${order.column.name}')`, order.column.offset);
    }
    return { attribute, descending: order.descending };
  }

  private attribute(operand: Operand): ResolvedAttribute {
    if (operand.kind !== 'column') {
      throw errorAt(
        `${INVALID_EXPRESSION}: the left side of a condition must be a search attribute name, not ${operand.source}`,
        operand.offset,
      );
    }
    return this.resolve(operand.name, operand.offset);
  }

  private resolve(name: string, offset: number): ResolvedAttribute {
    const attribute = resolveAttribute(name, this.custom);
    if (attribute) return attribute;
    const similar = similarAttribute(name, this.custom);
    throw errorAt(`invalid search attribute: ${name}${similar ? ` (did you mean ${similar}?)` : ''}`, offset);
  }

  /** The attribute as the query spells it, which Temporal's messages use. */
  private nameOf(operand: Operand): string {
    return operand.kind === 'column' ? operand.name : operand.source;
  }

  private checkOperator(left: Operand, attribute: ResolvedAttribute, operator: Operator, offset: number): void {
    if (SUPPORTED_OPERATORS[attribute.type].includes(operator)) return;
    const hint = operator.endsWith('LIKE') ? '; use STARTS_WITH for a prefix match' : '';
    throw errorAt(
      `${NOT_SUPPORTED}: operator '${operator}' not supported for ${attribute.type} type search attribute '${this.nameOf(left)}'${hint}`,
      offset,
    );
  }

  private literal(left: Operand, operand: Operand): Literal {
    switch (operand.kind) {
      case 'string':
        return { goType: 'string', value: operand.value };
      case 'bool':
        return { goType: 'bool', value: operand.value };
      case 'number': {
        const isInt = /^[+-]?\d+$/.test(operand.text) && BigInt(operand.text) >= INT64_MIN && BigInt(operand.text) <= INT64_MAX;
        return { goType: isInt ? 'int64' : 'float64', value: Number(operand.text), text: operand.text };
      }
      case 'column':
        throw errorAt(
          `${NOT_SUPPORTED}: column name on the right side of comparison expression (did you forget to quote "${operand.name}"?)`,
          operand.offset,
        );
      case 'null': {
        const name = this.nameOf(left);
        throw errorAt(
          `${INVALID_EXPRESSION}: NULL is not a value to compare with; use '${name} IS NULL' or '${name} IS NOT NULL'`,
          operand.offset,
        );
      }
    }
  }

  /** Checks a value against the attribute's type and converts it (Temporal's `parseSQLVal`). */
  private value(left: Operand, attribute: ResolvedAttribute, operand: Operand): Scalar {
    const literal = this.literal(left, operand);
    const name = this.nameOf(left);
    const fail = (message: string): never => {
      throw errorAt(`${INVALID_EXPRESSION}: ${message}`, operand.offset);
    };
    const typeError = (): never =>
      fail(`invalid value type for search attribute ${name} of type ${attribute.type}: ${describe(literal)} (type: ${literal.goType})`);

    if (attribute.name === 'ExecutionStatus' && literal.goType !== 'bool') {
      if (literal.goType === 'float64') return fail(`unexpected value type float64 for search attribute ExecutionStatus`);
      const status = executionStatusName(literal.value);
      if (status) return status;
      const shown = literal.goType === 'string' ? `'${literal.value}'` : literal.text;
      return fail(
        `invalid ExecutionStatus value ${shown} (one of Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut; case-sensitive)`,
      );
    }
    if (attribute.name === 'ExecutionDuration' && literal.goType !== 'bool') {
      if (literal.goType === 'int64') return literal.value;
      if (literal.goType === 'float64') return fail(`unexpected value type float64 for search attribute ExecutionDuration`);
      return (
        parseExecutionDuration(literal.value) ??
        fail(`invalid duration value for search attribute ExecutionDuration: ${literal.value} (nanoseconds, "1h30m", "2d" or "hh:mm:ss")`)
      );
    }
    switch (attribute.type) {
      case 'Int':
      case 'Double':
        return literal.goType === 'int64' || literal.goType === 'float64' ? literal.value : typeError();
      case 'Bool':
        return literal.goType === 'bool' ? literal.value : typeError();
      case 'Datetime':
        if (literal.goType === 'int64') return BigInt(literal.text); // Unix nanoseconds
        if (literal.goType !== 'string') return typeError();
        return (
          parseDatetime(literal.value) ??
          fail(`unable to parse datetime '${literal.value}' (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)`)
        );
      case 'Keyword':
      case 'KeywordList':
        return literal.goType === 'string' ? literal.value : typeError();
      case 'Text':
        if (literal.goType !== 'string') return typeError();
        if (literal.value.trim() === '') return fail(`no tokens found filtering on Text type search attribute ${name}`);
        return literal.value;
    }
  }
}
