/**
 * Reads and writes of plain-object dictionaries keyed by client strings (timer ids, signal request
 * ids, search attribute names). The objects stay plain because they are persisted state; these
 * keep a key such as `__proto__` or `toString` an ordinary entry rather than Object.prototype's.
 */

/** The value stored under `key` itself, never an inherited one. */
export function getOwn<T>(dictionary: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(dictionary, key) ? dictionary[key] : undefined;
}

/** Stores `value` under `key` as an own property (an assignment to `__proto__` would set the prototype). */
export function setOwn<T>(dictionary: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(dictionary, key, { value, enumerable: true, writable: true, configurable: true });
}
