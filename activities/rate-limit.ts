/** Waits the given number of milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/** Something every call of one kind passes through before it is sent. */
export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(): Promise<void>;
}

/** Settings of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Most tokens the bucket holds, i.e. the largest burst. Default 1: no burst above the rate. */
  burst?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
  /** Default: a plain timer. */
  sleep?: Sleep;
}

const timerSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket shared by every caller in the process. A caller that finds the bucket empty
 * reserves the next token (the count goes negative) and sleeps until it is due, so concurrent
 * callers are served in arrival order without a queue and the rate holds however many wait.
 */
export class TokenBucket implements RateLimiter {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly clock: () => number;
  private readonly sleep: Sleep;
  private tokens: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    }
    const burst = options.burst ?? 1;
    if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, got ${burst}`);
    this.ratePerMs = options.ratePerSecond / 1000;
    this.burst = burst;
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? timerSleep;
    this.tokens = burst;
    this.updatedAt = this.clock();
  }

  async acquire(): Promise<void> {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    await this.sleep(Math.ceil(-this.tokens / this.ratePerMs));
  }
}

/**
 * Runs tasks one at a time per key, in arrival order. Route 53 rejects a change to a hosted zone
 * while it is still processing the previous one (`PriorRequestNotComplete`), so changes to one
 * zone from this worker are sent one after the other.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
