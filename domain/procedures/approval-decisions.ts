/**
 * The rules every approval decision is judged by, whichever way it came (the `approve` update
 * or the `approval` signal): it must name the pending gate's step, the requester may not
 * decide under four-eyes, each approver counts once, and a gate opens after `minApprovers`
 * distinct approvals or closes at the first rejection. Pure, so workflows and tests share it.
 */
import type { ApprovalDecision } from './messages-types';

/** Longest approver, step and reason kept from a decision (a signal's payload is whatever its sender typed). */
const MAX_FIELD_CHARS = 500;

/** The gate waiting for decisions, as the procedure sees it. */
export interface OpenGate {
  step: string;
  /** Distinct approvals needed to open it. */
  minApprovers: number;
  /** Who approved so far, in order. */
  approvedBy: readonly string[];
  /** How the gate was decided, once it is (enough approvals, or a rejection), until the procedure moves on. */
  decided?: string;
}

/** Who may decide. */
export interface DecisionRules {
  requestedBy: string;
  /** The requester may not decide on their own procedure. */
  fourEyes: boolean;
}

/** What a decision does: counted (and whether it decides the gate), or not, and why. */
export type Judgement =
  | { outcome: 'accepted'; decision: ApprovalDecision; closesGate: boolean }
  | { outcome: 'rejected' | 'late'; decision: ApprovalDecision; reason: string };

/** The same person however they typed their address. */
export function sameApprover(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim().slice(0, MAX_FIELD_CHARS) : '');

/**
 * Reads a decision from a message payload of any shape: the fields found (empty when missing),
 * and what makes it unusable, if anything.
 */
export function parseDecision(raw: unknown): { decision: ApprovalDecision; problem?: string } {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const decision: ApprovalDecision = {
    step: text(fields.step),
    approved: fields.approved === true,
    approver: text(fields.approver),
    reason: text(fields.reason),
  };
  let problem: string | undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) problem = 'a decision is an object: {"step", "approved", "approver", "reason"}';
  else if (!decision.step) problem = 'a decision needs the step it decides';
  else if (typeof fields.approved !== 'boolean') problem = 'a decision needs "approved": true or false';
  else if (!decision.approver) problem = 'an approval needs the approver';
  else if (!decision.reason) problem = 'an approval needs a reason';
  return problem ? { decision, problem } : { decision };
}

/**
 * Judges one decision against the gate pending now (if any) and the gates decided before
 * (`closed`: step → how it was decided).
 */
export function judgeDecision(raw: unknown, pending: OpenGate | undefined, closed: ReadonlyMap<string, string>, rules: DecisionRules): Judgement {
  const { decision, problem } = parseDecision(raw);
  const reject = (reason: string): Judgement => ({ outcome: 'rejected', decision, reason });
  if (problem) return reject(problem);
  const { step, approver, approved } = decision;
  if (pending?.step === step && pending.decided) return { outcome: 'late', decision, reason: `the approval of ${step} was already decided: ${pending.decided}` };
  const before = closed.get(step);
  if (pending?.step !== step && before !== undefined) return { outcome: 'late', decision, reason: `the approval of ${step} was already decided: ${before}` };
  if (!pending) return reject('no approval is pending');
  if (pending.step !== step) return reject(`the pending approval is for step ${pending.step}, not ${step}`);
  if (rules.fourEyes && sameApprover(approver, rules.requestedBy)) {
    return reject(`four-eyes policy: ${approver} requested this procedure and cannot ${approved ? 'approve' : 'reject'} it`);
  }
  if (approved && pending.approvedBy.some((a) => sameApprover(a, approver))) {
    return reject(`${approver} already approved ${step}; it needs ${pending.minApprovers} distinct approvers`);
  }
  return { outcome: 'accepted', decision, closesGate: !approved || pending.approvedBy.length + 1 >= pending.minApprovers };
}
