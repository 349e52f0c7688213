/** Thrown for a query that does not parse, names an unknown attribute or misuses a type. */
export class VisibilityQueryError extends Error {
  override readonly name = 'VisibilityQueryError';
}

// The three prefixes Temporal's query converter puts on its errors (store/query/errors.go).
export const MALFORMED = 'malformed SQL query';
export const NOT_SUPPORTED = 'operation is not supported';
export const INVALID_EXPRESSION = 'invalid expression';

/** `message (at position N)`, with N counted from 1 in the caller's query. */
export function errorAt(message: string, offset: number): VisibilityQueryError {
  return new VisibilityQueryError(`${message} (at position ${offset + 1})`);
}
