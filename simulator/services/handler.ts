/** Answers one API operation: the response without `$metadata`, or a thrown `PendingAwsError`. */
export type OperationHandler = (input: unknown, context: { abortSignal?: AbortSignal }) => object | Promise<object>;

/** A service's simulated operations, by API name (`UpdateStack`). */
export type ServiceHandlers = Record<string, OperationHandler>;

/** Wraps a handler written against the SDK's input type; the SDK already typed the input it was given. */
export function operation<I>(handle: (input: I, context: { abortSignal?: AbortSignal }) => object | Promise<object>): OperationHandler {
  return (input, context) => handle(input as I, context);
}

/** An opaque pagination token over a list position. */
export function pageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ scope, offset })).toString('base64');
}

/** The offset a token points at, or undefined when it is not one of ours for `scope`. */
export function readPageToken(token: string, scope: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { scope: s, offset } = parsed as { scope?: unknown; offset?: unknown };
    return s === scope && typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}
