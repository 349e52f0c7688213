/**
 * How cell provisioning and decommissioning stop on a failure or an abort: what stopped them; the
 * winding back (never cancelled, a failure of it kept rather than thrown) followed by an
 * operator's notification; and the end: an abort returns the report, a failure fails the
 * workflow with the report in its details.
 */
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import type { NotifyInput } from '../../activities/hooks';
import type { ProcedureContext } from './context';
import { failureMessage, failureType } from './failures';
import { notifyOperator } from './notify';
import { ABORTED, type ProcedureRun } from './procedure-run';

/** What stopped a procedure. */
export interface Stopped {
  /** An operator's abort (or a refusal that ends as one). */
  aborted: boolean;
  /** The failure's type, when it has one. */
  type: string | undefined;
  error: string;
  cause: unknown;
}

export function stoppedBy(run: ProcedureRun, err: unknown): Stopped {
  const type = failureType(err);
  return { aborted: type === ABORTED || run.abortRequested !== undefined, type, error: failureMessage(err), cause: err };
}

/** The notification that goes out once the procedure is wound back. */
export interface StopNotice {
  severity: NotifyInput['severity'];
  subject: string;
  message: string;
}

/**
 * Runs `windBack`, never cancelled; returns its failure's message instead of throwing it. Then
 * notifies an operator with what `notice` says, given that failure (the notification's token from
 * `notifyStep`; one that cannot be sent does not fail the procedure).
 */
export async function windBackAndNotify(ctx: ProcedureContext, notifyStep: string, windBack: () => Promise<void>, notice: (compensationError: string | undefined) => StopNotice): Promise<string | undefined> {
  let compensationError: string | undefined;
  await CancellationScope.nonCancellable(async () => {
    try {
      await windBack();
    } catch (err) {
      compensationError = failureMessage(err);
    }
    const { severity, subject, message } = notice(compensationError);
    await ctx.run.compensate('notify-operator', () => notifyOperator(ctx, notifyStep, severity, subject, message)).catch(() => undefined);
  });
  return compensationError;
}

/** Marks the stopped procedure's progress `aborted` or `failed`. */
export function finishStopped(run: ProcedureRun, stopped: Stopped): void {
  run.finish(stopped.aborted ? 'aborted' : 'failed', stopped.error);
}

/**
 * The end of a stopped procedure: an abort returns `report`; a failure fails the workflow with
 * it in the details, typed as what stopped it (else `failedType`).
 */
export function endStopped<R>(stopped: Stopped, report: R, failedType: string, message: string): R {
  if (stopped.aborted) return report;
  throw ApplicationFailure.create({ type: stopped.type ?? failedType, nonRetryable: true, message, details: [report], cause: stopped.cause instanceof Error ? stopped.cause : undefined });
}
