/**
 * Router failover end to end: the real workflow, worker and simulated fleet on the dev server
 * with time skipping. The happy path and every failure branch, asserting the router's end
 * state, the weights written and the AWS calls.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { RouterFailoverReport } from '../../domain/procedures/router-failover';
import { CellIdAttribute, ProcedureAttribute } from '../../domain/search-attributes';
import { AlreadyInRecoveryError } from '../../client/start-procedure';
import { abortSignal, progressQuery } from '../../workflows/messages';
import { createTestFleet, exampleRegistry, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { changeSequence, decide, saveHistoryIfAsked, skipUntil, awaitingApproval } from './cell-replacement.helpers';
import { letFaultShow, routerWeightsWritten, startFailover } from './router-failover.helpers';

jest.setTimeout(300_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const STEPS = [
  'assess-primary-router',
  'approve-failover',
  'activate-fallback',
  'validate-fallback',
  'restart-primary-router',
  'wait-router-stack-stable',
  'confirm-primary-recovered',
  'switch-back',
  'watch-stability',
  'notify-recovered',
];

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err: unknown = await handle.result().then(
    () => new Error('expected the workflow to fail'),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
  return err.cause;
}

const steps = (report: RouterFailoverReport) => report.steps.map((s) => `${s.name}:${s.status}`);
const FAILOVER = 'route53:ChangeResourceRecordSets UPSERT router-primary=0,UPSERT router-fallback=255';
const BACK_TO_PRIMARY = 'route53:ChangeResourceRecordSets UPSERT router-primary=255,UPSERT router-fallback=0';

describe('routerFailover', () => {
  test('happy path: fail over, validate the fallback, restart the primary, switch back in four steps, watch; routing ends on the primary', async () => {
    // GIVEN the primary router failing for four minutes (a restart will cure it)
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'router-failure' });
    await letFaultShow(procedures.env);

    const { report, handle, progress } = await withWorkers(fleet, async () => {
      // WHEN router failover runs
      const handle = await startFailover(procedures.env, fleet);
      const report = (await handle.result()) as RouterFailoverReport;
      await saveHistoryIfAsked(handle, 'routerFailover-happy-path');
      return { report, handle, progress: await handle.query(progressQuery) };
    });

    // THEN every runbook step is done, in order, and the procedure says it completed
    expect(steps(report)).toEqual(STEPS.map((s) => `${s}:done`));
    expect(progress.state).toBe('completed');
    expect(report).toMatchObject({
      procedure: 'routerFailover',
      cellId: 'router',
      workflowId: 'router-recovery-shop-eu',
      outcome: 'completed',
      cellEndState: 'in-service',
      customersAffected: 1110,
      router: { routing: 'primary', primaryRecovered: true, fallbackValidation: { problems: [] } },
    });
    expect(report.router.primaryProblems.join('; ')).toMatch(/alarm router-HighErrorRate is in ALARM/);
    expect(report.router.fallbackValidation?.fallbackSharePercent).toBeGreaterThanOrEqual(95);
    expect(report.router.fallbackValidation?.cellShares.map((s) => s.cellId)).toEqual(['cell-001', 'cell-002', 'cell-003']);
    // AND the router ends as it should: the primary restarted once (with this run's nonce) and healthy, carrying all the traffic
    const { runId } = await handle.describe();
    expect(fleet.fleet.stack('shop-router')).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { RestartNonce: `router-recovery-shop-eu-${runId}-router-restart` } });
    expect(fleet.fleet.router()).toMatchObject({ primary: { weight: 255, health: 'healthy', observedSharePercent: 100 }, fallback: { weight: 0, observedSharePercent: 0 } });
    expect(fleet.fleet.alarms().filter((a) => a.state !== 'OK')).toEqual([]);
    // AND the weights moved in one batch each: failed over at once, back in the restore policy's four steps
    expect(routerWeightsWritten(fleet)).toEqual(['0/255', '64/191', '128/127', '191/64', '255/0']);
    // AND the AWS calls came in runbook order (reads collapsed)
    expect(changeSequence(fleet.calls.list())).toEqual([
      'reads: DescribeAlarms,GetMetricData',
      FAILOVER,
      'reads: GetChange,GetMetricData,DescribeStacks,DescribeStackEvents',
      'cloudformation:UpdateStack shop-router',
      'reads: DescribeStacks,DescribeStackEvents,DescribeAlarms,GetMetricData',
      'route53:ChangeResourceRecordSets UPSERT router-primary=64,UPSERT router-fallback=191',
      'reads: GetChange,DescribeAlarms,GetMetricData',
      'route53:ChangeResourceRecordSets UPSERT router-primary=128,UPSERT router-fallback=127',
      'reads: GetChange,DescribeAlarms,GetMetricData',
      'route53:ChangeResourceRecordSets UPSERT router-primary=191,UPSERT router-fallback=64',
      'reads: GetChange,DescribeAlarms,GetMetricData',
      BACK_TO_PRIMARY,
      'reads: GetChange,DescribeAlarms,GetMetricData',
      'hooks:notify info',
    ]);
    expect(fleet.calls.count({ outcome: 'error' })).toBe(0);
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject)).toEqual(['Router of shop-eu recovered']);
    // AND the search attributes name the router and the procedure
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(CellIdAttribute)).toBe('router');
    expect(described.typedSearchAttributes.get(ProcedureAttribute)).toBe('routerFailover');
  });

  test('a fallback that misroutes does not validate: routing goes back to the primary as it was, an operator is paged, FallbackRoutingInvalid', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'router-failure' });
    fleet.fleet.inject({ kind: 'router-failure', member: 'fallback', errorRatePercent: 15 });
    await letFaultShow(procedures.env);

    const failure = await withWorkers(fleet, async () => {
      const handle = await startFailover(procedures.env, fleet);
      const failure = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'routerFailover-fallback-invalid');
      return failure;
    });

    expect(failure.type).toBe('FallbackRoutingInvalid');
    expect(failure.message).toMatch(/the fallback routing did not validate after 3 readings: fallback: error rate 1\d\.\d\d% above 1%.*; customers are routed by the primary$/);
    const report = failure.details?.[0] as RouterFailoverReport;
    expect(steps(report)).toEqual(['assess-primary-router:done', 'approve-failover:done', 'activate-fallback:done', 'validate-fallback:failed', 'restore-primary-routing:done', 'notify-operator:done']);
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'in-service', router: { routing: 'primary', primaryRecovered: false } });
    expect(routerWeightsWritten(fleet)).toEqual(['0/255', '255/0']);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
    expect(fleet.fleet.router()).toMatchObject({ primary: { weight: 255 }, fallback: { weight: 0 } });
    expect(fleet.fleet.hooks().notifications).toEqual([expect.objectContaining({ severity: 'critical', subject: 'Router failover of shop-eu failed: routing as it was' })]);
  });

  test('a primary that never recovers: the restart happens once, the fallback keeps the traffic, an operator is paged, PrimaryRouterNotRecovered', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'router-failure', recoversOnRestart: false });
    await letFaultShow(procedures.env);

    const { failure, progress } = await withWorkers(fleet, async () => {
      const handle = await startFailover(procedures.env, fleet, { primaryRecoveryChecks: 3 });
      const failure = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'routerFailover-primary-not-recovered');
      return { failure, progress: await handle.query(progressQuery) };
    });

    expect(failure.type).toBe('PrimaryRouterNotRecovered');
    expect(failure.message).toMatch(/was not healthy again after its restart \(3 checks, one a minute\).*; customers are routed by the fallback$/);
    expect(progress.state).toBe('failed');
    const report = failure.details?.[0] as RouterFailoverReport;
    expect(steps(report)).toEqual([
      ...STEPS.slice(0, 6).map((s) => `${s}:done`),
      'confirm-primary-recovered:failed',
      'notify-operator:done',
    ]);
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'drained-operator-notified', router: { routing: 'fallback', primaryRecovered: false } });
    expect(report.recommendations.join(' ')).toMatch(/Customers are routed by the hash-based fallback \(router-fallback\); repair the primary router \(stack shop-router\)/);
    expect(routerWeightsWritten(fleet)).toEqual(['0/255']);
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(1);
    expect(fleet.fleet.router()).toMatchObject({ primary: { weight: 0, health: 'unhealthy' }, fallback: { weight: 255, observedSharePercent: 100 } });
    expect(fleet.fleet.hooks().notifications).toEqual([expect.objectContaining({ severity: 'critical', subject: 'Router failover of shop-eu failed: fallback kept' })]);
  });

  test('an abort in the middle of the switch back: the traffic returns to the validated fallback at once, and the report says so', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'router-failure' });
    await letFaultShow(procedures.env);

    const { report, progress } = await withWorkers(fleet, async () => {
      const handle = await startFailover(procedures.env, fleet);
      await skipUntil(procedures.env, handle, () => [128, 191].includes(fleet.fleet.router().primary.weight ?? 0), 60);
      const during: ProcedureProgress = await handle.query(progressQuery);
      expect(during.currentStep).toBe('switch-back');
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'latency on the primary looks odd' });
      const report = (await handle.result()) as RouterFailoverReport;
      await saveHistoryIfAsked(handle, 'routerFailover-abort-mid-switch-back');
      return { report, progress: await handle.query(progressQuery) };
    });

    expect(progress.state).toBe('aborted');
    expect(report).toMatchObject({ outcome: 'aborted', cellEndState: 'drained-operator-notified', error: 'aborted by bob@example.com: latency on the primary looks odd', router: { routing: 'fallback', primaryRecovered: true } });
    expect(steps(report)).toEqual([...STEPS.slice(0, 7).map((s) => `${s}:done`), 'switch-back:failed', 'return-to-fallback:done', 'notify-operator:done']);
    // The abort came at weight 128 or 191 (whichever the minute's look found): the schedule up to there, then straight back.
    const written = routerWeightsWritten(fleet);
    expect(written.slice(0, -1)).toEqual(['0/255', '64/191', '128/127', '191/64'].slice(0, written.length - 1));
    expect(written.length).toBeGreaterThanOrEqual(4);
    expect(written[written.length - 1]).toBe('0/255');
    expect(fleet.fleet.router()).toMatchObject({ primary: { weight: 0 }, fallback: { weight: 255 } });
    expect(fleet.fleet.hooks().notifications).toEqual([expect.objectContaining({ severity: 'critical', subject: 'Router failover of shop-eu aborted: fallback kept' })]);
  });

  test('a healthy primary is not failed over (unless forced): RouterHealthy, nothing changed', async () => {
    const fleet = await createTestFleet(procedures.env);
    const failure = await withWorkers(fleet, async () => await failureOf(await startFailover(procedures.env, fleet)));
    expect(failure.type).toBe('RouterHealthy');
    expect((failure.details?.[0] as RouterFailoverReport).router.routing).toBe('primary');
    expect(fleet.calls.count({ service: 'route53' })).toBe(0);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
  });

  test('with the failover approval required: a rejection changes nothing (ApprovalDenied); a second failover while one waits is refused', async () => {
    const registry = exampleRegistry();
    registry.policies.approvals.required = ['failover'];
    const fleet = await createTestFleet(procedures.env, { registry });
    fleet.fleet.inject({ kind: 'router-failure' });
    await letFaultShow(procedures.env);

    const { failure, second, atGate } = await withWorkers(fleet, async () => {
      const handle = await startFailover(procedures.env, fleet);
      const atGate = await skipUntil(procedures.env, handle, awaitingApproval('failover'));
      const second = await startFailover(procedures.env, fleet).catch((err: unknown) => err);
      await decide(handle, 'failover', false, 'bob@example.com', 'the router team is on it');
      return { failure: await failureOf(handle), second, atGate };
    });

    expect(atGate).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'failover' } });
    expect(second).toEqual(new AlreadyInRecoveryError('router', 'router-recovery-shop-eu', undefined, 'routerFailover'));
    expect(failure.type).toBe('ApprovalDenied');
    expect(failure.message).toMatch(/failing over was rejected by bob@example.com: the router team is on it/);
    expect(fleet.calls.count({ service: 'route53' })).toBe(0);
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject)).toEqual([
      "Approval needed: switch shop-eu's routing to the hash-based fallback",
      'Router failover of shop-eu failed: routing as it was',
    ]);
  });
});
