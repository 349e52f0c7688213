import { invalidArgument } from './errors';

/** What a task token names. Tokens are opaque to workers; these are the engine's own. */
export type TaskToken =
  | { kind: 'workflow'; namespace: string; runId: string; startSeq: number }
  | { kind: 'activity'; namespace: string; runId: string; scheduledEventId: number; attempt: number }
  | { kind: 'query'; namespace: string; queryId: string }
  /**
   * A token in the real server's format (a `temporal.server.api.token.v1.Task` or `QueryTask`
   * protobuf, whose field 1 is the namespace id): issued by another server, never by this one.
   */
  | { kind: 'foreign'; namespaceId: string };

/** A token this server issues. */
export type IssuedToken = Exclude<TaskToken, { kind: 'foreign' }>;

/** Encodes a task token as compact JSON bytes. */
export function encodeToken(token: IssuedToken): Buffer {
  switch (token.kind) {
    case 'workflow':
      return Buffer.from(JSON.stringify(['w', token.namespace, token.runId, token.startSeq]));
    case 'activity':
      return Buffer.from(JSON.stringify(['a', token.namespace, token.runId, token.scheduledEventId, token.attempt]));
    case 'query':
      return Buffer.from(JSON.stringify(['q', token.namespace, token.queryId]));
  }
}

/**
 * Decodes a task token. A token in the real server's format decodes as `foreign` (the caller
 * answers NOT_FOUND, as a real server does for a token of a namespace or run it does not have);
 * bytes that are neither format are INVALID_ARGUMENT, as the real server's "Error deserializing
 * task token."
 */
export function decodeToken(bytes: Uint8Array | null | undefined): TaskToken {
  if (!bytes || bytes.length === 0) throw invalidArgument('Task token not set on request.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    parsed = undefined;
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
  const namespaceId = serverTokenNamespaceId(Buffer.from(bytes));
  if (namespaceId !== undefined) return { kind: 'foreign', namespaceId };
  throw invalidArgument('Error deserializing task token.');
}

/**
 * The namespace id of a token in the real server's protobuf format: the whole buffer parses as
 * protobuf fields and field 1 (`namespace_id`) is a non-empty UTF-8 string. Undefined otherwise.
 */
function serverTokenNamespaceId(bytes: Buffer): string | undefined {
  let pos = 0;
  let namespaceId: string | undefined;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) return undefined;
      const byte = bytes[pos++];
      if (shift < 35) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) return undefined;
    if (wireType === 0) {
      if (varint() === undefined) return undefined;
    } else if (wireType === 1 || wireType === 5) {
      pos += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = varint();
      if (length === undefined || pos + length > bytes.length) return undefined;
      if (field === 1) {
        const text = bytes.subarray(pos, pos + length);
        const decoded = text.toString('utf8');
        if (!Buffer.from(decoded, 'utf8').equals(text)) return undefined;
        namespaceId = decoded;
      }
      pos += length;
    } else {
      return undefined;
    }
  }
  return pos === bytes.length && namespaceId ? namespaceId : undefined;
}
