/**
 * A small subset of CloudWatch metric math: numbers, query ids, + - * /, comparisons
 * (> < >= <= == !=, giving 1 or 0), AND/OR, parentheses and IF(condition, then, else).
 * Enough for error-rate alarms such as `IF(requests > 0, 100 * errors / requests, 0)`.
 */

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'unary'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'if'; condition: Node; then: Node; otherwise: Node };

/** An expression the simulator cannot evaluate; CloudWatch itself might. */
export class UnsupportedExpressionError extends Error {
  constructor(expression: string, why: string) {
    super(`metric math "${expression}": ${why}`);
    this.name = 'UnsupportedExpressionError';
  }
}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|&&|\|\||[-+*/()<>,]))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < expression.length) {
    if (/^\s*$/.test(expression.slice(position))) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(expression);
    if (match === null) throw new UnsupportedExpressionError(expression, `unexpected character at ${position}`);
    tokens.push(match[1] ?? match[2] ?? match[3]);
    position = TOKEN.lastIndex;
  }
  return tokens;
}

const LEVELS: string[][] = [['OR', '||'], ['AND', '&&'], ['>', '<', '>=', '<=', '==', '!='], ['+', '-'], ['*', '/']];

/** Parses `expression`; throws {@link UnsupportedExpressionError} for anything outside the subset. */
export function parseExpression(expression: string): Node {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (expected?: string): string => {
    const token = tokens[i];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) {
      throw new UnsupportedExpressionError(expression, `expected ${expected ?? 'more'} at token ${i + 1}`);
    }
    i += 1;
    return token;
  };
  const level = (n: number): Node => {
    if (n === LEVELS.length) return unary();
    let left = level(n + 1);
    while (peek() !== undefined && LEVELS[n].includes((peek() ?? '').toUpperCase())) {
      const op = take().toUpperCase();
      left = { kind: 'binary', op, left, right: level(n + 1) };
    }
    return left;
  };
  const unary = (): Node => (peek() === '-' ? (take(), { kind: 'unary', operand: unary() }) : primary());
  const primary = (): Node => {
    const token = take();
    if (token === '(') {
      const inner = level(0);
      take(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (token.toUpperCase() === 'IF' && peek() === '(') {
      take('(');
      const condition = level(0);
      take(',');
      const then = level(0);
      take(',');
      const otherwise = level(0);
      take(')');
      return { kind: 'if', condition, then, otherwise };
    }
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() === '(') throw new UnsupportedExpressionError(expression, `function ${token} is not simulated`);
      return { kind: 'id', name: token };
    }
    throw new UnsupportedExpressionError(expression, `unexpected "${token}"`);
  };
  const tree = level(0);
  if (i !== tokens.length) throw new UnsupportedExpressionError(expression, `unexpected "${tokens[i]}"`);
  return tree;
}

/** The query ids an expression reads. */
export function referencedIds(node: Node): string[] {
  switch (node.kind) {
    case 'number':
      return [];
    case 'id':
      return [node.name];
    case 'unary':
      return referencedIds(node.operand);
    case 'binary':
      return [...referencedIds(node.left), ...referencedIds(node.right)];
    case 'if':
      return [...referencedIds(node.condition), ...referencedIds(node.then), ...referencedIds(node.otherwise)];
  }
}

/** Evaluates at one timestamp; undefined when a referenced series has no value there or a division has no answer. */
export function evaluate(node: Node, values: Record<string, number | undefined>): number | undefined {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'id':
      return values[node.name];
    case 'unary': {
      const v = evaluate(node.operand, values);
      return v === undefined ? undefined : -v;
    }
    case 'if': {
      const condition = evaluate(node.condition, values);
      if (condition === undefined) return undefined;
      return evaluate(condition !== 0 ? node.then : node.otherwise, values);
    }
    case 'binary': {
      const l = evaluate(node.left, values);
      const r = evaluate(node.right, values);
      if (l === undefined || r === undefined) return undefined;
      switch (node.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return r === 0 ? undefined : l / r;
        case '>':
          return l > r ? 1 : 0;
        case '<':
          return l < r ? 1 : 0;
        case '>=':
          return l >= r ? 1 : 0;
        case '<=':
          return l <= r ? 1 : 0;
        case '==':
          return l === r ? 1 : 0;
        case '!=':
          return l !== r ? 1 : 0;
        case 'AND':
        case '&&':
          return l !== 0 && r !== 0 ? 1 : 0;
        default:
          return l !== 0 || r !== 0 ? 1 : 0;
      }
    }
  }
}

/** A time series: values by timestamp (ms). */
export type Series = Map<number, number>;

/** Evaluates `expression` over series by query id, at every timestamp any of them has. */
export function evaluateSeries(expression: string, series: Record<string, Series>): Series {
  const tree = parseExpression(expression);
  const ids = referencedIds(tree);
  for (const id of ids) {
    if (!(id in series)) throw new UnsupportedExpressionError(expression, `unknown id ${id}`);
  }
  const timestamps = new Set<number>();
  for (const id of ids) for (const t of series[id].keys()) timestamps.add(t);
  const out: Series = new Map();
  for (const t of [...timestamps].sort((a, b) => a - b)) {
    const value = evaluate(tree, Object.fromEntries(ids.map((id) => [id, series[id].get(t)])));
    if (value !== undefined && Number.isFinite(value)) out.set(t, value);
  }
  return out;
}
