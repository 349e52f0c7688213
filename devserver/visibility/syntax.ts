import { MALFORMED, NOT_SUPPORTED, VisibilityQueryError, errorAt } from './errors';
import { Lexer, type Token } from './lexer';

/** A value or name as written; `source` and `offset` locate it for error messages. */
export type Operand =
  | { readonly kind: 'column'; readonly name: string; readonly source: string; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly source: string; readonly offset: number }
  /** `text` keeps the sign and digits: Datetime values are int64 nanoseconds, beyond a double's precision. */
  | { readonly kind: 'number'; readonly text: string; readonly source: string; readonly offset: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly source: string; readonly offset: number }
  | { readonly kind: 'null'; readonly source: string; readonly offset: number };

/** Operators the grammar accepts after an operand; which ones a type supports is checked later. */
export type ComparisonOperator =
  | '=' | '!=' | '<' | '<=' | '>' | '>=' | '<=>'
  | 'STARTS_WITH' | 'NOT STARTS_WITH' | 'LIKE' | 'NOT LIKE' | 'REGEXP' | 'NOT REGEXP';

/** The query as parsed, before attribute names and values are checked against their types. */
export type SyntaxNode =
  | { readonly kind: 'and' | 'or'; readonly left: SyntaxNode; readonly right: SyntaxNode }
  | { readonly kind: 'not'; readonly operand: SyntaxNode }
  | {
      readonly kind: 'comparison';
      readonly left: Operand;
      readonly operator: ComparisonOperator;
      readonly right: Operand;
      readonly offset: number;
    }
  | { readonly kind: 'in'; readonly left: Operand; readonly negated: boolean; readonly values: Operand[]; readonly offset: number }
  | {
      readonly kind: 'between';
      readonly left: Operand;
      readonly negated: boolean;
      readonly from: Operand;
      readonly to: Operand;
      readonly offset: number;
    }
  | { readonly kind: 'is'; readonly left: Operand; readonly negated: boolean; readonly what: 'NULL' | 'TRUE' | 'FALSE'; readonly offset: number }
  /** An operand standing alone where a condition belongs (`WorkflowId`, `true`). */
  | { readonly kind: 'bare'; readonly operand: Operand };

export interface SyntaxOrder {
  readonly column: { readonly name: string; readonly offset: number };
  readonly descending: boolean;
}

export interface SyntaxQuery {
  readonly where: SyntaxNode | null;
  readonly orderBy: SyntaxOrder[];
}

/** Deeper nesting is surely not a real filter, and would exhaust the stack. */
const MAX_NESTING = 100;

const VALUE = 'a value (a quoted string, a number, true or false)';
const CONDITION = 'a condition such as WorkflowId = "x", or ORDER BY';

/** Recursive descent over the tokens: OR binds loosest, then AND, then NOT, then a predicate. */
class Parser {
  private readonly lexer: Lexer;
  /** Tokens read so far; `index` is the next one to parse. */
  private readonly tokens: Token[] = [];
  private index = 0;
  private nesting = 0;

  constructor(private readonly query: string) {
    this.lexer = new Lexer(query);
  }

  parseQuery(): SyntaxQuery {
    const where = this.atClause() ? null : this.parseOr();
    if (this.isKeyword('GROUP')) {
      throw errorAt(
        `${NOT_SUPPORTED}: 'GROUP BY' clause in a list query (CountWorkflowExecutions accepts GROUP BY ExecutionStatus)`,
        this.peek().offset,
      );
    }
    const orderBy = this.isKeyword('ORDER') ? this.parseOrderBy() : [];
    if (this.isKeyword('LIMIT')) throw errorAt(`${NOT_SUPPORTED}: 'LIMIT' clause`, this.peek().offset);
    if (this.peek().kind !== 'end') {
      throw this.syntaxError(where && orderBy.length === 0 ? 'AND, OR, ORDER BY or the end of the query' : "',' or the end of the query");
    }
    return { where, orderBy };
  }

  private atClause(): boolean {
    return this.peek().kind === 'end' || this.isKeyword('ORDER', 'GROUP', 'LIMIT');
  }

