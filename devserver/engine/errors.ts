import { status } from '@grpc/grpc-js';
import { enums, errordetails, failure } from './proto';

/** One `google.protobuf.Any` error detail, as the SDK reads from `grpc-status-details-bin`. */
export interface ErrorDetail {
  typeUrl: string;
  value: Uint8Array;
}

/** An error answered to the caller with a gRPC status code; never a crash. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

function detail(typeName: string, value: Uint8Array): ErrorDetail {
  return { typeUrl: `type.googleapis.com/${typeName}`, value };
}

/** INVALID_ARGUMENT: the request itself is wrong. */
export function invalidArgument(message: string): ServiceError {
  return new ServiceError(status.INVALID_ARGUMENT, message);
}

/** NOT_FOUND for a workflow execution, activity or task that does not exist (any more). */
export function notFound(message: string): ServiceError {
  const value = errordetails.NotFoundFailure.encode({ currentCluster: 'active', activeCluster: 'active' }).finish();
  return new ServiceError(status.NOT_FOUND, message, [
    detail('temporal.api.errordetails.v1.NotFoundFailure', value),
  ]);
}

/** NOT_FOUND with the detail the SDK turns into `NamespaceNotFoundError`. */
export function namespaceNotFound(namespace: string): ServiceError {
  const value = errordetails.NamespaceNotFoundFailure.encode({ namespace }).finish();
  return new ServiceError(status.NOT_FOUND, `Namespace ${namespace} is not found.`, [
    detail('temporal.api.errordetails.v1.NamespaceNotFoundFailure', value),
  ]);
}

/** ALREADY_EXISTS for a start that conflicts with a running (or not reusable) execution. */
export function workflowAlreadyStarted(workflowId: string, runId: string, startRequestId: string): ServiceError {
  const value = errordetails.WorkflowExecutionAlreadyStartedFailure.encode({ startRequestId, runId }).finish();
  return new ServiceError(status.ALREADY_EXISTS, `Workflow execution already started: WorkflowId: ${workflowId}, RunId: ${runId}`, [
    detail('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', value),
  ]);
}

/** INVALID_ARGUMENT with a `QueryFailedFailure` detail: the workflow's query handler failed. */
export function queryFailed(message: string, cause: failure.IFailure | null | undefined): ServiceError {
  const value = errordetails.QueryFailedFailure.encode({ failure: cause ?? { message } }).finish();
  return new ServiceError(status.INVALID_ARGUMENT, message, [
    detail('temporal.api.errordetails.v1.QueryFailedFailure', value),
  ]);
}

/**
 * RESOURCE_EXHAUSTED for an update beyond the in-flight limit of its run, with the
 * ResourceExhaustedFailure detail (cause CONCURRENT_LIMIT, scope NAMESPACE) the real server sends.
 */
export function inFlightUpdateLimit(limit: number): ServiceError {
  const value = errordetails.ResourceExhaustedFailure.encode({
    cause: enums.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
    scope: enums.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE,
  }).finish();
  return new ServiceError(status.RESOURCE_EXHAUSTED, `limit on number of concurrent in-flight updates has been reached (${limit})`, [
    detail('temporal.api.errordetails.v1.ResourceExhaustedFailure', value),
  ]);
}

/** FAILED_PRECONDITION: valid request, wrong state. */
export function failedPrecondition(message: string): ServiceError {
  return new ServiceError(status.FAILED_PRECONDITION, message);
}

/** UNIMPLEMENTED, naming the method; worded so SDK tolerance checks ("not implemented") match. */
export function unimplemented(service: string, method: string): ServiceError {
  return new ServiceError(
    status.UNIMPLEMENTED,
    `Method ${service}/${method} is not implemented by the cellops dev server (unknown method)`,
  );
}
