/**
 * The bookkeeping every procedure shares: progress (the `progress` query, the Web UI's current
 * details, the `Step` search attribute), pause/resume/abort, and approval decisions.
 * Create one `ProcedureRun` at the very start of a workflow, before its first `await`.
 */
import {
  ApplicationFailure,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { AbortRequest, ApprovalDecision } from '../../domain/procedures/messages-types';
import type { ProcedureName, ProcedureProgress, StepRecord } from '../../domain/procedures/progress';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { failureMessage } from './failures';
import { abortSignal, approveUpdate, pauseSignal, progressQuery, resumeSignal } from '../messages';

/** The failure type a procedure ends with when an operator aborted it. */
export const ABORTED = 'ProcedureAborted';

export interface ProcedureRunOptions {
  procedure: ProcedureName;
  cellId: string;
  requestedBy: string;
  /** The approver must differ from `requestedBy`. */
  fourEyes: boolean;
}

export class ProcedureRun {
  readonly progress: ProcedureProgress;
  private paused = false;
  private abortRequest: AbortRequest | undefined;
  private decision: ApprovalDecision | undefined;

  constructor(private readonly options: ProcedureRunOptions) {
    this.progress = {
      procedure: options.procedure,
      cellId: options.cellId,
      state: 'running',
      steps: [],
      requestedBy: options.requestedBy,
    };
    setHandler(progressQuery, () => this.progress);
    setHandler(pauseSignal, () => {
      this.paused = true;
      this.setState('paused');
    });
    setHandler(resumeSignal, () => {
      this.paused = false;
      if (this.progress.state === 'paused') this.setState('running');
    });
    setHandler(abortSignal, (request) => {
      this.abortRequest ??= request;
    });
    setHandler(
      approveUpdate,
      (decision) => {
        const pending = this.progress.pendingApproval;
        if (!pending || pending.step !== decision.step || this.decision) {
          return { accepted: false, step: decision.step, approved: decision.approved, message: 'the approval is no longer pending' };
        }
        this.decision = decision;
        return { accepted: true, step: decision.step, approved: decision.approved, message: `recorded for step ${decision.step}` };
      },
      { validator: (decision: ApprovalDecision) => this.validateDecision(decision) },
    );
    upsertSearchAttributes([
      { key: CellIdAttribute, value: options.cellId },
      { key: ProcedureAttribute, value: options.procedure },
    ]);
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
    await condition(() => !this.paused || this.abortRequest !== undefined);
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
   * Waits for an operator's decision on `step` until `timeout`; `remind` runs once, `remindBefore`
   * ahead of the deadline. Returns the decision, or undefined when the deadline passed.
   */
  async awaitDecision(
    step: string,
    timeoutMs: number,
    remindBeforeMs: number,
    onTimeout: 'proceed' | 'abort',
    remind: () => Promise<unknown>,
  ): Promise<ApprovalDecision | undefined> {
    const now = Date.now();
    this.decision = undefined;
    this.progress.pendingApproval = {
      step,
      requestedAt: new Date(now).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
      onTimeout,
    };
    this.setState('awaiting-approval');
    const decided = () => this.decision !== undefined || this.abortRequest !== undefined;
    const firstWait = Math.max(0, timeoutMs - remindBeforeMs);
    let answered = firstWait > 0 && (await condition(decided, firstWait));
    if (!answered) {
      await remind();
      answered = await condition(decided, timeoutMs - firstWait);
    }
    this.progress.pendingApproval = undefined;
    this.setState('running');
    this.throwIfAborted();
    return this.decision;
  }

  /** Marks the procedure's end state for the progress query. */
  finish(state: 'completed' | 'failed' | 'aborted', error?: string): void {
    this.progress.currentStep = undefined;
    if (error) this.progress.lastError = error;
    this.setState(state);
  }

  private validateDecision(decision: ApprovalDecision): void {
    if (!decision.approver?.trim()) throw new Error('an approval needs the approver');
    if (!decision.reason?.trim()) throw new Error('an approval needs a reason');
    const pending = this.progress.pendingApproval;
    if (!pending) throw new Error('no approval is pending');
    if (pending.step !== decision.step) throw new Error(`the pending approval is for step ${pending.step}, not ${decision.step}`);
    if (this.options.fourEyes && decision.approver === this.options.requestedBy) {
      throw new Error(`four-eyes policy: ${decision.approver} requested this procedure and cannot approve it`);
    }
  }

  private setState(state: ProcedureProgress['state']): void {
    this.progress.state = state;
    this.publishDetails();
  }

  private publishDetails(): void {
    const p = this.progress;
    const lines = [
      `**${p.procedure}** on \`${p.cellId}\`: ${p.state}`,
      p.currentStep ? `Current step: ${p.currentStep}` : undefined,
      p.pendingApproval ? `Awaiting approval for ${p.pendingApproval.step} until ${p.pendingApproval.deadline}` : undefined,
      `Steps done: ${p.steps.filter((s) => s.status === 'done').map((s) => s.name).join(', ') || 'none'}`,
      p.lastError ? `Last error: ${p.lastError}` : undefined,
    ];
    setCurrentDetails(lines.filter((line) => line !== undefined).join('\n\n'));
  }
}
