/**
 * Responses that carry history reference the events' stored bytes instead of event objects; the
 * RPC layer splices them into the encoded response (see `encodeHistoryField`). The symbol key is
 * invisible to protobufjs, which encodes the rest of the message as usual.
 */
export const PRE_ENCODED_HISTORY = Symbol('preEncodedHistory');

/** A slice `[start, end)` of an append-only array of encoded events. */
export interface EncodedEventSlice {
  events: readonly Uint8Array[];
  start: number;
  end: number;
}

/** The `History` field of a response, as slices of pre-encoded events. */
export interface PreEncodedHistory {
  /** Field number of the `History` field in the response message. */
  fieldNumber: number;
  slices: EncodedEventSlice[];
}

/** A response message that may carry pre-encoded history. */
export type WithPreEncodedHistory<T> = T & { [PRE_ENCODED_HISTORY]?: PreEncodedHistory };

/** Attaches pre-encoded history to a response message. */
export function withHistory<T extends object>(
  message: T,
  fieldNumber: number,
  slices: EncodedEventSlice[],
): WithPreEncodedHistory<T> {
  return Object.assign(message, { [PRE_ENCODED_HISTORY]: { fieldNumber, slices } });
}
