/**
 * The failure types of the AWS activities: the `type` of every `ApplicationFailure` they throw.
 *
 * Temporal's `nonRetryableErrorTypes` matches `ApplicationFailure.type`, never an AWS error
 * name, so workflows list these strings and the activities map every AWS error onto one of
 * them (`toApplicationFailure` in `./errors`). This module has no imports on purpose: it is
 * plain data that workflow code could bundle without pulling in Node or the AWS SDK.
 */
export const ErrorType = {
  /** AWS kept throttling the call after the SDK's and the activity's own retries. Retryable. */
  AwsThrottled: 'AwsThrottled',
  /** A 5xx, a network failure, a timeout or credentials that could not be loaded. Retryable. */
  AwsUnavailable: 'AwsUnavailable',
  /**
   * The resource is busy with another operation: Route 53 `PriorRequestNotComplete`, a stack with
   * another operation in progress, a concurrent modification. Retryable.
   */
  ResourceBusy: 'ResourceBusy',
  /** The request is invalid (bad template, parameter, weight, name...). Retrying cannot help. */
  ValidationFailed: 'ValidationFailed',
  /** The worker's identity may not do this. Needs an IAM change, not a retry. */
  AccessDenied: 'AccessDenied',
  /** An account quota (CloudFormation `LimitExceededException`, too many alarms, ...). */
  QuotaExceeded: 'QuotaExceeded',
  /** The stack does not exist. */
  StackNotFound: 'StackNotFound',
  /** A stack of that name exists and was not created by this request. */
  StackAlreadyExists: 'StackAlreadyExists',
  /** A stack operation ended in a failed or rolled-back state, or the stack is in a state that needs an operator. */
  StackOperationFailed: 'StackOperationFailed',
  /** The Route 53 hosted zone does not exist. */
  HostedZoneNotFound: 'HostedZoneNotFound',
  /** Route 53 rejected the change batch as a whole (nothing was changed). */
  InvalidChangeBatch: 'InvalidChangeBatch',
  /** Route 53 does not know the change id. */
  ChangeNotFound: 'ChangeNotFound',
  /** A CloudWatch alarm (or other CloudWatch resource) does not exist. */
  AlarmNotFound: 'AlarmNotFound',
  /** The client request token was already used by another request. */
  RequestTokenConflict: 'RequestTokenConflict',
  /** Any other client-side (4xx) AWS error: the request as sent will not succeed. */
  AwsRequestRejected: 'AwsRequestRejected',
  /**
   * The endpoint does not speak this service's API: an unknown or unsupported operation, or an
   * answer in another protocol (an HTML 404, a 405, a 501). A configuration error (wrong
   * `AWS_ENDPOINT_URL_<SERVICE>`, an emulator without the operation), never fixed by a retry.
   */
  EndpointMisconfigured: 'EndpointMisconfigured',
  /** Not an AWS error at all (a bug or an unexpected response). Retryable, as Temporal's default. */
  Unexpected: 'Unexpected',
} as const;

/** One of the {@link ErrorType} strings. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * The types no retry can fix. Activities already set `nonRetryable` on these failures; workflows
 * also pass this list as `retry.nonRetryableErrorTypes` so the intent is visible in the policy.
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.ValidationFailed,
  ErrorType.AccessDenied,
  ErrorType.QuotaExceeded,
  ErrorType.StackNotFound,
  ErrorType.StackAlreadyExists,
  ErrorType.StackOperationFailed,
  ErrorType.HostedZoneNotFound,
  ErrorType.InvalidChangeBatch,
  ErrorType.ChangeNotFound,
  ErrorType.AlarmNotFound,
  ErrorType.RequestTokenConflict,
  ErrorType.AwsRequestRejected,
  ErrorType.EndpointMisconfigured,
];

/** The types worth retrying: AWS was busy, slow or unreachable, or something unexpected happened. */
export const RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.AwsThrottled,
  ErrorType.AwsUnavailable,
  ErrorType.ResourceBusy,
  ErrorType.Unexpected,
];
