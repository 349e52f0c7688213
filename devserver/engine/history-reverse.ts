import { withHistory, type WithPreEncodedHistory } from './encoded';
import { invalidArgument } from './errors';
import type { wsv } from './proto';
import type { ExecutionState } from './types';

/** Field number of `history` in GetWorkflowExecutionHistoryReverseResponse. */
const REVERSE_HISTORY_FIELD = 1;

/** Where the next reverse page starts: the events of `runId` with ids below `beforeEventId`. */
export interface ReversePageToken {
  runId: string;
  beforeEventId: number;
}

/** The token of the next reverse page (tagged so a forward token is not mistaken for one). */
export function encodeReverseToken(token: ReversePageToken): Buffer {
  return Buffer.from(JSON.stringify(['reverse', token.runId, token.beforeEventId]));
}

/** Decodes a reverse page token; INVALID_ARGUMENT for anything else. */
export function decodeReverseToken(bytes: Uint8Array | null | undefined): ReversePageToken | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const [tag, runId, beforeEventId] = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown[];
    if (tag === 'reverse' && typeof runId === 'string' && typeof beforeEventId === 'number' && beforeEventId >= 1) {
      return { runId, beforeEventId };
    }
  } catch {
    // fall through
  }
  throw invalidArgument('Invalid NextPageToken.');
}

/**
 * One page of GetWorkflowExecutionHistoryReverse: the newest events first, `maximumPageSize` at
 * a time (all of them when 0), continuing below the previous page; an empty token on the page
 * that reaches event 1.
 */
export function reverseHistoryPage(
  exec: ExecutionState,
  token: ReversePageToken | undefined,
  maximumPageSize: number,
): WithPreEncodedHistory<wsv.IGetWorkflowExecutionHistoryReverseResponse> {
  const encoded = exec.log.encoded;
  const end = Math.min(encoded.length, token ? token.beforeEventId - 1 : encoded.length);
  const start = maximumPageSize > 0 ? Math.max(0, end - maximumPageSize) : 0;
  const events = encoded.slice(start, end).reverse();
  return withHistory(
    { nextPageToken: start > 0 ? encodeReverseToken({ runId: exec.runId, beforeEventId: start + 1 }) : Buffer.alloc(0) },
    REVERSE_HISTORY_FIELD,
    [{ events, start: 0, end: events.length }],
  );
}
