import type { EngineContext, Txn } from './context';
import { invalidArgument } from './errors';
import { startedAttributes } from './history';
import { startRun, type StartParams } from './lifecycle';
import { common, duration, durationMs, enums, failure, timestampMs } from './proto';
import { activityRetryPolicy, decideRetry } from './retry';
import type { ExecutionState } from './types';

const RetryState = enums.RetryState;
const TIMEOUT_TYPE_PREFIX = 'TemporalTimeout:';
const TIMEOUT_TYPES = new Set(['StartToClose', 'ScheduleToStart', 'ScheduleToClose', 'Heartbeat']);

/**
 * A workflow's retry policy as the frontend stores it: absent means no retries; otherwise every
 * unset field gets the default (1 s initial interval, coefficient 2, maximum interval 100 times
 * the initial one, unlimited attempts) and the policy is validated (INVALID_ARGUMENT).
 */
export function workflowRetryPolicy(policy: common.IRetryPolicy | null | undefined): common.IRetryPolicy | null {
  if (!policy) return null;
  if ((policy.maximumAttempts ?? 0) === 1) return { ...policy };
  const initialMs = durationMs(policy.initialInterval);
  const maximumMs = durationMs(policy.maximumInterval);
  if (initialMs < 0) throw invalidArgument('invalid InitialInterval set on retry policy: negative duration');
  if (maximumMs < 0) throw invalidArgument('invalid MaximumInterval set on retry policy: negative duration');
  const coefficient = policy.backoffCoefficient ?? 0;
  if (coefficient !== 0 && coefficient < 1) throw invalidArgument('BackoffCoefficient cannot be less than 1 on retry policy.');
  const initial = initialMs || 1000;
  if (maximumMs > 0 && maximumMs < initial) throw invalidArgument('MaximumInterval cannot be less than InitialInterval on retry policy.');
  if ((policy.maximumAttempts ?? 0) < 0) throw invalidArgument('MaximumAttempts cannot be negative on retry policy.');
  for (const type of policy.nonRetryableErrorTypes ?? []) {
    if (type.startsWith(TIMEOUT_TYPE_PREFIX) && !TIMEOUT_TYPES.has(type.slice(TIMEOUT_TYPE_PREFIX.length))) {
      throw invalidArgument(`Invalid timeout type value: ${type.slice(TIMEOUT_TYPE_PREFIX.length)}.`);
    }
  }
  return {
    initialInterval: duration(initial),
    backoffCoefficient: coefficient || 2,
    maximumInterval: duration(maximumMs || 100 * initial),
    maximumAttempts: policy.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(policy.nonRetryableErrorTypes ?? [])],
  };
}

/** What a closing run's close event says about retrying it. */
export interface RunRetry {
  retryState: enums.RetryState;
  /** The run started as its retry, or '' when there is none. */
  newExecutionRunId: string;
}

/**
 * A run is about to close as failed (or timed out on its run timeout) with `f`. When its retry
 * policy allows another attempt, starts it as the real server does: a new run of the same
 * workflow id (same first run id, parent and execution expiration; input, header, memo, search
 * attributes and timeouts of this run's start), `attempt` + 1, the failure as `continuedFailure`,
 * initiator RETRY and the backoff as its first workflow task backoff. The caller writes the close
 * event with the returned retry state and new run id.
 */
export function retryRun(ctx: EngineContext, exec: ExecutionState, f: failure.IFailure | null | undefined, txn: Txn): RunRetry {
  const started = startedAttributes(exec);
  if (!started.retryPolicy) return { retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET, newExecutionRunId: '' };
  const ns = ctx.namespaces.get(exec.namespace);
  const attempt = started.attempt || 1;
  const expirationTimeMs = timestampMs(started.workflowExecutionExpirationTime);
  const decision = decideRetry(activityRetryPolicy(started.retryPolicy), attempt, f, ctx.clock.now(), expirationTimeMs);
  if (!decision.retry) return { retryState: decision.retryState, newExecutionRunId: '' };
  if (!ns) throw new Error(`namespace ${exec.namespace} of run ${exec.runId} is gone`);
  const params: StartParams = {
    workflowId: exec.workflowId,
    workflowType: exec.workflowType,
    taskQueue: exec.taskQueue,
    input: started.input ?? null,
    header: started.header ?? null,
    executionTimeoutMs: exec.executionTimeoutMs,
    runTimeoutMs: exec.runTimeoutMs,
    workflowTaskTimeoutMs: exec.workflowTaskTimeoutMs,
    identity: '',
    requestId: ctx.newId(),
    retryPolicy: started.retryPolicy,
    memo: started.memo ?? null,
    searchAttributes: { ...(started.searchAttributes?.indexedFields ?? {}) },
    startDelayMs: decision.delayMs,
    priority: started.priority ?? null,
    attempt: attempt + 1,
    continued: {
      runId: exec.runId,
      firstExecutionRunId: exec.firstExecutionRunId,
      initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
      failure: f ?? null,
      lastCompletionResult: started.lastCompletionResult ?? null,
      expirationTimeMs,
    },
  };
  if (exec.parent) params.parent = { ref: exec.parent, root: exec.root };
  const next = startRun(ctx, ns, params, txn);
  return { retryState: RetryState.RETRY_STATE_IN_PROGRESS, newExecutionRunId: next.runId };
}
