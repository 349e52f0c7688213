import { Context } from '@temporalio/activity';
import { isThrottlingError, toApplicationFailure, type FailureContext } from './errors';
import type { RateLimiter, Sleep } from './rate-limit';

/** Retries inside the activity for throttled calls, on top of the SDK's own (3 attempts by default). */
export interface ThrottleRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Eight attempts spread over about 24 s of backoff (250 ms doubling, capped at 8 s). */
export const DEFAULT_THROTTLE_RETRY: ThrottleRetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 8_000 };

/** The activity context's sleep: resolves after `ms`, rejects with `CancelledFailure` on cancellation. */
export const activitySleep: Sleep = (ms) => Context.current().sleep(ms);

/**
 * Waits `ms` with the injected sleep, but gives up as soon as the activity is cancelled, so an
 * injected (test or custom) sleep cannot make an activity deaf to cancellation.
 */
export async function pause(sleep: Sleep, ms: number): Promise<void> {
  const context = Context.current();
  throwIfCancelled();
  await Promise.race([sleep(ms), context.cancelled]);
  throwIfCancelled();
}

/** The activity's `CancelledFailure` once cancellation was requested, else undefined. */
export function cancellationError(): Error | undefined {
  const signal = Context.current().cancellationSignal;
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Throws the activity's `CancelledFailure` if cancellation was requested. */
export function throwIfCancelled(): void {
  const cancelled = cancellationError();
  if (cancelled !== undefined) throw cancelled;
}

/** Sends AWS calls of one service: through its rate limiter, retrying throttling, mapping errors. */
export class AwsCaller {
  constructor(
    private readonly options: {
      sleep: Sleep;
      retry: ThrottleRetryPolicy;
      /** Shared by every call of this service in the worker (Route 53); none for the others. */
      limiter?: RateLimiter;
    },
  ) {}

  /**
   * Sends one request and returns its response. Throttling and `PriorRequestNotComplete` are
   * retried with exponential backoff, each attempt taking a token from the limiter again. Any
   * other error is thrown as the SDK raised it, so callers can recognise answers that mean
   * success ("No updates are to be performed.", a missing stack on delete). Cancellation
   * aborts the request in flight and throws the activity's `CancelledFailure`.
   */
  async attempt<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const { retry, limiter, sleep } = this.options;
    const signal = Context.current().cancellationSignal;
    for (let attempt = 1; ; attempt += 1) {
      throwIfCancelled();
      await limiter?.acquire();
      try {
        return await send(signal);
      } catch (err) {
        throwIfCancelled();
        if (attempt >= retry.maxAttempts || !isThrottlingError(err)) throw err;
      }
      await pause(sleep, Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
    }
  }

  /** {@link attempt}, with every error mapped by `toApplicationFailure`. */
  async call<T>(context: FailureContext, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.attempt(send);
    } catch (err) {
      throw mapError(err, context);
    }
  }
}

/** Cancellation passes through as it is; anything else becomes a typed `ApplicationFailure`. */
export function mapError(err: unknown, context: FailureContext): Error {
  return cancellationError() ?? toApplicationFailure(err, context);
}
