/**
 * @module What callers waiting for a workflow update are answered with, and where the engine hands
 * decisions that state does not keep (implemented by `UpdateWaiters`). Below both the engine
 * context and updates.ts, so each can name it.
 */
import type { ServiceError } from './errors';
import type { api, enums } from './proto';

/** How far an update got, and its outcome once completed (success or failure, rejections included). */
export interface UpdateStatus {
  stage: enums.UpdateWorkflowExecutionLifecycleStage;
  outcome: api.update.v1.IOutcome | null;
}

/** A decision about an update that state does not keep (a rejection or an abort). */
export type UpdateDecision = UpdateStatus | ServiceError;

/** Where the engine hands decisions that only waiting callers need to hear about. */
export interface UpdateDecisions {
  decide(runId: string, updateId: string, decision: UpdateDecision): void;
}