  private parseOr(): SyntaxNode {
    let left = this.parseAnd();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): SyntaxNode {
    let left = this.parseNot();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): SyntaxNode {
    if (this.isKeyword('NOT')) {
      this.index++;
      return { kind: 'not', operand: this.nested(() => this.parseNot()) };
    }
    return this.parsePredicate();
  }

  private parsePredicate(): SyntaxNode {
    if (this.accept('(')) {
      const inner = this.nested(() => this.parseOr());
      this.expect(')', "')' to close the parenthesis");
      return inner;
    }
    const left = this.parseOperand(CONDITION);
    const token = this.peek();
    if (token.kind === 'operator') {
      this.index++;
      return { kind: 'comparison', left, operator: token.value as ComparisonOperator, right: this.parseOperand(VALUE), offset: token.offset };
    }
    const negated = this.acceptKeyword('NOT');
    const keyword = this.peek();
    if (this.acceptKeyword('IN')) {
      this.expect('(', "'(' after IN");
      const values = [this.parseOperand(VALUE)];
      while (this.accept(',')) values.push(this.parseOperand(VALUE));
      this.expect(')', "',' or ')' to close the IN list");
      return { kind: 'in', left, negated, values, offset: keyword.offset };
    }
    if (this.acceptKeyword('BETWEEN')) {
      const from = this.parseOperand(VALUE);
      if (!this.acceptKeyword('AND')) throw this.syntaxError('AND between the two BETWEEN values');
      return { kind: 'between', left, negated, from, to: this.parseOperand(VALUE), offset: keyword.offset };
    }
    if (this.acceptKeyword('STARTS_WITH', 'LIKE', 'REGEXP', 'RLIKE')) {
      const word = keyword.value === 'RLIKE' ? 'REGEXP' : keyword.value;
      const operator = (negated ? `NOT ${word}` : word) as ComparisonOperator;
      const right = this.parseOperand(VALUE);
      if (word === 'LIKE' && this.acceptKeyword('ESCAPE')) this.parseOperand(VALUE);
      return { kind: 'comparison', left, operator, right, offset: keyword.offset };
    }
    if (negated) throw this.syntaxError('IN, BETWEEN or STARTS_WITH after NOT');
    if (this.acceptKeyword('IS')) {
      const isNot = this.acceptKeyword('NOT');
      const what = this.peek();
      if (!this.acceptKeyword('NULL', 'TRUE', 'FALSE')) throw this.syntaxError(isNot ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      return { kind: 'is', left, negated: isNot, what: what.value as 'NULL' | 'TRUE' | 'FALSE', offset: keyword.offset };
    }
    return { kind: 'bare', operand: left };
  }

  private nested(parse: () => SyntaxNode): SyntaxNode {
    if (++this.nesting > MAX_NESTING) {
      throw errorAt(`${MALFORMED}: parentheses and NOT nested more than ${MAX_NESTING} deep`, this.tokens[this.index - 1].offset);
    }
    const node = parse();
    this.nesting--;
    return node;
  }

  /** A name, a literal or a signed number; `expected` describes it in a syntax error. */
  private parseOperand(expected: string): Operand {
    const token = this.peek();
    const source = token.source;
    const offset = token.offset;
    switch (token.kind) {
      case 'identifier':
        this.index++;
        if (this.peek().kind === '(') throw this.functionCall(token);
        return { kind: 'column', name: token.value, source, offset };
      case 'string':
        this.index++;
        return { kind: 'string', value: token.value, source, offset };
      case 'number':
        this.index++;
        return { kind: 'number', text: token.value, source, offset };
      case '-':
      case '+': {
        this.index++;
        const number = this.peek();
        if (number.kind !== 'number') throw this.syntaxError(`a number after '${token.value}'`);
        this.index++;
        const text = token.value === '-' ? `-${number.value}` : number.value;
        return { kind: 'number', text, source: this.query.slice(offset, number.offset + number.source.length), offset };
      }
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          this.index++;
          return { kind: 'bool', value: token.value === 'TRUE', source, offset };
        }
        if (token.value === 'NULL') {
          this.index++;
          return { kind: 'null', source, offset };
        }
        throw this.syntaxError(expected);
      default:
        throw this.syntaxError(expected);
    }
  }

