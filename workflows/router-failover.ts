import { ApplicationFailure, CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { AwsActivities } from '../activities';
import { buildReport, type CellEndState, type ProcedureOutcome } from '../domain/procedures/report';
import {
  DEFAULT_PRIMARY_RECOVERY_CHECKS,
  ROUTER_ID,
  failedOverWeights,
  normalWeights,
  type RouterFailoverInput,
  type RouterFailoverReport,
} from '../domain/procedures/router-failover';
import { ProcedureFailure } from '../domain/procedures/failure-types';
import { awsTarget } from '../domain/registry/lookup';
import { approvalGate } from './lib/approval';
import { stepToken } from './lib/context';
import { failureMessage, failureType } from './lib/failures';
import { notifyOperator } from './lib/notify';
import { ABORTED, ProcedureRun } from './lib/procedure-run';
import { quickAwsCall, stackWait } from './lib/proxies';
import { RouterState, assessPrimary, awaitPrimaryHealthy, routerContext, setRouting, switchBackGradually, validateFallback, type RouterContext } from './lib/router';
import { watchStability } from './lib/stability-watch';

/** The restart of the primary router: one UpdateStack, a few attempts (the nonce makes a retry harmless). */
const restartCall = { ...quickAwsCall, retry: { ...quickAwsCall.retry, maximumAttempts: 5 } } as const;
const stacks = proxyActivities<Pick<AwsActivities, 'restartCellServices'>>(restartCall);

/**
 * Router failover, as in the runbook: confirm the primary router failed, switch routing to the
 * hash-based fallback (after approval when the policy asks), validate that requests reach the
 * right cells through it, restart the primary, and once it is healthy again move the traffic
 * back gradually and watch it. A primary that does not recover keeps the fallback in service
 * with an operator notified; a fallback that does not validate puts routing back as it was.
 * Failures and aborts are handled in one place, {@link putRoutingBack}; the report names the
 * routing it left.
 */
export async function routerFailover(input: RouterFailoverInput): Promise<RouterFailoverReport> {
  const { policies } = input.registry;
  const run = new ProcedureRun({ procedure: 'routerFailover', cellId: ROUTER_ID, requestedBy: input.requestedBy, fourEyes: policies.approvals.fourEyes });
  return await run.untilEnd(async () => {
    const ctx = routerContext(run, input);
    const state = new RouterState();
    const { primary } = ctx.router;
    try {
      // 1. Confirm the primary router has failed (its alarms and metrics over the health window)
      state.primaryProblems = await run.step('assess-primary-router', () => assessPrimary(ctx, input.force ?? false));
      // 2. Await approval to fail over, when the policy requires it
      const approval = await run.step('approve-failover', () => approvalGate(ctx, 'failover', `switch ${input.registry.fleet.name}'s routing to the hash-based fallback`));
      if (!approval.proceed) throw ApplicationFailure.nonRetryable(`failing over was ${approval.kind === 'rejected' ? `rejected by ${approval.decision.approver}: ${approval.decision.reason}` : 'not approved in time'}`, ProcedureFailure.ApprovalDenied);
      // 3. Activate the fallback routing: one batch, the fallback takes the primary's weight
      await run.step('activate-fallback', () => {
        state.stage = 'failing-over'; // inside the step: an abort held before it (paused) finds nothing changed
        return setRouting(ctx, failedOverWeights(input.registry), 'router-failover');
      });
      state.failedOverAt = new Date().toISOString();
      // 4. Validate the fallback: it takes the router's requests, misroutes none, every cell gets its part
      await run.step('validate-fallback', () => validateFallback(ctx, state));
      state.stage = 'on-fallback';
      // 5. Restart the primary router (restart-nonce update of its stack)
      await run.step('restart-primary-router', () => stacks.restartCellServices({ requestToken: stepToken('router-restart'), target: awsTarget(primary), stackName: primary.stack.name, restartParameter: primary.stack.restartParameter }));
      // 6. Wait for the router stack to be stable
      await run.step('wait-router-stack-stable', () => stackWait.waitForStack({ requestToken: stepToken('router-restart-wait'), target: awsTarget(primary), stackName: primary.stack.name, until: 'stable' }));
      // 7. Confirm the primary is healthy again (one check a minute, up to the limit)
      await run.step('confirm-primary-recovered', () => awaitPrimaryHealthy(ctx, input.primaryRecoveryChecks ?? DEFAULT_PRIMARY_RECOVERY_CHECKS));
      state.primaryRecovered = true;
      // 8. Switch back gradually, checking the primary after each step
      state.stage = 'switching-back';
      await run.step('switch-back', () => switchBackGradually(ctx));
      state.stage = 'on-primary';
      state.switchedBackAt = new Date().toISOString();
      // 9. Watch the primary's stability for the policy's period
      await run.step('watch-stability', () => watchStability(ctx));
    } catch (err) {
      return await putRoutingBack(ctx, state, input, err);
    }
    // 10. Notify and report
    await run.step('notify-recovered', () => notifyOperator(ctx, 'router-recovered', 'info', `Router of ${input.registry.fleet.name} recovered`, `${ctx.workflowId} failed over to the fallback at ${state.failedOverAt ?? '?'}, restarted the primary and moved the traffic back by ${state.switchedBackAt ?? '?'}.`));
    run.finish('completed');
    return report(ctx, state, input, 'completed');
  });
}

/**
 * The one place a failed or aborted failover leaves routing in a known state:
 * - nothing changed yet: nothing to do;
 * - the fallback did not validate (or the abort came while validating it): routing goes back as it was;
 * - the primary did not recover, or erred while traffic came back: the validated fallback takes
 *   all the traffic again and keeps it;
 * - an abort once traffic is back on the primary (the watch): the primary keeps it.
 * An operator is notified in every case. An abort returns the report; a failure fails the
 * workflow with the cause's type and the report in the failure's details.
 */
async function putRoutingBack(ctx: RouterContext, state: RouterState, input: RouterFailoverInput, err: unknown): Promise<RouterFailoverReport> {
  const { run } = ctx;
  const type = failureType(err);
  const aborted = type === ABORTED || run.abortRequested !== undefined;
  const error = failureMessage(err);
  const fleet = input.registry.fleet.name;
  await CancellationScope.nonCancellable(async () => {
    try {
      if (state.stage === 'failing-over') {
        await run.compensate('restore-primary-routing', () => setRouting(ctx, normalWeights(input.registry), 'router-back-to-primary'));
        state.stage = 'before-failover';
      } else if (state.stage === 'switching-back' || (state.stage === 'on-primary' && !aborted)) {
        await run.compensate('return-to-fallback', () => setRouting(ctx, failedOverWeights(input.registry), 'router-back-to-fallback'));
        state.stage = 'on-fallback';
      }
    } catch (compensationErr) {
      state.compensationError = failureMessage(compensationErr);
    }
    const routing = state.stage === 'before-failover' ? 'the primary router (as before)' : state.stage === 'on-primary' ? 'the primary router' : 'the hash-based fallback';
    const broken = state.compensationError ? ` Putting routing back failed too: ${state.compensationError}.` : '';
    const subject = `Router failover of ${fleet} ${aborted ? 'aborted' : 'failed'}: ${state.stage === 'on-fallback' ? 'fallback kept' : 'routing as it was'}`;
    const message = `${ctx.workflowId} ${aborted ? 'was aborted' : 'failed'} (${error}). Customers are routed by ${routing}.${broken} An operator must decide what happens to the primary router next.`;
    await run.compensate('notify-operator', () => notifyOperator(ctx, 'router-end', 'critical', subject, message)).catch(() => undefined);
  });
  run.finish(aborted ? 'aborted' : 'failed', error);
  const result = report(ctx, state, input, aborted ? 'aborted' : 'failed', error);
  if (aborted) return result;
  throw ApplicationFailure.create({
    type: type ?? 'RouterFailoverFailed',
    nonRetryable: true,
    message: `router failover of ${fleet} failed: ${error}; customers are routed by ${result.router.routing === 'fallback' ? 'the fallback' : 'the primary'}`,
    details: [result],
    cause: err instanceof Error ? err : undefined,
  });
}

function report(ctx: RouterContext, state: RouterState, input: RouterFailoverInput, outcome: ProcedureOutcome, error?: string): RouterFailoverReport {
  const routing = state.stage === 'before-failover' || state.stage === 'on-primary' ? 'primary' : 'fallback';
  // The primary router is the "cell" here: in service, or kept out with an operator told.
  const cellEndState: CellEndState = routing === 'primary' ? 'in-service' : 'drained-operator-notified';
  const recommendations = [...state.recommendations];
  if (routing === 'fallback') recommendations.push(`Customers are routed by the hash-based fallback (${ctx.router.fallback.record.setIdentifier}); repair the primary router (stack ${ctx.cell.stack.name}) and run router failover again to switch back.`);
  const base = buildReport(ctx.run.progress, {
    workflowId: ctx.workflowId,
    reason: input.reason,
    outcome,
    cellEndState,
    endedAt: new Date().toISOString(),
    customersAffected: state.failedOverAt ? ctx.cell.customers : 0,
    events: state.events,
    error: error ?? state.compensationError,
    recommendations,
  });
  return {
    ...base,
    router: {
      routing,
      primaryProblems: state.primaryProblems,
      ...(state.fallbackValidation ? { fallbackValidation: state.fallbackValidation } : {}),
      primaryRecovered: state.primaryRecovered,
      ...(state.failedOverAt ? { failedOverAt: state.failedOverAt } : {}),
      ...(state.switchedBackAt ? { switchedBackAt: state.switchedBackAt } : {}),
    },
  };
}
