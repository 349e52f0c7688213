/**
 * The bookkeeping every procedure shares: progress (the `progress` query, the Web UI's current
 * details, the `Step` search attribute), pause/resume/abort, approval decisions (by update or
 * by signal, judged by the same rules, every one recorded) and traffic samples.
 * Create one `ProcedureRun` at the very start of a workflow, before its first `await`.
 */
import {
  ApplicationFailure,
  condition,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { HandlerUnfinishedPolicy, type Duration } from '@temporalio/common';
import { judgeDecision, type Judgement } from '../../domain/procedures/approval-decisions';
import type { AbortRequest, ApprovalDecision, ApprovalOutcome } from '../../domain/procedures/messages-types';
import type { DecisionChannel, DecisionRecord, ProcedureName, ProcedureProgress, StepRecord, TrafficSample } from '../../domain/procedures/progress';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { failureMessage } from './failures';
import { notifyAboutThisWorkflow } from './notify';
import { abortSignal, approvalSignal, approveUpdate, pauseSignal, progressQuery, resumeSignal } from '../messages';

/** The failure type a procedure ends with when an operator aborted it. */
export const ABORTED = 'ProcedureAborted';

/** Traffic samples kept in progress (the oldest dropped first), so the query answer stays small. */
export const MAX_TRAFFIC_SAMPLES = 200;
/** Decisions kept in progress (the oldest dropped first): a signal sender could otherwise grow it without end. */
export const MAX_DECISIONS = 100;
/**
 * Patch id of the `approval` signal's handling: runs that got the signal before it was handled
 * ignored it (no decision, no notification), and their histories must replay so.
 */
export const APPROVAL_SIGNAL_PATCH = 'approval-signal';

/** How an approval gate ended: the decision that decided it and everyone who approved. */
export interface GateDecision {
  /** The rejection, or the approval that completed the count. */
  decision: ApprovalDecision;
  /** Distinct approvers, in order (empty for a rejection that came first). */
  approvedBy: string[];
}

/** What {@link ProcedureRun.awaitDecision} waits for. */
export interface DecisionWait {
  step: string;
  timeoutMs: number;
  /** The reminder goes this long before the deadline. */
  remindBeforeMs: number;
  onTimeout: 'proceed' | 'abort';
  /** Distinct approvers (other than the requester under four-eyes) needed; a rejection by any allowed person closes the gate. */
  minApprovers: number;
  remind: () => Promise<unknown>;
}

export interface ProcedureRunOptions {
  procedure: ProcedureName;
  cellId: string;
  requestedBy: string;
  /** The approver must differ from `requestedBy`. */
  fourEyes: boolean;
  /** More lines for the Web UI's current details (a long-running procedure's own state). */
  details?: () => string[];
}

export class ProcedureRun {
  readonly progress: ProcedureProgress;
  private pausedByOperator = false;
  private abortRequest: AbortRequest | undefined;
  /** The pending gate's deciding decision, once there is one. */
  private gateDecision: ApprovalDecision | undefined;
  /** How the pending gate was decided, in words (for decisions that come after). */
  private gateDecidedAs: string | undefined;
  /** Gates decided earlier in this run: step → how. */
  private readonly closedGates = new Map<string, string>();
  /** Decisions received in this run (progress keeps only the last ones): numbers their notifications. */
  private decisionsReceived = 0;

  constructor(private readonly options: ProcedureRunOptions) {
    this.progress = {
      procedure: options.procedure,
      cellId: options.cellId,
      state: 'running',
      steps: [],
      requestedBy: options.requestedBy,
      decisions: [],
      traffic: [],
    };
    setHandler(progressQuery, () => this.progress);
    setHandler(pauseSignal, () => {
      this.pausedByOperator = true;
      this.setState('paused');
    });
    setHandler(resumeSignal, () => {
      this.pausedByOperator = false;
      if (this.progress.state === 'paused') this.setState(this.progress.pendingApproval ? 'awaiting-approval' : 'running');
    });
    setHandler(abortSignal, (request) => {
      this.abortRequest ??= request;
    });
    setHandler(approveUpdate, (decision) => this.answer(this.receive(decision, 'update')), {
      // Refused to the caller (and not recorded): what can never count. A late decision is answered, not refused.
      validator: (decision: ApprovalDecision) => {
        const judgement = this.judge(decision);
        if (judgement.outcome === 'rejected') throw new Error(judgement.reason);
      },
    });
    setHandler(
      approvalSignal,
      async (decision) => {
        if (!patched(APPROVAL_SIGNAL_PATCH)) return;
        const judgement = this.receive(decision, 'signal');
        if (judgement.outcome !== 'accepted') await this.notifyNotCounted(judgement);
      },
      // A notification still in flight when the procedure ends is not worth holding it for.
      { unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON },
    );
    upsertSearchAttributes([
      { key: CellIdAttribute, value: options.cellId },
      { key: ProcedureAttribute, value: options.procedure },
    ]);
  }

  /** Whether an operator's pause holds the next step. */
  get paused(): boolean {
    return this.pausedByOperator;
  }

  /** Holds the next steps as the `pause` signal does: a run continued from a paused one starts paused. */
  holdPaused(): void {
    this.pausedByOperator = true;
    this.setState('paused');
  }

  /** The abort an operator asked for, if any. */
  get abortRequested(): AbortRequest | undefined {
    return this.abortRequest;
  }

  /**
   * Runs one runbook step: waits while paused, stops if an abort was asked for, and records the
   * step's start, end and outcome.
   */
  async step<T>(name: string, action: () => Promise<T>): Promise<T> {
    await condition(() => !this.pausedByOperator || this.abortRequest !== undefined);
    this.throwIfAborted();
    return await this.record(name, action);
  }

  private async record<T>(name: string, action: () => Promise<T>): Promise<T> {
    const record: StepRecord = { name, status: 'running', startedAt: new Date().toISOString() };
    this.progress.steps.push(record);
    this.progress.currentStep = name;
    upsertSearchAttributes([{ key: StepAttribute, value: name }]);
    this.publishDetails();
    try {
      const result = await action();
      record.status = 'done';
      return result;
    } catch (err) {
      record.status = 'failed';
      this.progress.lastError = failureMessage(err);
      throw err;
    } finally {
      record.endedAt = new Date().toISOString();
      this.publishDetails();
    }
  }

  /**
   * Runs a compensation step (putting the cell back after an abort or a failure): recorded
   * like any step, but neither paused nor stopped by an abort, which is what it is handling.
   */
  async compensate<T>(name: string, action: () => Promise<T>): Promise<T> {
    this.setState('aborting');
    return await this.record(name, action);
  }

  /** Waits `duration`, waking early (and failing with `ProcedureAborted`) if an abort is asked for. */
  async pace(duration: Duration): Promise<void> {
    await condition(() => this.abortRequest !== undefined, duration);
    this.throwIfAborted();
  }

  /** Fails with `ProcedureAborted` when an operator asked to abort. */
  throwIfAborted(): void {
    if (this.abortRequest) {
      throw ApplicationFailure.nonRetryable(
        `aborted by ${this.abortRequest.requestedBy}: ${this.abortRequest.reason}`,
        ABORTED,
      );
    }
  }

  /**
   * Waits for the operators' decision on `step` until `timeoutMs`; `remind` runs once,
   * `remindBeforeMs` ahead of the deadline. The gate opens after `minApprovers` distinct
   * approvals and closes at the first rejection. Returns how it was decided, or undefined when
   * the deadline passed.
   */
  async awaitDecision(wait: DecisionWait): Promise<GateDecision | undefined> {
    const { step, timeoutMs, remindBeforeMs, onTimeout } = wait;
    const now = Date.now();
    this.gateDecision = undefined;
    this.gateDecidedAs = undefined;
    this.progress.pendingApproval = {
      step,
      requestedAt: new Date(now).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
      onTimeout,
      minApprovers: Math.max(1, wait.minApprovers),
      approvedBy: [],
    };
    this.setState('awaiting-approval');
    const decided = () => this.gateDecision !== undefined || this.abortRequest !== undefined;
    const firstWait = Math.max(0, timeoutMs - remindBeforeMs);
    let answered = firstWait > 0 && (await condition(decided, firstWait));
    if (!answered) {
      await wait.remind();
      answered = await condition(decided, timeoutMs - firstWait);
    }
    const approvedBy = (this.progress.pendingApproval.approvedBy ?? []).map((a) => a.approver);
    const decision = this.gateDecision;
    this.closedGates.set(step, this.gateDecidedAs ?? (answered ? 'the procedure was aborted' : `nobody decided before ${this.progress.pendingApproval.deadline}`));
    this.progress.pendingApproval = undefined;
    // A pause that came during the wait still holds the next step.
    this.setState(this.pausedByOperator ? 'paused' : 'running');
    this.throwIfAborted();
    return decision ? { decision, approvedBy } : undefined;
  }

  /** Records a reading of a cell's traffic (bounded to the last {@link MAX_TRAFFIC_SAMPLES}). */
  recordTraffic(sample: Omit<TrafficSample, 'at'>): void {
    const traffic = (this.progress.traffic ??= []);
    traffic.push({ at: new Date().toISOString(), ...sample });
    if (traffic.length > MAX_TRAFFIC_SAMPLES) traffic.splice(0, traffic.length - MAX_TRAFFIC_SAMPLES);
  }

  /**
   * Runs the whole procedure so that its progress always ends in a final state: a body that
   * fails without having said how it ended is marked `failed`; one that returns without it,
   * `completed`. A state set by the body (`aborted`, or `failed` before continuing as new) stays.
   */
  async untilEnd<T>(body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      if (!this.ended) this.finish('completed');
      return result;
    } catch (err) {
      if (!this.ended) this.finish('failed', failureMessage(err));
      throw err;
    }
  }

  private get ended(): boolean {
    return ['completed', 'failed', 'aborted'].includes(this.progress.state);
  }

  /** Marks the procedure's end state for the progress query. */
  finish(state: 'completed' | 'failed' | 'aborted', error?: string): void {
    this.progress.currentStep = undefined;
    if (error) this.progress.lastError = error;
    this.setState(state);
  }

  private judge(decision: unknown): Judgement {
    const pending = this.progress.pendingApproval;
    const gate = pending && {
      step: pending.step,
      minApprovers: pending.minApprovers ?? 1,
      approvedBy: (pending.approvedBy ?? []).map((a) => a.approver),
      decided: this.gateDecidedAs,
    };
    return judgeDecision(decision, gate, this.closedGates, { requestedBy: this.options.requestedBy, fourEyes: this.options.fourEyes });
  }

  /** Judges a decision, records it in progress whatever the outcome, and applies it when it counts. */
  private receive(raw: unknown, via: DecisionChannel): Judgement {
    const judgement = this.judge(raw);
    const { decision } = judgement;
    const at = new Date().toISOString();
    this.decisionsReceived++;
    const record: DecisionRecord = { ...decision, via, at, outcome: judgement.outcome };
    if (judgement.outcome !== 'accepted') record.rejection = judgement.reason;
    const decisions = (this.progress.decisions ??= []);
    decisions.push(record);
    if (decisions.length > MAX_DECISIONS) decisions.splice(0, decisions.length - MAX_DECISIONS);
    const pending = this.progress.pendingApproval;
    if (judgement.outcome === 'accepted' && pending) {
      const approvedBy = (pending.approvedBy ??= []);
      if (decision.approved) approvedBy.push({ approver: decision.approver, at, via });
      if (judgement.closesGate) {
        this.gateDecision = decision;
        this.gateDecidedAs = decision.approved
          ? `approved by ${approvedBy.map((a) => a.approver).join(', ')}`
          : `rejected by ${decision.approver} (${decision.reason})`;
      }
    }
    this.publishDetails();
    return judgement;
  }

  /** The update's answer for a decision it let through. */
  private answer(judgement: Judgement): ApprovalOutcome {
    const { step, approved } = judgement.decision;
    if (judgement.outcome !== 'accepted') return { accepted: false, step, approved, message: judgement.reason };
    if (!approved) return { accepted: true, step, approved, message: `rejected: ${step} will not go ahead` };
    const pending = this.progress.pendingApproval;
    const count = pending?.approvedBy?.length ?? 1;
    const needed = pending?.minApprovers ?? 1;
    if (judgement.closesGate) return { accepted: true, step, approved, message: `recorded for step ${step}: ${this.gateDecidedAs ?? 'approved'}` };
    return { accepted: true, step, approved, message: `recorded for step ${step}: ${count} of ${needed} approvals, ${needed - count} more needed` };
  }

  /** Tells the operators that a signalled decision did not count (its sender cannot be answered). */
  private async notifyNotCounted(judgement: Judgement): Promise<void> {
    if (judgement.outcome === 'accepted') return;
    const { step, approver, approved } = judgement.decision;
    const who = approver || 'someone';
    const what = approved ? 'approval' : 'rejection';
    const notified = notifyAboutThisWorkflow(
      `${this.options.procedure}-decision-${this.decisionsReceived}`,
      'warning',
      `Approval decision not counted${step ? `: ${step}` : ''}`,
      `${who}'s ${what} of "${step || '?'}" on ${this.options.cellId}, sent as a signal, was not counted (${judgement.outcome}): ${judgement.reason}.`,
    );
    // A notification that cannot be sent must not fail the procedure: the decision is in progress anyway.
    await notified.catch(() => undefined);
  }

  private setState(state: ProcedureProgress['state']): void {
    this.progress.state = state;
    this.publishDetails();
  }

  /** Publishes the Web UI's current details again (after the procedure's own state changed). */
  publishDetails(): void {
    const p = this.progress;
    const lines = [
      `**${p.procedure}** on \`${p.cellId}\`: ${p.state}`,
      p.currentStep ? `Current step: ${p.currentStep}` : undefined,
      p.pendingApproval ? `Awaiting approval for ${p.pendingApproval.step} until ${p.pendingApproval.deadline}${approvalsSoFar(p)}` : undefined,
      `Steps done: ${p.steps.filter((s) => s.status === 'done').map((s) => s.name).join(', ') || 'none'}`,
      p.lastError ? `Last error: ${p.lastError}` : undefined,
      ...(this.options.details?.() ?? []),
    ];
    setCurrentDetails(lines.filter((line) => line !== undefined).join('\n\n'));
  }
}

function approvalsSoFar(p: ProcedureProgress): string {
  const approvedBy = p.pendingApproval?.approvedBy ?? [];
  const needed = p.pendingApproval?.minApprovers ?? 1;
  if (needed <= 1 && approvedBy.length === 0) return '';
  return ` (${approvedBy.length} of ${needed} approvals${approvedBy.length ? `: ${approvedBy.map((a) => a.approver).join(', ')}` : ''})`;
}
