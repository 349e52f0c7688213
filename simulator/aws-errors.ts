import {
  AlreadyExistsException,
  CloudFormationServiceException,
  InsufficientCapabilitiesException,
  TokenAlreadyExistsException,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchServiceException,
  DashboardInvalidInputError,
  DashboardNotFoundError,
  InvalidFormatFault,
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  MissingRequiredParameterException,
  ResourceNotFound,
} from '@aws-sdk/client-cloudwatch';
import {
  InvalidChangeBatch,
  InvalidInput,
  InvalidPaginationToken,
  NoSuchChange,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import type { AwsService } from './calls';

/** The `$metadata` of a simulated response or error. */
export interface SimulatedMetadata {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
}

type ErrorOptions = { message: string; $metadata: SimulatedMetadata };
type ModelledError = new (options: ErrorOptions) => Error;

// The SDK's own classes for the errors each service models; any other code is built, as the
// SDK does for unmodelled errors, from the service's base exception with `name` = the code.
const MODELLED: Record<AwsService, Record<string, ModelledError>> = {
  cloudformation: {
    AlreadyExistsException,
    TokenAlreadyExistsException,
    InsufficientCapabilitiesException,
  },
  route53: {
    InvalidChangeBatch,
    InvalidInput,
    InvalidPaginationToken,
    NoSuchChange,
    NoSuchHostedZone,
    PriorRequestNotComplete,
  },
  cloudwatch: {
    ResourceNotFound,
    DashboardNotFoundError,
    DashboardInvalidInputError,
    InvalidFormatFault,
    InvalidNextToken,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    MissingRequiredParameterException,
  },
};

// CloudWatch speaks JSON with awsQueryCompatible: the class is named after the shape, while
// the error's `Code` keeps the old query code.
const CLOUDWATCH_QUERY_CODES: Record<string, string> = {
  InvalidFormatFault: 'InvalidFormat',
  InvalidParameterValueException: 'InvalidParameterValue',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  MissingRequiredParameterException: 'MissingParameter',
  DashboardNotFoundError: 'ResourceNotFound',
  DashboardInvalidInputError: 'InvalidParameterInput',
};

const STATUS: Record<string, number> = {
  InternalFailure: 500,
  ServiceUnavailable: 503,
  NoSuchHostedZone: 404,
  NoSuchChange: 404,
  ResourceNotFound: 404,
  DashboardNotFoundError: 404,
};

/** What a simulated AWS error carries besides its class. */
export interface AwsErrorSpec {
  code: string;
  message: string;
  /** Default: 404 for the not-found codes, 500/503 for the 5xx codes, else 400. */
  httpStatusCode?: number;
  /** Route 53 `InvalidChangeBatch`: one message per rejected change. */
  messages?: string[];
}

/** A thrown simulated AWS error, before its request id is known. */
export class PendingAwsError extends Error {
  constructor(readonly spec: AwsErrorSpec) {
    super(spec.message);
    this.name = spec.code;
  }
}

/** Throws from a command handler: the interceptor turns it into the SDK's exception. */
export function fail(code: string, message: string, extra: Omit<AwsErrorSpec, 'code' | 'message'> = {}): never {
  throw new PendingAwsError({ code, message, ...extra });
}

/** `Throttling: Rate exceeded`, as CloudFormation, Route 53 and CloudWatch all send it. */
export const throttlingSpec = (): AwsErrorSpec => ({ code: 'Throttling', message: 'Rate exceeded', httpStatusCode: 400 });

/**
 * The SDK exception a real client would throw for `spec`: the modelled class when the service
 * has one (`AlreadyExistsException`, `InvalidChangeBatch`, `ResourceNotFound`...), otherwise the
 * service's base exception named after the code, with `$fault`, `$metadata` and the
 * protocol's `Error { Type, Code, Message }` fields.
 */
export function toSdkError(service: AwsService, spec: AwsErrorSpec, requestId: string): Error {
  const httpStatusCode = spec.httpStatusCode ?? STATUS[spec.code] ?? 400;
  const $metadata: SimulatedMetadata = { httpStatusCode, requestId, attempts: 1, totalRetryDelay: 0 };
  const $fault = httpStatusCode >= 500 ? 'server' : 'client';
  const Modelled = MODELLED[service][spec.code];
  let error: Error;
  if (Modelled !== undefined) {
    error = new Modelled({ message: spec.message, $metadata });
  } else {
    const options = { name: spec.code, $fault, message: spec.message, $metadata } as const;
    if (service === 'cloudformation') error = new CloudFormationServiceException(options);
    else if (service === 'route53') error = new Route53ServiceException(options);
    else error = new CloudWatchServiceException(options);
  }
  const code = service === 'cloudwatch' ? (CLOUDWATCH_QUERY_CODES[spec.code] ?? spec.code) : spec.code;
  const type = $fault === 'server' ? 'Receiver' : 'Sender';
  Object.assign(error, { $fault, Error: { Type: type, Code: code, Message: spec.message }, Type: type, Code: code, RequestId: requestId });
  // CloudFormation's modelled errors carry the message in `Message` as well.
  if (service === 'cloudformation' && Modelled !== undefined) Object.assign(error, { Message: spec.message });
  if (spec.messages !== undefined) Object.assign(error, { messages: spec.messages });
  return error;
}
