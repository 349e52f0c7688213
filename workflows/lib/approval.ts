/**
 * Approval gates: wait for an operator's decision with the policy's timeout, remind before
 * the deadline, and take the policy's default action when it passes.
 */
import type { ApprovalDecision } from '../../domain/procedures/messages-types';
import type { ApprovalStep } from '../../domain/registry/schema';
import type { ProcedureContext } from './context';
import { notifyOperator } from './notify';

export type ApprovalResult =
  /** Not required by the policy for this step. */
  | { kind: 'not-required'; proceed: true }
  | { kind: 'approved'; proceed: true; decision: ApprovalDecision }
  | { kind: 'rejected'; proceed: false; decision: ApprovalDecision }
  /** Nobody answered in time; `proceed` is the policy's `onTimeout`. */
  | { kind: 'timed-out'; proceed: boolean };

/**
 * The gate before `step`. When the policy requires approval for it, the procedure shows it as
 * awaiting approval (progress query, Web UI details), reminds `reminderBeforeSeconds` before
 * the deadline, and on timeout notifies that the default action was taken.
 * An abort while waiting fails with `ProcedureAborted`, as everywhere else.
 */
export async function approvalGate(ctx: ProcedureContext, step: ApprovalStep, what: string): Promise<ApprovalResult> {
  const policy = ctx.registry.policies.approvals;
  if (!policy.required.includes(step)) return { kind: 'not-required', proceed: true };
  await notifyOperator(ctx, `approval-${step}-requested`, 'warning', `Approval needed: ${what}`, `${ctx.workflowId} waits for approval of "${step}" on ${ctx.cell.id} (${what}). Without an answer in ${policy.timeoutSeconds} s it will ${policy.onTimeout}.`);
  const decision = await ctx.run.awaitDecision(step, policy.timeoutSeconds * 1000, policy.reminderBeforeSeconds * 1000, policy.onTimeout, () =>
    notifyOperator(ctx, `approval-${step}-reminder`, 'warning', `Reminder: approval needed: ${what}`, `${ctx.workflowId} still waits for approval of "${step}" on ${ctx.cell.id}; ${policy.reminderBeforeSeconds} s left before it will ${policy.onTimeout}.`),
  );
  if (decision === undefined) {
    await notifyOperator(ctx, `approval-${step}-timed-out`, 'critical', `Approval timed out: ${what}`, `Nobody approved "${step}" on ${ctx.cell.id} in time; ${ctx.workflowId} will ${policy.onTimeout} as the policy says.`);
    return { kind: 'timed-out', proceed: policy.onTimeout === 'proceed' };
  }
  return decision.approved ? { kind: 'approved', proceed: true, decision } : { kind: 'rejected', proceed: false, decision };
}
