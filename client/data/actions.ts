/**
 * What an operator can do to a running procedure: answer its approval (the `approve` update,
 * which the procedure can refuse and say why), pause, resume and abort it (signals).
 */
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ApprovalOutcome } from '../../domain/procedures/messages-types';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import { abortSignal, approveUpdate, pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { ActionRefusedError, InvalidInputError, isWorkflowNotFound, ProcedureNotFoundError } from './errors';
import { pendingApprovalView, type PendingApprovalView } from './procedure';

/** An operator's answer to the pending approval. */
export interface DecisionInput {
  /** Who decides (compared with the requester under four-eyes). */
  by: string;
  reason: string;
  /** The step meant; default the one pending. A different pending step refuses the decision. */
  step?: string;
}

export interface DecisionResult {
  workflowId: string;
  step: string;
  approved: boolean;
  /** The procedure's answer. */
  outcome: ApprovalOutcome;
  /** The gate after the decision, while it still waits for more approvers. */
  stillPending?: PendingApprovalView;
}

/** A signal delivered to a running procedure. */
export interface SignalResult {
  workflowId: string;
  action: 'pause' | 'resume' | 'abort';
  by: string;
  reason?: string;
}

const QUERY_TIMEOUT_MS = 5_000;

function required(value: string | undefined, what: string): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new InvalidInputError(`${what} is required`);
  return trimmed;
}

/** The running procedure's handle; not found and not running are errors a person can act on. */
async function runningHandle(client: Client, workflowId: string, action: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe().catch((err: unknown) => {
    throw isWorkflowNotFound(err) ? new ProcedureNotFoundError(workflowId, client.options.namespace) : err;
  });
  if (described.status.name !== 'RUNNING') throw new ActionRefusedError(workflowId, action, `it is not running (${described.status.name.toLowerCase()})`);
  return handle;
}

async function progressOf(client: Client, handle: WorkflowHandle): Promise<ProcedureProgress> {
  return await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(progressQuery));
}

/**
 * Approves (or rejects) the approval `workflowId` waits for.
 * @throws ActionRefusedError with the procedure's reason: nothing pending, another step pending,
 *   four-eyes (the requester approving their own procedure), a decision that came too late.
 */
export async function decide(client: Client, workflowId: string, approved: boolean, input: DecisionInput): Promise<DecisionResult> {
  const action = approved ? 'approval' : 'rejection';
  const approver = required(input.by, 'who decides (--by, or CELLOPS_USER / USER)');
  const reason = required(input.reason, 'a reason (--reason)');
  const handle = await runningHandle(client, workflowId, action);
  const progress = await progressOf(client, handle);
  const pending = progress.pendingApproval;
  if (!pending) {
    throw new ActionRefusedError(workflowId, action, `no approval is pending (state ${progress.state}${progress.currentStep ? `, step ${progress.currentStep}` : ''})`);
  }
  if (input.step && input.step !== pending.step) {
    throw new ActionRefusedError(workflowId, action, `the pending approval is for step ${pending.step}, not ${input.step}`);
  }
  let outcome: ApprovalOutcome;
  try {
    outcome = await handle.executeUpdate(approveUpdate, { args: [{ step: pending.step, approved, approver, reason }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ActionRefusedError(workflowId, action, err.cause?.message ?? err.message);
    throw err;
  }
  if (!outcome.accepted) throw new ActionRefusedError(workflowId, action, outcome.message);
  // With more than one approver required, an accepted approval may leave the gate waiting for others.
  const after = approved && (pending.minApprovers ?? 1) > 1 ? await progressOf(client, handle).catch(() => undefined) : undefined;
  const gate = after?.pendingApproval?.step === pending.step ? pendingApprovalView(after.pendingApproval) : undefined;
  const stillPending = gate && gate.approvers.length < gate.approvalsNeeded ? gate : undefined;
  return { workflowId, step: pending.step, approved, outcome, ...(stillPending ? { stillPending } : {}) };
}

/** Approves the pending approval. See {@link decide}. */
export const approve = (client: Client, workflowId: string, input: DecisionInput): Promise<DecisionResult> => decide(client, workflowId, true, input);

/** Rejects the pending approval. See {@link decide}. */
export const reject = (client: Client, workflowId: string, input: DecisionInput): Promise<DecisionResult> => decide(client, workflowId, false, input);

/** Holds the procedure before its next step until {@link resume}. */
export async function pause(client: Client, workflowId: string, input: { by: string; reason?: string }): Promise<SignalResult> {
  const by = required(input.by, 'who pauses (--by, or CELLOPS_USER / USER)');
  const reason = input.reason?.trim() || `paused by ${by}`;
  const handle = await runningHandle(client, workflowId, 'pause');
  await handle.signal(pauseSignal, { requestedBy: by, reason });
  return { workflowId, action: 'pause', by, reason };
}

/** Lets a paused procedure go on. */
export async function resume(client: Client, workflowId: string, input: { by: string }): Promise<SignalResult> {
  const by = required(input.by, 'who resumes (--by, or CELLOPS_USER / USER)');
  const handle = await runningHandle(client, workflowId, 'resume');
  await handle.signal(resumeSignal);
  return { workflowId, action: 'resume', by };
}

/** Stops the procedure; it puts the cell in a known-good state its report names. */
export async function abort(client: Client, workflowId: string, input: { by: string; reason: string }): Promise<SignalResult> {
  const by = required(input.by, 'who aborts (--by, or CELLOPS_USER / USER)');
  const reason = required(input.reason, 'a reason (--reason)');
  const handle = await runningHandle(client, workflowId, 'abort');
  await handle.signal(abortSignal, { requestedBy: by, reason });
  return { workflowId, action: 'abort', by, reason };
}
