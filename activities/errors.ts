import { ApplicationFailure } from '@temporalio/common';
import type { Duration } from '@temporalio/common';
import { ErrorType, NON_RETRYABLE_ERROR_TYPES } from './error-types';

export { ErrorType, NON_RETRYABLE_ERROR_TYPES, RETRYABLE_ERROR_TYPES } from './error-types';

/** What an AWS SDK v3 error (or a network error under it) says about itself. */
export interface AwsErrorInfo {
  /** The AWS error code: the SDK sets `name` to it, modelled or not. */
  code: string;
  message: string;
  httpStatusCode?: number;
  requestId?: string;
  /** `client` (4xx) or `server` (5xx), as the SDK classified it. */
  fault?: 'client' | 'server';
  /** The SDK's own throttling trait (`$retryable.throttling`). */
  throttlingTrait: boolean;
  /** Node's system error code (ECONNRESET, ...) for network failures. */
  systemCode?: string;
  /** Route 53 `InvalidChangeBatch` lists one message per rejected change. */
  messages?: string[];
  /** The response could not be read in the service's protocol (the SDK's "Deserialization error"). */
  unreadable: boolean;
}

/** Where the failure happened, for the message and the details. */
export interface FailureContext {
  /** The AWS operation (`UpdateStack`) or the activity step. */
  operation: string;
  /** The resource acted on: a stack name, a hosted zone, alarm names. */
  resource?: string;
}

/** The first entry of a mapped failure's `details`: enough to find the call in CloudTrail. */
export interface AwsFailureDetails {
  operation: string;
  resource?: string;
  awsErrorCode: string;
  httpStatusCode?: number;
  requestId?: string;
  fault?: 'client' | 'server';
  messages?: string[];
}

// The SDK's standard retry strategy treats these names as throttling (@smithy/core retry).
// LimitExceededException is on its list but is a quota in CloudFormation and CloudWatch, so it
// is handled as QuotaExceeded before this set is consulted.
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
]);
const QUOTA = new Set([
  'LimitExceededException',
  'LimitExceededFault',
  'LimitExceeded',
  'LimitsExceeded',
  'TooManyHealthChecks',
  'TooManyHostedZones',
  'TooManyTrafficPolicies',
  'TooManyTrafficPolicyInstances',
  'ResourceScanLimitExceededException',
]);
const BUSY = new Set([
  'PriorRequestNotComplete',
  'ConcurrentModification',
  'ConcurrentModificationException',
  'OperationInProgressException',
  'ResourceConflict',
  'TransactionInProgressException',
]);
const UNAVAILABLE = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServiceFault',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  // The provider chain refreshes credentials and corrects clock skew; the next attempt may pass.
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'CredentialsProviderError',
]);
// What an endpoint answers when it does not have the operation: JSON protocols
// (`UnknownOperationException`), query protocols (`InvalidAction`), emulators (`UnsupportedOperation`).
const UNKNOWN_OPERATION = new Set([
  'UnknownOperationException',
  'UnknownOperation',
  'InvalidAction',
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'NotImplemented',
  'NotImplementedException',
]);
// Status codes of an endpoint that is not this service's API: no such path, method or
// operation. Only when the body names no AWS error code (a modelled 404 such as
// NoSuchHostedZone is mapped by code first).
const WRONG_ENDPOINT_STATUS = new Set([404, 405, 501]);
// The names the SDK gives an error whose body carried no code: the status text, `Unknown`, or the status itself.
const NO_CODE = /^(Unknown|UnknownError|NotFound|MethodNotAllowed|NotImplemented|\d{3})$/;
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const ACCESS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorizedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'KmsAccessDeniedException',
  'OptInRequired',
]);
const VALIDATION = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterCombinationException',
  'MissingParameter',
  'MissingRequiredParameterException',
  'InvalidInput',
  'InvalidArgument',
  'InvalidFormat',
  'InvalidFormatFault',
  'InvalidDomainName',
  'InvalidNextToken',
  'InvalidPaginationToken',
  'InsufficientCapabilitiesException',
  'MalformedQueryString',
  'SerializationException',
]);
const BY_CODE: Record<string, ErrorType> = {
  StackNotFoundException: ErrorType.StackNotFound,
  AlreadyExistsException: ErrorType.StackAlreadyExists,
  TokenAlreadyExistsException: ErrorType.RequestTokenConflict,
  NoSuchHostedZone: ErrorType.HostedZoneNotFound,
  HostedZoneNotFound: ErrorType.HostedZoneNotFound,
  InvalidChangeBatch: ErrorType.InvalidChangeBatch,
  NoSuchChange: ErrorType.ChangeNotFound,
  ResourceNotFound: ErrorType.AlarmNotFound,
  ResourceNotFoundException: ErrorType.AlarmNotFound,
};

