/** The simulator's time source. Every state change and datum is stamped with `now()`. */
export interface SimClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` of this clock's time; rejects with an `AbortError` when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The error a cancelled request or sleep rejects with, shaped like the SDK's HTTP handler's. */
export function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

/** Wall-clock time: for local runs and drills. */
export const realClock: SimClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Monday 5 January 2026, 00:00 UTC: a minute-aligned default start for virtual time. */
export const DEFAULT_VIRTUAL_START = Date.parse('2026-01-05T00:00:00.000Z');

/**
 * Time that moves only when told to: by `advance`/`set`, or by `sleep`, which skips the time
 * at once instead of waiting. Pass its `now` and `sleep` to the code under test (activity
 * deps) so polls and backoffs move the simulated fleet along without real waiting.
 */
export class VirtualClock implements SimClock {
  private current: number;

  constructor(start: number | string | Date = DEFAULT_VIRTUAL_START) {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now = (): number => this.current;

  /** Moves time forward by `ms` (never back) and returns the new time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance: expected ms >= 0, got ${ms}`);
    this.current += ms;
    return this.current;
  }

  /** Moves time forward to `time`; earlier times are refused, as real time never goes back. */
  set(time: number | string | Date): void {
    const target = typeof time === 'number' ? time : new Date(time).getTime();
    if (target < this.current) throw new RangeError(`VirtualClock.set: ${new Date(target).toISOString()} is before now`);
    this.current = target;
  }

  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) throw abortError();
    this.advance(Math.max(0, ms));
    // Yield like a real timer would, so concurrent work interleaves.
    await Promise.resolve();
  };
}
