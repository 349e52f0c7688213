import { common, durationMs, enums, failure } from './proto';
import type { RetryPolicyState } from './types';

const RetryState = enums.RetryState;

/** Prefix the server uses for timeout types listed in `nonRetryableErrorTypes`. */
const TIMEOUT_TYPE_PREFIX = 'TemporalTimeout:';

/** The server-side activity retry policy with Temporal's defaults filled in. */
export function activityRetryPolicy(policy: common.IRetryPolicy | null | undefined): RetryPolicyState {
  const initialIntervalMs = durationMs(policy?.initialInterval) || 1000;
  return {
    initialIntervalMs,
    backoffCoefficient: policy?.backoffCoefficient && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2,
    maximumIntervalMs: durationMs(policy?.maximumInterval) || 100 * initialIntervalMs,
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

/** Whether a failure may be retried at all (before counting attempts and time). */
export function isRetryable(f: failure.IFailure | null | undefined, nonRetryableTypes: readonly string[]): boolean {
  if (!f) return true;
  if (f.terminatedFailureInfo || f.canceledFailureInfo) return false;
  if (f.timeoutFailureInfo) {
    const type = f.timeoutFailureInfo.timeoutType ?? 0;
    if (type === enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || type === enums.TimeoutType.TIMEOUT_TYPE_HEARTBEAT) {
      return !nonRetryableTypes.includes(TIMEOUT_TYPE_PREFIX + timeoutTypeShortName(type));
    }
    return false;
  }
  if (f.serverFailureInfo) return !f.serverFailureInfo.nonRetryable;
  if (f.applicationFailureInfo) {
    if (f.applicationFailureInfo.nonRetryable) return false;
    return !nonRetryableTypes.includes(f.applicationFailureInfo.type ?? '');
  }
  return true;
}

/** The decision for a failed attempt: retry after `delayMs`, or stop with `retryState`. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; retryState: enums.RetryState };

/**
 * Decides whether attempt `attempt` (1-based, just failed) is retried: not for non-retryable
 * failures, not past maximumAttempts, not if the next attempt would start after `expiresAtMs`
 * (schedule-to-close; 0 = never). Backoff is initial × coefficient^(attempt−1), capped at the
 * maximum interval; an application failure's `nextRetryDelay` overrides it.
 */
export function decideRetry(
  policy: RetryPolicyState,
  attempt: number,
  f: failure.IFailure | null | undefined,
  nowMs: number,
  expiresAtMs: number,
): RetryDecision {
  if (!isRetryable(f, policy.nonRetryableErrorTypes)) {
    return { retry: false, retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { retry: false, retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  const override = durationMs(f?.applicationFailureInfo?.nextRetryDelay);
  let delayMs = override > 0 ? override : policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1);
  if (override <= 0 && policy.maximumIntervalMs > 0) delayMs = Math.min(delayMs, policy.maximumIntervalMs);
  if (expiresAtMs > 0 && nowMs + delayMs > expiresAtMs) {
    return { retry: false, retryState: RetryState.RETRY_STATE_TIMEOUT };
  }
  return { retry: true, delayMs };
}

/** "StartToClose" for TIMEOUT_TYPE_START_TO_CLOSE, as the server spells timeout types in messages. */
export function timeoutTypeShortName(type: enums.TimeoutType): string {
  switch (type) {
    case enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
      return 'StartToClose';
    case enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
      return 'ScheduleToStart';
    case enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
      return 'ScheduleToClose';
    case enums.TimeoutType.TIMEOUT_TYPE_HEARTBEAT:
      return 'Heartbeat';
    default:
      return 'Unspecified';
  }
}