  /** Temporal rejects functions, and `NOW()` would need the server's (possibly skipped) clock. */
  private functionCall(name: Token): VisibilityQueryError {
    let depth = 0;
    do {
      const token = this.peek();
      if (token.kind === 'end') throw this.syntaxError(`')' to close ${name.value}(`);
      if (token.kind === '(') depth++;
      if (token.kind === ')') depth--;
      this.index++;
    } while (depth > 0);
    const last = this.tokens[this.index - 1];
    const source = this.query.slice(name.offset, last.offset + last.source.length);
    const hint = name.value.toUpperCase() === 'NOW' ? '; use an RFC 3339 time such as "2026-01-01T00:00:00Z"' : '';
    return errorAt(`${NOT_SUPPORTED}: function expression ${source}${hint}`, name.offset);
  }

  private parseOrderBy(): SyntaxOrder[] {
    this.index++; // ORDER
    if (!this.acceptKeyword('BY')) throw this.syntaxError('BY after ORDER');
    const keys: SyntaxOrder[] = [];
    do {
      const token = this.peek();
      if (token.kind !== 'identifier') throw this.syntaxError('a search attribute name to order by');
      this.index++;
      const descending = this.isKeyword('DESC');
      this.acceptKeyword('ASC', 'DESC');
      keys.push({ column: { name: token.value, offset: token.offset }, descending });
    } while (this.accept(','));
    return keys;
  }

  private peek(): Token {
    while (this.tokens.length <= this.index) this.tokens.push(this.lexer.next());
    return this.tokens[this.index];
  }

  private isKeyword(...words: string[]): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && words.includes(token.value);
  }

  private acceptKeyword(...words: string[]): boolean {
    if (!this.isKeyword(...words)) return false;
    this.index++;
    return true;
  }

  private accept(kind: '(' | ')' | ','): boolean {
    if (this.peek().kind !== kind) return false;
    this.index++;
    return true;
  }

  private expect(kind: '(' | ')', expected: string): void {
    if (!this.accept(kind)) throw this.syntaxError(expected);
  }

  private syntaxError(expected: string): VisibilityQueryError {
    const token = this.peek();
    const where =
      token.kind === 'end'
        ? `at the end of the query`
        : `at position ${token.offset + 1} near '${token.source}'`;
    return new VisibilityQueryError(`${MALFORMED}: syntax error ${where}: expected ${expected}`);
  }
}

/** Longest query text accepted. */
export const MAX_QUERY_LENGTH = 32 * 1024;
/**
 * Most AND, OR, NOT and opening parentheses in one query: checking and evaluating a filter recurse
 * once per level, so an unbounded chain would overflow the stack.
 */
export const MAX_QUERY_OPERATORS = 1000;

/** Parses the text of a list filter; names and values are not checked yet. */
export function parseSyntax(query: string): SyntaxQuery {
  if (query.length > MAX_QUERY_LENGTH) {
    throw new VisibilityQueryError(`${MALFORMED}: the query is ${query.length} characters long, over the limit of ${MAX_QUERY_LENGTH}`);
  }
  if (countOperators(query) > MAX_QUERY_OPERATORS) {
    throw new VisibilityQueryError(`${MALFORMED}: the query has more than ${MAX_QUERY_OPERATORS} AND, OR, NOT and parentheses`);
  }
  return new Parser(query).parseQuery();
}

/** AND, OR, NOT and `(` tokens up to the limit plus one, or up to a token the parser will reject. */
function countOperators(query: string): number {
  const lexer = new Lexer(query);
  let operators = 0;
  try {
    for (let token = lexer.next(); token.kind !== 'end' && operators <= MAX_QUERY_OPERATORS; token = lexer.next()) {
      if (token.kind === '(' || (token.kind === 'keyword' && (token.value === 'AND' || token.value === 'OR' || token.value === 'NOT'))) operators++;
    }
  } catch {
    // A lexical error: the parser reports it where it occurs.
  }
  return operators;
}
