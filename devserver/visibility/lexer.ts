import { MALFORMED, VisibilityQueryError } from './errors';

/** Words with a meaning in the grammar; matched case-insensitively, stored upper-case. */
const KEYWORDS = new Set([
  'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN', 'STARTS_WITH', 'LIKE', 'REGEXP',
  'RLIKE', 'ESCAPE', 'ORDER', 'GROUP', 'BY', 'ASC', 'DESC', 'LIMIT', 'HAVING',
]);

export type TokenKind =
  | 'identifier' // bare or `backtick-quoted` name
  | 'keyword'
  | 'string'
  | 'number'
  | 'operator' // = != <> < <= > >= <=>
  | '(' | ')' | ',' | '-' | '+'
  | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Keywords upper-cased, strings unescaped, `<>` as `!=`; the source text otherwise. */
  readonly value: string;
  /** Offset of the token's first character in the query (0-based). */
  readonly offset: number;
  /** The token as written, for error messages. */
  readonly source: string;
}

/** Characters after a backslash in a string literal, as MySQL (and so sqlparser) decodes them. */
const ESCAPES: Readonly<Record<string, string>> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

function lexError(offset: number, near: string, detail: string): VisibilityQueryError {
  return new VisibilityQueryError(`${MALFORMED}: syntax error at position ${offset + 1} near '${near}': ${detail}`);
}

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Reads tokens one at a time, so the parser reports the first problem in reading order. */
export class Lexer {
  private i = 0;

  constructor(private readonly query: string) {}

  /** The next token; `end` once the query is used up. */
  next(): Token {
    const query = this.query;
    while (/[ \t\n\r]/.test(query[this.i] ?? '')) this.i++;
    const start = this.i;
    if (start >= query.length) return { kind: 'end', value: '', offset: query.length, source: '' };
    const token = (kind: TokenKind, value: string): Token => ({ kind, value, offset: start, source: query.slice(start, this.i) });
    const c = query[start];
    if (isIdentStart(c)) {
      while (this.i < query.length && isIdentPart(query[this.i])) this.i++;
      const word = query.slice(start, this.i);
      const upper = word.toUpperCase();
      return KEYWORDS.has(upper) ? token('keyword', upper) : token('identifier', word);
    }
    if (isDigit(c) || (c === '.' && isDigit(query[start + 1] ?? ''))) return this.number(start);
    if (c === "'" || c === '"') return token('string', this.quoted(c, 'string'));
    if (c === '`') {
      const name = this.quoted('`', '`quoted` name');
      if (name === '') throw lexError(start, '``', 'empty `quoted` name');
      return token('identifier', name);
    }
    if (c === '(' || c === ')' || c === ',' || c === '-' || c === '+') {
      this.i++;
      return token(c, c);
    }
    const operator = ['<=>', '<=', '<>', '>=', '!=', '=', '<', '>'].find((op) => query.startsWith(op, start));
    if (operator) {
      this.i += operator.length;
      return token('operator', operator === '<>' ? '!=' : operator);
    }
    throw lexError(start, c, 'unexpected character');
  }

  private number(start: number): Token {
    const query = this.query;
    const digits = (): void => {
      while (isDigit(query[this.i] ?? '')) this.i++;
    };
    digits();
    if (query[this.i] === '.') {
      this.i++;
      digits();
    }
    if (/^[eE][+-]?\d/.test(query.slice(this.i, this.i + 3))) {
      this.i += query[this.i + 1] === '+' || query[this.i + 1] === '-' ? 2 : 1;
      digits();
    }
    if (isIdentStart(query[this.i] ?? '')) {
      let end = this.i;
      while (isIdentPart(query[end] ?? '')) end++;
      throw lexError(start, query.slice(start, end), 'a number cannot be followed by a letter (quote values such as "1h")');
    }
    const text = query.slice(start, this.i);
    return { kind: 'number', value: text, offset: start, source: text };
  }

  /** The text between `quote` and its closing twin; a doubled quote stands for one. */
  private quoted(quote: string, what: string): string {
    const query = this.query;
    const start = this.i;
    let value = '';
    this.i++;
    for (;;) {
      if (this.i >= query.length) {
        throw new VisibilityQueryError(`${MALFORMED}: unterminated ${what} starting at position ${start + 1}: missing closing ${quote}`);
      }
      const ch = query[this.i];
      if (ch === '\\' && quote !== '`' && this.i + 1 < query.length) {
        const next = query[this.i + 1];
        value += ESCAPES[next] ?? next;
        this.i += 2;
      } else if (ch === quote && query[this.i + 1] === quote) {
        value += quote;
        this.i += 2;
      } else if (ch === quote) {
        this.i++;
        return value;
      } else {
        value += ch;
        this.i++;
      }
    }
  }
}
