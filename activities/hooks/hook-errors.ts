/**
 * Failure types the application hooks throw, as `ApplicationFailure.type`. Workflows list them
 * in `nonRetryableErrorTypes` or match on them; the strings are the contract.
 */
export const HookErrorType = {
  /** The application refused the request (HTTP 4xx other than 408/429); retrying will not help. */
  HookRejected: 'HookRejected',
  /** The application could not be reached or answered 408/429/5xx, or in time; retryable. */
  HookUnavailable: 'HookUnavailable',
  /** The application answered, but not with the result the hook promises; not retryable. */
  HookResponseInvalid: 'HookResponseInvalid',
} as const;

/** One of the {@link HookErrorType} strings. */
export type HookErrorType = (typeof HookErrorType)[keyof typeof HookErrorType];
