/**
 * A small seedable PRNG (mulberry32) and string hashing, so a simulated run can be repeated
 * exactly: the same seed and the same calls give the same ids and the same metric noise.
 */

/** mulberry32: a 32-bit state generator, fast and good enough for simulation noise. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit FNV-1a hash of `text`. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const ALPHANUMERIC_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';

/** A seeded random source with the helpers the simulator needs (ids, noise). */
export class Random {
  private readonly next: () => number;

  constructor(readonly seed: number | string) {
    this.next = mulberry32(typeof seed === 'number' ? seed : hashString(seed));
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** `length` characters drawn from `alphabet`. */
  chars(length: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  hex(length: number): string {
    return this.chars(length, HEX);
  }

  upperAlphanumeric(length: number): string {
    return this.chars(length, ALPHANUMERIC_UPPER);
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /**
   * A value in [-1, 1] determined by the seed and `keys` only, not by how many numbers were
   * drawn before: metric noise stays the same whatever order the series are read in.
   */
  noise(...keys: (string | number)[]): number {
    return mulberry32(hashString(`${String(this.seed)}|${keys.join('|')}`))() * 2 - 1;
  }
}