/** Hints for the next attempt: AWS asks callers to back off when throttled or busy. */
const NEXT_RETRY_DELAY: Partial<Record<ErrorType, Duration>> = {
  [ErrorType.AwsThrottled]: '5s',
  [ErrorType.ResourceBusy]: '10s',
};

const NON_RETRYABLE = new Set<string>(NON_RETRYABLE_ERROR_TYPES);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Reads an AWS SDK v3 error by its shape, not its class: service exceptions of every client,
 * unmodelled errors (built by the base exception with `name` = the code) and network errors.
 * Returns undefined for anything else.
 */
export function awsErrorInfo(err: unknown): AwsErrorInfo | undefined {
  if (!isObject(err) || typeof err.name !== 'string') return undefined;
  const metadata = isObject(err.$metadata) ? err.$metadata : undefined;
  const systemCode = typeof err.code === 'string' ? err.code : undefined;
  const isSdkError = metadata !== undefined || err.$fault !== undefined;
  if (!isSdkError && !(systemCode !== undefined && NETWORK.has(systemCode)) && !UNAVAILABLE.has(err.name)) return undefined;
  const retryable = isObject(err.$retryable) ? err.$retryable : undefined;
  return {
    code: err.name,
    message: typeof err.message === 'string' ? err.message : '',
    httpStatusCode: typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined,
    requestId: typeof metadata?.requestId === 'string' ? metadata.requestId : undefined,
    fault: err.$fault === 'client' || err.$fault === 'server' ? err.$fault : undefined,
    throttlingTrait: retryable?.throttling === true,
    systemCode,
    messages: Array.isArray(err.messages) ? err.messages.filter((m): m is string => typeof m === 'string') : undefined,
    unreadable: isObject(err.$response) && typeof err.message === 'string' && err.message.includes('Deserialization error'),
  };
}

/**
 * An answer that says the endpoint is not this service's API: an unknown or unsupported
 * operation, or a 404/405/501 whose body is not an AWS error of this service, or any 4xx in
 * another protocol (HTML, the wrong JSON or XML dialect). A 5xx other than 501 that cannot be
 * read stays retryable: a load balancer's error page during an outage looks like that.
 */
export function isMisconfiguredEndpoint(info: AwsErrorInfo): boolean {
  if (UNKNOWN_OPERATION.has(info.code)) return true;
  const status = info.httpStatusCode ?? 0;
  if (info.unreadable) return status < 500 || status === 501;
  return WRONG_ENDPOINT_STATUS.has(status) && NO_CODE.test(info.code);
}

/** True for an AWS error with one of the given codes. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const info = awsErrorInfo(err);
  return info !== undefined && codes.includes(info.code);
}

/** CloudFormation's answer to an update that changes nothing: success, not an error. */
export function isNoUpdatesError(err: unknown): boolean {
  const info = awsErrorInfo(err);
  return info?.code === 'ValidationError' && info.message.includes('No updates are to be performed');
}

/** CloudFormation's `ValidationError: Stack with id X does not exist`. */
export function isStackMissingError(err: unknown): boolean {
  const info = awsErrorInfo(err);
  return info?.code === 'ValidationError' && /does not exist/i.test(info.message);
}

/**
 * The wordings of CloudFormation's `ValidationError` for a stack busy with another operation:
 * UpdateStack says "… is in UPDATE_IN_PROGRESS state and can not be updated", DeleteStack says
 * "Stack [arn] cannot be deleted while in status UPDATE_IN_PROGRESS".
 */
const STACK_BUSY_MESSAGE = /is in [A-Z_]*_IN_PROGRESS state|cannot be deleted while in status [A-Z_]*_IN_PROGRESS/i;

