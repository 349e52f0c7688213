/**
 * @module The real server's request limits, checked before a handler runs (so nothing over a
 * limit is stored):
 * - ids and names (namespace, workflow and activity ids, request id, identity, workflow, activity,
 *   signal, query and update names, task queue) of at most 1,000 characters (`limit.maxIDLength`);
 *   longer ones answer INVALID_ARGUMENT "<Field> exceeds length limit.";
 * - payloads a client sends (start and signal input, update and query arguments, terminate and
 *   cancel details) of at most `limit.blobSize.error` bytes (default 2 MiB) encoded; larger
 *   ones answer INVALID_ARGUMENT "Blob data size exceeds limit.";
 * - a start's search attributes and memo within their limits (engine/property-limits.ts), else
 *   INVALID_ARGUMENT with the real server's message;
 * - what a worker reports for an activity over that size is not stored: an oversized result or
 *   cancel details fail the activity with a non-retryable server failure ("Complete result exceeds
 *   size limit.", "Cancel details exceed size limit."), an oversized failure is replaced by "Failure
 *   exceeds size limit.", oversized heartbeat details fail the activity ("Heartbeat details exceed
 *   size limit.") and the heartbeat answers cancelRequested, as the real frontend does;
 * - a worker's query answer over that size is replaced by a failure, "Blob data size exceeds
 *   limit.", as the real server does (commands and update messages over it: engine/command-limits.ts).
 * `limit.blobSize.error` and `limit.blobSize.warn` (bytes) are set with `--dynamic-config-value`;
 * payloads over the warn limit are logged.
 */
import type { DevServerConfig } from '../config';
import { invalidArgument } from '../engine/errors';
import { common, enums, failure as failurepb, type wsv } from '../engine/proto';
import type { Logger } from '../log';
import type { Engine } from '../engine/engine';
import { DEFAULT_LIMITS, LIMIT_SETTING_KEYS, type LimitSettings } from '../engine/limit-settings';
import {
  MEMO_SIZE_EXCEEDS_LIMIT,
  memoOverLimit,
  searchAttributeKeysOverLimit,
  searchAttributesSizeOverLimit,
} from '../engine/property-limits';
import type { Handler } from './handlers';

/** The real server's `limit.maxIDLength`. */
export const MAX_ID_LENGTH = 1000;
/** The real server's `limit.blobSize.error` default: 2 MiB. */
export const DEFAULT_BLOB_SIZE_LIMIT_ERROR = DEFAULT_LIMITS.blobSizeError;
/** The real server's `limit.blobSize.warn` default: 512 KiB. */
export const DEFAULT_BLOB_SIZE_LIMIT_WARN = DEFAULT_LIMITS.blobSizeWarn;

export const BLOB_SIZE_EXCEEDS_LIMIT = 'Blob data size exceeds limit.';
export const COMPLETE_RESULT_EXCEEDS_LIMIT = 'Complete result exceeds size limit.';
export const FAILURE_EXCEEDS_LIMIT = 'Failure exceeds size limit.';
export const CANCEL_DETAILS_EXCEED_LIMIT = 'Cancel details exceed size limit.';
export const HEARTBEAT_DETAILS_EXCEED_LIMIT = 'Heartbeat details exceed size limit.';

export type Limits = LimitSettings;

/** A non-negative integer dynamic config value (bytes), or the default. */
function byteSetting(config: DevServerConfig, key: string, fallback: number): number {
  const raw = config.dynamicConfig[key];
  if (raw === undefined) return fallback;
  const value = Number(raw.trim().replace(/^"(.*)"$/, '$1'));
  return Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

export function limitsFromConfig(config: DevServerConfig): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_SETTING_KEYS) as (keyof LimitSettings)[]) {
    limits[key] = byteSetting(config, LIMIT_SETTING_KEYS[key], DEFAULT_LIMITS[key]);
  }
  return limits;
}

