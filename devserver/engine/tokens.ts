import { invalidArgument } from './errors';

/** What a task token names. Tokens are opaque to workers; these are the engine's own. */
export type TaskToken =
  | { kind: 'workflow'; namespace: string; runId: string; startSeq: number }
  | { kind: 'activity'; namespace: string; runId: string; scheduledEventId: number; attempt: number }
  | { kind: 'query'; namespace: string; queryId: string };

/** Encodes a task token as compact JSON bytes. */
export function encodeToken(token: TaskToken): Buffer {
  switch (token.kind) {
    case 'workflow':
      return Buffer.from(JSON.stringify(['w', token.namespace, token.runId, token.startSeq]));
    case 'activity':
      return Buffer.from(JSON.stringify(['a', token.namespace, token.runId, token.scheduledEventId, token.attempt]));
    case 'query':
      return Buffer.from(JSON.stringify(['q', token.namespace, token.queryId]));
  }
}

/** Decodes a task token; a token this server did not issue is INVALID_ARGUMENT. */
export function decodeToken(bytes: Uint8Array | null | undefined): TaskToken {
  if (!bytes || bytes.length === 0) throw invalidArgument('Task token not set on request.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw invalidArgument('Error deserializing task token: not issued by this server.');
  }
  if (Array.isArray(parsed)) {
    const [kind, namespace, a, b, c] = parsed as unknown[];
    if (kind === 'w' && typeof namespace === 'string' && typeof a === 'string' && typeof b === 'number') {
      return { kind: 'workflow', namespace, runId: a, startSeq: b };
    }
    if (
      kind === 'a' &&
      typeof namespace === 'string' &&
      typeof a === 'string' &&
      typeof b === 'number' &&
      typeof c === 'number'
    ) {
      return { kind: 'activity', namespace, runId: a, scheduledEventId: b, attempt: c };
    }
    if (kind === 'q' && typeof namespace === 'string' && typeof a === 'string') {
      return { kind: 'query', namespace, queryId: a };
    }
  }
  throw invalidArgument('Error deserializing task token: not issued by this server.');
}
