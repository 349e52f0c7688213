import { deserialize, serialize } from 'node:v8';
import Long from 'long';

/**
 * A generic codec for the engine's plain state: V8's structured serialization (objects, arrays,
 * Uint8Array/Buffer, Map, Set, Date, undefined, bigint) after a normalising pass for the two
 * things structured clone gets wrong for protobuf-shaped data:
 *
 * - protobufjs message instances keep default field values on their prototype; structured clone
 *   copies own properties only, so a decoded `Payload` would lose `data`. Inherited enumerable
 *   properties are copied too (functions skipped), giving plain objects that read the same.
 * - int64 fields are `Long` instances, whose methods the engine calls (`toNumber`); they are tagged
 *   on the way in and revived as `Long` on the way out.
 *
 * Keys of plain objects are kept whatever they are; on class instances, keys starting with `$`
 * are not data (protobufjs's `$type`) and are dropped.
 *
 * New fields of any state type are covered without changes here, as long as they are plain data.
 */
const LONG_TAG = '$cellopsLong';

/** Encodes a plain-data value (see the module comment for what that covers). */
export function encodeValue(value: unknown): Buffer {
  return serialize(toPlain(value));
}

/** Decodes bytes from {@link encodeValue}. */
export function decodeValue<T>(bytes: Uint8Array): T {
  return revive(deserialize(bytes)) as T;
}

function toPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (Long.isLong(value)) return { [LONG_TAG]: [value.low, value.high, value.unsigned] };
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toPlain(v)]));
  if (value instanceof Set) return new Set([...value].map(toPlain));
  const out: Record<string, unknown> = {};
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) {
    // Plain data: every own key, whatever it is ("$x", "__proto__" as an own key).
    for (const key of Object.keys(value)) setOwn(out, key, toPlain((value as Record<string, unknown>)[key]));
    return out;
  }
  // A class instance (protobufjs message): for-in on purpose, since protobufjs keeps default field
  // values on the prototype. It also puts the reflected `$type` there (a cyclic graph); no proto
  // field name starts with `$`.
  for (const key in value) {
    if (key.charCodeAt(0) === 36 /* $ */) continue;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'function') setOwn(out, key, toPlain(v));
  }
  return out;
}

function setOwn(target: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  else target[key] = v;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, revive(v));
    return value;
  }
  if (value instanceof Set) return new Set([...value].map(revive));
  const record = value as Record<string, unknown>;
  const bits = record[LONG_TAG];
  if (Array.isArray(bits)) return Long.fromBits(bits[0] as number, bits[1] as number, bits[2] as boolean);
  for (const key of Object.keys(record)) {
    const v = record[key];
    const revived = revive(v);
    if (revived !== v) setOwn(record, key, revived);
  }
  return record;
}
