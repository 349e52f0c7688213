/**
 * Approval gates: wait for the operators' decision (by the `approve` update or the `approval`
 * signal) with the policy's timeout, remind before the deadline, and take the policy's default
 * action when it passes.
 */
import type { ApprovalDecision } from '../../domain/procedures/messages-types';
import type { ApprovalStep } from '../../domain/registry/schema';
import type { ProcedureContext } from './context';
import { notifyOperator } from './notify';

export type ApprovalResult =
  /** Not required by the policy for this step. */
  | { kind: 'not-required'; proceed: true }
  /** `decision` completed the count; `approvedBy` lists every distinct approver, in order. */
  | { kind: 'approved'; proceed: true; decision: ApprovalDecision; approvedBy: string[] }
  | { kind: 'rejected'; proceed: false; decision: ApprovalDecision }
  /** Nobody answered in time; `proceed` is the policy's `onTimeout`. */
  | { kind: 'timed-out'; proceed: boolean };

/** Whether the policy asks for approval before `step`. */
export function approvalRequired(ctx: ProcedureContext, step: ApprovalStep): boolean {
  return ctx.registry.policies.approvals.required.includes(step);
}

/**
 * The gate before `step`. When the policy requires approval for it, the procedure shows it as
 * awaiting approval (progress query, Web UI details), opens it after the policy's
 * `minApprovers` distinct approvals (a rejection by anyone allowed closes it), reminds
 * `reminderBeforeSeconds` before the deadline, and on timeout notifies that the default
 * action was taken. An abort while waiting fails with `ProcedureAborted`, as everywhere else.
 */
export async function approvalGate(ctx: ProcedureContext, step: ApprovalStep, what: string): Promise<ApprovalResult> {
  const policy = ctx.registry.policies.approvals;
  if (!approvalRequired(ctx, step)) return { kind: 'not-required', proceed: true };
  // A registry recorded in a procedure's input before `minApprovers` existed does not have it.
  const minApprovers = (policy.minApprovers as number | undefined) ?? 1;
  const approvers = minApprovers > 1 ? ` It needs ${minApprovers} distinct approvers.` : '';
  await notifyOperator(ctx, `approval-${step}-requested`, 'warning', `Approval needed: ${what}`, `${ctx.workflowId} waits for approval of "${step}" on ${ctx.cell.id} (${what}). Without an answer in ${policy.timeoutSeconds} s it will ${policy.onTimeout}.${approvers}`);
  const gate = await ctx.run.awaitDecision({
    step,
    timeoutMs: policy.timeoutSeconds * 1000,
    remindBeforeMs: policy.reminderBeforeSeconds * 1000,
    onTimeout: policy.onTimeout,
    minApprovers,
    remind: () =>
      notifyOperator(ctx, `approval-${step}-reminder`, 'warning', `Reminder: approval needed: ${what}`, `${ctx.workflowId} still waits for approval of "${step}" on ${ctx.cell.id}; ${policy.reminderBeforeSeconds} s left before it will ${policy.onTimeout}.`),
  });
  if (gate === undefined) {
    await notifyOperator(ctx, `approval-${step}-timed-out`, 'critical', `Approval timed out: ${what}`, `Nobody approved "${step}" on ${ctx.cell.id} in time; ${ctx.workflowId} will ${policy.onTimeout} as the policy says.`);
    return { kind: 'timed-out', proceed: policy.onTimeout === 'proceed' };
  }
  const { decision, approvedBy } = gate;
  return decision.approved ? { kind: 'approved', proceed: true, decision, approvedBy } : { kind: 'rejected', proceed: false, decision };
}
