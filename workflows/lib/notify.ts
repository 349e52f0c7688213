/** Telling operators: the `notify` hook, with a request token per step so a retry notifies once. */
import { workflowInfo } from '@temporalio/workflow';
import type { NotifyInput } from '../../activities/hooks';
import { hooks } from './proxies';
import { stepToken, type ProcedureContext } from './context';

/** Sends one notification about this procedure; `step` makes its idempotency key. */
export async function notifyOperator(ctx: ProcedureContext, step: string, severity: NotifyInput['severity'], subject: string, message: string): Promise<void> {
  await hooks.notify({ requestToken: stepToken(`notify-${step}`), severity, subject, message, workflowId: ctx.workflowId });
}

/** {@link notifyOperator} for code that has no procedure context (the run's own message handlers). */
export async function notifyAboutThisWorkflow(step: string, severity: NotifyInput['severity'], subject: string, message: string): Promise<void> {
  await hooks.notify({ requestToken: stepToken(`notify-${step}`), severity, subject, message, workflowId: workflowInfo().workflowId });
}
