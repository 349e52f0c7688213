/**
 * @module The real server's history limits. Before it changes a running run, the real server
 * looks at the history stored so far: past `limit.historySize.error` (bytes) or
 * `limit.historyCount.error` (events) it drops the change, terminates the run instead (reason
 * "Workflow history size exceeds limit." / "Workflow history count exceeds limit.", identity
 * `history-service`, no details) and refuses the request with INVALID_ARGUMENT and that reason.
 * Past a warn limit it logs. The run's last accepted change may therefore take it past the
 * limit; the next one ends it.
 */
import { terminateRun } from './close';
import type { EngineContext, Txn } from './context';
import type { ExecutionState } from './types';
import { isRunning } from './workflow-tasks';

export const HISTORY_SIZE_EXCEEDS_LIMIT = 'Workflow history size exceeds limit.';
export const HISTORY_COUNT_EXCEEDS_LIMIT = 'Workflow history count exceeds limit.';
/** The identity the real server writes on what it does on its own. */
export const HISTORY_SERVICE_IDENTITY = 'history-service';

/** Runs already logged as past a warn limit (logged once each, as the real server throttles it). */
const warned = new WeakMap<ExecutionState, Set<'size' | 'count'>>();

function warnOnce(ctx: EngineContext, exec: ExecutionState, kind: 'size' | 'count', fields: Record<string, unknown>): void {
  const kinds = warned.get(exec) ?? new Set();
  if (kinds.has(kind)) return;
  kinds.add(kind);
  warned.set(exec, kinds);
  ctx.log.warn(`history ${kind} exceeds warn limit.`, { workflowId: exec.workflowId, runId: exec.runId, ...fields });
}

/**
 * Applies the history limits to a run about to be changed: terminates it when its stored
 * history is past an error limit and returns the reason (the caller then makes no change and
 * refuses the request with it); undefined when the change may go ahead.
 */
export function enforceHistoryLimits(ctx: EngineContext, exec: ExecutionState, txn: Txn): string | undefined {
  if (!isRunning(exec)) return undefined;
  const { limits } = ctx;
  const historySize = exec.log.sizeBytes;
  const historyCount = exec.nextEventId - 1;
  const reason =
    historySize > limits.historySizeError
      ? HISTORY_SIZE_EXCEEDS_LIMIT
      : historyCount > limits.historyCountError
        ? HISTORY_COUNT_EXCEEDS_LIMIT
        : undefined;
  if (reason) {
    ctx.log.warn(reason, { workflowId: exec.workflowId, runId: exec.runId, historySize, historyCount });
    terminateRun(ctx, exec, reason, null, HISTORY_SERVICE_IDENTITY, txn);
    return reason;
  }
  if (historySize > limits.historySizeWarn) warnOnce(ctx, exec, 'size', { historySize, warnLimit: limits.historySizeWarn });
  if (historyCount > limits.historyCountWarn) warnOnce(ctx, exec, 'count', { historyCount, warnLimit: limits.historyCountWarn });
  return undefined;
}