/** CloudFormation's `ValidationError` for a stack that is busy with another operation. */
export function isStackBusyError(err: unknown): boolean {
  const info = awsErrorInfo(err);
  return info?.code === 'ValidationError' && STACK_BUSY_MESSAGE.test(info.message);
}

/** Worth an immediate retry inside the activity: AWS asked us to slow down or wait for a prior request. */
export function isThrottlingError(err: unknown): boolean {
  const info = awsErrorInfo(err);
  if (info === undefined || QUOTA.has(info.code)) return false;
  return THROTTLING.has(info.code) || info.code === 'PriorRequestNotComplete' || info.throttlingTrait || info.httpStatusCode === 429;
}

function classify(info: AwsErrorInfo): ErrorType {
  if (info.code === 'ValidationError' && /does not exist/i.test(info.message)) return ErrorType.StackNotFound;
  if (info.code === 'ValidationError' && STACK_BUSY_MESSAGE.test(info.message)) return ErrorType.ResourceBusy;
  const byCode = BY_CODE[info.code];
  if (byCode !== undefined) return byCode;
  if (isMisconfiguredEndpoint(info)) return ErrorType.EndpointMisconfigured;
  if (QUOTA.has(info.code)) return ErrorType.QuotaExceeded;
  if (BUSY.has(info.code)) return ErrorType.ResourceBusy;
  if (THROTTLING.has(info.code) || info.throttlingTrait || info.httpStatusCode === 429) return ErrorType.AwsThrottled;
  if (ACCESS.has(info.code) || info.httpStatusCode === 403) return ErrorType.AccessDenied;
  if (VALIDATION.has(info.code)) return ErrorType.ValidationFailed;
  if (UNAVAILABLE.has(info.code) || (info.systemCode !== undefined && NETWORK.has(info.systemCode))) return ErrorType.AwsUnavailable;
  if (info.fault === 'server' || (info.httpStatusCode ?? 0) >= 500) return ErrorType.AwsUnavailable;
  if (info.fault === 'client' || (info.httpStatusCode ?? 0) >= 400) return ErrorType.AwsRequestRejected;
  return ErrorType.AwsUnavailable;
}

/**
 * Maps any error from an AWS call onto an `ApplicationFailure` whose `type` is an
 * {@link ErrorType}, with `nonRetryable` set for the types no retry can fix. The AWS error code,
 * HTTP status and request id go into `details[0]` ({@link AwsFailureDetails}); the original
 * error is the `cause`. An `ApplicationFailure` passes through unchanged.
 */
export function toApplicationFailure(err: unknown, context: FailureContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const where = context.resource === undefined ? context.operation : `${context.operation} ${context.resource}`;
  const cause = err instanceof Error ? err : undefined;
  const info = awsErrorInfo(err);
  if (info === undefined) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.create({
      type: ErrorType.Unexpected,
      message: `${where} failed: ${message}`,
      nonRetryable: false,
      details: [{ operation: context.operation, resource: context.resource }],
      cause,
    });
  }
  const type = classify(info);
  const details: AwsFailureDetails = {
    operation: context.operation,
    resource: context.resource,
    awsErrorCode: info.code,
    httpStatusCode: info.httpStatusCode,
    requestId: info.requestId,
    fault: info.fault,
    messages: info.messages,
  };
  const reasons = info.messages && info.messages.length > 0 ? ` (${info.messages.join('; ')})` : '';
  const hint =
    type === ErrorType.EndpointMisconfigured
      ? ` (HTTP ${info.httpStatusCode ?? '?'}: the endpoint does not serve this operation of the service; check AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL)`
      : '';
  return ApplicationFailure.create({
    type,
    message: `${where} failed: ${info.code}: ${info.message.split('\n')[0]}${reasons}${hint}`,
    nonRetryable: NON_RETRYABLE.has(type),
    details: [details],
    nextRetryDelay: NEXT_RETRY_DELAY[type],
    cause,
  });
}

/** A failure the activity decides on itself (bad input, a failed stack), typed like the mapped ones. */
export function activityFailure(type: ErrorType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: NON_RETRYABLE.has(type),
    details: details === undefined ? undefined : [details],
    nextRetryDelay: NEXT_RETRY_DELAY[type],
  });
}