/** Request fields holding an id or a name, with the name the real server's message gives them. */
const ID_FIELDS: Record<string, string> = {
  namespace: 'Namespace',
  workflowId: 'WorkflowId',
  activityId: 'ActivityId',
  requestId: 'RequestId',
  identity: 'Identity',
  signalName: 'SignalName',
  queryType: 'QueryType',
  updateId: 'UpdateId',
};
/** Request fields holding a `{ name }` message. */
const NAMED_FIELDS: Record<string, string> = {
  workflowType: 'WorkflowType',
  activityType: 'ActivityType',
  taskQueue: 'TaskQueue',
};

/**
 * Fields not searched for ids: payloads and maps of them (values, not ids), failures, and a workflow
 * task's commands and messages (the engine fails the task for those, as the real server does).
 */
const SKIPPED_FIELDS: ReadonlySet<string> = new Set([
  'input', 'args', 'fields', 'indexedFields', 'details', 'result', 'failure', 'commands', 'messages', 'queryResults', 'queryResult',
]);

/**
 * The first id or name over {@link MAX_ID_LENGTH} in a request (its own fields, and those of the
 * messages it holds a few levels down: a query, an update's request, an operation of
 * ExecuteMultiOperation), as the message to refuse it with.
 */
export function idOverLimit(request: unknown, depth = 0): string | undefined {
  if (!request || typeof request !== 'object' || depth > 4) return undefined;
  if (Array.isArray(request)) {
    for (const item of request) {
      const found = idOverLimit(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(request as Record<string, unknown>)) {
    if (typeof value === 'string') {
      const field = Object.hasOwn(ID_FIELDS, key) ? ID_FIELDS[key] : undefined;
      if (field && value.length > MAX_ID_LENGTH) return `${field} exceeds length limit.`;
      if (key === 'name' && depth > 0 && value.length > MAX_ID_LENGTH) return 'Name exceeds length limit.';
    } else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
      const named = Object.hasOwn(NAMED_FIELDS, key) ? NAMED_FIELDS[key] : undefined;
      const name = named ? (value as { name?: unknown }).name : undefined;
      if (named && typeof name === 'string' && name.length > MAX_ID_LENGTH) return `${named} exceeds length limit.`;
      // Payload maps (memo, header, search attributes) hold values, not ids.
      if (SKIPPED_FIELDS.has(key)) continue;
      const found = idOverLimit(value, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function payloadsSize(payloads: common.IPayloads | null | undefined): number {
  return payloads ? common.Payloads.encode(payloads).finish().length : 0;
}

function failureSize(f: failurepb.IFailure | null | undefined): number {
  return f ? failurepb.Failure.encode(f).finish().length : 0;
}

/** A non-retryable server failure, as the real server records in place of what it refused. */
function serverFailure(message: string): failurepb.IFailure {
  return { message, source: 'Server', serverFailureInfo: { nonRetryable: true } };
}

/** The payloads a client request carries, by what they are. */
function clientPayloadSizes(method: string, req: Record<string, unknown>): number[] {
  const r = req as {
    input?: common.IPayloads | null;
    signalInput?: common.IPayloads | null;
    details?: common.IPayloads | null;
    query?: { queryArgs?: common.IPayloads | null } | null;
    request?: { input?: { args?: common.IPayloads | null } | null } | null;
    operations?: { startWorkflow?: wsv.IStartWorkflowExecutionRequest | null; updateWorkflow?: wsv.IUpdateWorkflowExecutionRequest | null }[];
  };
  switch (method) {
    case 'StartWorkflowExecution':
      return [payloadsSize(r.input)];
    case 'SignalWithStartWorkflowExecution':
      return [payloadsSize(r.input), payloadsSize(r.signalInput)];
    case 'SignalWorkflowExecution':
      return [payloadsSize(r.input)];
    case 'TerminateWorkflowExecution':
      return [payloadsSize(r.details)];
    case 'QueryWorkflow':
      return [payloadsSize(r.query?.queryArgs)];
    case 'UpdateWorkflowExecution':
      return [payloadsSize(r.request?.input?.args)];
    case 'ExecuteMultiOperation':
      return (r.operations ?? []).flatMap((op) => [
        ...(op.startWorkflow ? clientPayloadSizes('StartWorkflowExecution', op.startWorkflow as Record<string, unknown>) : []),
        ...(op.updateWorkflow ? clientPayloadSizes('UpdateWorkflowExecution', op.updateWorkflow as Record<string, unknown>) : []),
      ]);
    default:
      return [];
  }
}

/** What the search attribute and memo limits read of a start request. */
type StartRequest = { searchAttributes?: common.ISearchAttributes | null; memo?: common.IMemo | null };

/** The start requests a client request carries (a start, a signal-with-start, a multi-operation's start). */
function startRequests(method: string, req: Record<string, unknown>): StartRequest[] {
  switch (method) {
    case 'StartWorkflowExecution':
    case 'SignalWithStartWorkflowExecution':
      return [req];
    case 'ExecuteMultiOperation':
      return ((req as wsv.IExecuteMultiOperationRequest).operations ?? []).flatMap((op) => (op.startWorkflow ? [op.startWorkflow] : []));
    default:
      return [];
  }
}

/** The real server's message for a start whose search attributes are past their limits, if so. */
function startSearchAttributesMessage(limits: Limits, starts: StartRequest[]): string | undefined {
  for (const start of starts) {
    const message =
      searchAttributeKeysOverLimit(limits, start.searchAttributes) ?? searchAttributesSizeOverLimit(limits, start.searchAttributes?.indexedFields);
    if (message) return message;
  }
  return undefined;
}

/**
 * The handlers of a service with the limits in front of them: ids and names checked on every
 * method, client payloads on those that carry them, and activity reports over the blob size limit
 * turned into what the real server records instead.
 */
export function withLimits(handlers: Record<string, Handler>, limits: Limits, log: Logger): Record<string, Handler> {
  const oversized = (size: number, method: string): boolean => {
    if (size <= limits.blobSizeWarn) return false;
    log.warn('Blob data size exceeds the warning limit.', { method, size, warnLimit: limits.blobSizeWarn });
    return size > limits.blobSizeError;
  };
  const limited: Record<string, Handler> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    limited[method] = (engine, request, call) => {
      const req = (request ?? {}) as Record<string, unknown>;
      const idMessage = idOverLimit(req);
      if (idMessage) throw invalidArgument(idMessage);
      const starts = startRequests(method, req);
      const searchAttributesMessage = startSearchAttributesMessage(limits, starts);
      if (searchAttributesMessage) throw invalidArgument(searchAttributesMessage);
      if (clientPayloadSizes(method, req).some((size) => oversized(size, method))) throw invalidArgument(BLOB_SIZE_EXCEEDS_LIMIT);
      if (starts.some((start) => memoOverLimit(limits, log, start.memo, method))) throw invalidArgument(MEMO_SIZE_EXCEEDS_LIMIT);
      return activityReport(engine, method, req, oversized) ?? handler(engine, (queryAnswersWithinLimit(method, req, oversized) ?? request) as never, call);
    };
  }
  return limited;
}

type Oversized = (size: number, method: string) => boolean;

const QUERY_FAILED = enums.QueryResultType.QUERY_RESULT_TYPE_FAILED;

/**
 * A worker's query answers with those over the blob size limit replaced by a failure, as the real
 * server does (the query then fails with "Blob data size exceeds limit."); undefined when all fit.
 */
function queryAnswersWithinLimit(method: string, req: Record<string, unknown>, oversized: Oversized): object | undefined {
  if (method === 'RespondQueryTaskCompleted') {
    const r = req as wsv.IRespondQueryTaskCompletedRequest;
    if (!oversized(payloadsSize(r.queryResult), method)) return undefined;
    return { ...r, completedType: QUERY_FAILED, queryResult: null, errorMessage: BLOB_SIZE_EXCEEDS_LIMIT, failure: null };
  }
  if (method === 'RespondWorkflowTaskCompleted') {
    const r = req as wsv.IRespondWorkflowTaskCompletedRequest;
    const results = Object.entries(r.queryResults ?? {});
    const tooBig = results.filter(([, result]) => oversized(payloadsSize(result.answer), method)).map(([id]) => id);
    if (tooBig.length === 0) return undefined;
    const queryResults = Object.fromEntries(
      results.map(([id, result]) => [id, tooBig.includes(id) ? { resultType: QUERY_FAILED, errorMessage: BLOB_SIZE_EXCEEDS_LIMIT } : result]),
    );
    return { ...r, queryResults };
  }
  return undefined;
}

/** An activity report over the blob size limit, recorded as the real server does; undefined when within it. */
function activityReport(engine: Engine, method: string, req: Record<string, unknown>, oversized: Oversized): object | undefined {
  switch (method) {
    case 'RespondActivityTaskCompleted':
    case 'RespondActivityTaskCompletedById': {
      const { result, ...r } = req as wsv.IRespondActivityTaskCompletedRequest & wsv.IRespondActivityTaskCompletedByIdRequest;
      if (!oversized(payloadsSize(result), method)) return undefined;
      const failed = { ...r, failure: serverFailure(COMPLETE_RESULT_EXCEEDS_LIMIT) };
      return method === 'RespondActivityTaskCompleted' ? engine.respondActivityTaskFailed(failed) : engine.respondActivityTaskFailedById(failed);
    }
    case 'RespondActivityTaskCanceled':
    case 'RespondActivityTaskCanceledById': {
      const { details, ...r } = req as wsv.IRespondActivityTaskCanceledRequest & wsv.IRespondActivityTaskCanceledByIdRequest;
      if (!oversized(payloadsSize(details), method)) return undefined;
      const failed = { ...r, failure: serverFailure(CANCEL_DETAILS_EXCEED_LIMIT) };
      return method === 'RespondActivityTaskCanceled' ? engine.respondActivityTaskFailed(failed) : engine.respondActivityTaskFailedById(failed);
    }
    case 'RespondActivityTaskFailed':
    case 'RespondActivityTaskFailedById': {
      const r = req as wsv.IRespondActivityTaskFailedRequest & wsv.IRespondActivityTaskFailedByIdRequest;
      const dropDetails = oversized(payloadsSize(r.lastHeartbeatDetails), method);
      const replaceFailure = oversized(failureSize(r.failure), method);
      if (!dropDetails && !replaceFailure) return undefined;
      const failed = {
        ...r,
        lastHeartbeatDetails: dropDetails ? undefined : r.lastHeartbeatDetails,
        failure: replaceFailure ? serverFailure(FAILURE_EXCEEDS_LIMIT) : r.failure,
      };
      return method === 'RespondActivityTaskFailed' ? engine.respondActivityTaskFailed(failed) : engine.respondActivityTaskFailedById(failed);
    }
    case 'RecordActivityTaskHeartbeat':
    case 'RecordActivityTaskHeartbeatById': {
      const { details, ...r } = req as wsv.IRecordActivityTaskHeartbeatRequest & wsv.IRecordActivityTaskHeartbeatByIdRequest;
      if (!oversized(payloadsSize(details), method)) return undefined;
      const failed = { ...r, failure: serverFailure(HEARTBEAT_DETAILS_EXCEED_LIMIT) };
      if (method === 'RecordActivityTaskHeartbeat') engine.respondActivityTaskFailed(failed);
      else engine.respondActivityTaskFailedById(failed);
      return { cancelRequested: true };
    }
    default:
      return undefined;
  }
}
