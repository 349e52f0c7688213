/**
 * Point-in-time recovery end to end: the real workflow, worker and simulated fleet on the dev
 * server with time skipping. The happy path and every failure branch (no known-good point,
 * integrity, promotion refused or unanswered, an abort), asserting the fleet's end state, the
 * data-loss window and the AWS calls.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startProcedure } from '../../client/start-procedure';
import type { PointInTimeRecoveryInput, PointInTimeRecoveryReport } from '../../domain/procedures/point-in-time-recovery';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { abortSignal, drainPermitsQuery, progressQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { awaitingApproval, changeSequence, decide, saveHistoryIfAsked, skipUntil } from './cell-replacement.helpers';

jest.setTimeout(300_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const steps = (report: PointInTimeRecoveryReport) => report.steps.map((s) => `${s.name}:${s.status}`);
const permits = async () => (await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery)).map((p) => `${p.cellId} by ${p.holder}`);

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err: unknown = await handle.result().then(
    () => new Error('expected the workflow to fail'),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
  return err.cause;
}

/** A fleet whose cell-002 went bad `minutesAgo` minutes ago (its data corrupted: errors, alarms). */
async function corruptedFleet(minutesAgo = 6): Promise<{ fleet: TestFleet; corruptedAt: number }> {
  const fleet = await createTestFleet(procedures.env);
  const corruptedAt = fleet.clock.now();
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30 });
  await procedures.env.sleep(minutesAgo * 60_000);
  return { fleet, corruptedAt };
}

async function start(fleet: TestFleet, extra: Partial<PointInTimeRecoveryInput> = {}): Promise<WorkflowHandle> {
  const input: PointInTimeRecoveryInput = { ...fleet.input('cell-002', { reason: 'test: orders reference missing payments' }), ...extra };
  return await startProcedure(procedures.env.client, { procedure: 'pointInTimeRecovery', input });
}

const BEFORE_PROMOTION = [
  'acquire-drain-permit',
  'isolate-cell',
  'move-customers-away',
  'pick-recovery-point',
  'build-recovery-environment',
  'register-recovery-environment',
  'validate-integrity',
];

describe('pointInTimeRecovery', () => {
  test('happy path: isolate, move customers away, restore to the last all-OK moment, validate, promote on approval, bring traffic over, watch; the report states the data-loss window', async () => {
    // GIVEN cell-002's data went bad six minutes ago
    const { fleet, corruptedAt } = await corruptedFleet();

    const { report, atGate, progress, held } = await withWorkers(fleet, async () => {
      // WHEN point-in-time recovery runs and another operator approves the promotion
      const handle = await start(fleet);
      const atGate = await skipUntil(procedures.env, handle, awaitingApproval('promote'));
      await expect(decide(handle, 'promote', true, 'bob@example.com', 'integrity checked, loss window accepted')).resolves.toMatchObject({ accepted: true });
      const report = (await handle.result()) as PointInTimeRecoveryReport;
      await saveHistoryIfAsked(handle, 'pointInTimeRecovery-happy-path');
      return { report, atGate, progress: await handle.query(progressQuery), held: await permits() };
    });

    // THEN the gate was the promotion's, though the policy does not list it
    expect(atGate).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'promote', onTimeout: 'abort' } });
    // AND every step is done, the procedure says completed
    expect(steps(report)).toEqual([
      ...BEFORE_PROMOTION,
      'approve-promotion',
      'move-customers-to-recovery',
      'restore-traffic',
      'watch-stability',
      'check-data-consistency',
      'release-drain-permit',
      'notify-recovered',
    ].map((s) => `${s}:done`));
    expect(progress.state).toBe('completed');
    // AND the recovery point lies before the corruption (the alarms' look-back before they went off), within minutes of it
    const point = report.pointInTime.recoveryPoint;
    if (point?.found !== true) throw new Error(`expected a recovery point, got ${JSON.stringify(point)}`);
    expect(Date.parse(point.recoveryPoint)).toBeLessThanOrEqual(corruptedAt);
    expect(corruptedAt - Date.parse(point.recoveryPoint)).toBeLessThan(5 * 60_000);
    expect(point.marginSeconds).toBe(180);
    // AND the report states the data-loss window: from the recovery point to the isolation
    const isolatedAt = report.steps.find((s) => s.name === 'isolate-cell')?.endedAt;
    expect(report.dataLossWindow).toEqual({ from: point.recoveryPoint, to: isolatedAt, durationMs: Date.parse(isolatedAt ?? '') - Date.parse(point.recoveryPoint) });
    expect(report).toMatchObject({
      outcome: 'completed',
      cellEndState: 'drained-operator-notified',
      customersAffected: 380,
      pointInTime: { recoveryCellId: 'cell-002-pitr', customersMovedTo: 'cell-001', customersMoved: 380, recoveryEnvironment: 'promoted', integrity: { ok: true, checkedCustomers: 380 }, permitReleased: true },
    });
    expect(report.recommendations.join(' ')).toMatch(/Reconcile writes lost between/);
    // AND the fleet ends as it should: the recovery stack restored to the point, serving the customers; cell-002 drained, kept
    expect(fleet.fleet.stack('shop-cell-002-pitr')).toMatchObject({ status: 'CREATE_COMPLETE', parameters: { RestoreToTime: point.recoveryPoint, RestoreFromCell: 'cell-002' }, tags: { 'cellops:cell': 'cell-002-pitr', 'cellops:restores': 'cell-002' } });
    expect(fleet.fleet.stack('shop-cell-002')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 0, 'cell-003': 100, 'cell-002-pitr': 100 });
    expect(fleet.fleet.customers()).toEqual({ 'cell-001': 420, 'cell-002': 0, 'cell-003': 310, 'cell-002-pitr': 380 });
    expect(held).toEqual([]);
    // AND the calls that changed something came in runbook order
    expect(changeSequence(fleet.calls.list()).filter((c) => !c.startsWith('reads'))).toEqual([
      'route53:ChangeResourceRecordSets UPSERT cell-002=0',
      'hooks:migrateCustomers cell-002->cell-001',
      'cloudwatch:DescribeAlarmHistory cell-002-HighErrorRate',
      'cloudwatch:DescribeAlarmHistory cell-002-HighLatency',
      'cloudformation:CreateStack shop-cell-002-pitr',
      'route53:ChangeResourceRecordSets UPSERT cell-002-pitr=0',
      'hooks:validateDataIntegrity cell-002-pitr',
      'hooks:notify warning',
      'hooks:migrateCustomers cell-001->cell-002-pitr',
      'route53:ChangeResourceRecordSets UPSERT cell-002-pitr=25',
      'route53:ChangeResourceRecordSets UPSERT cell-002-pitr=50',
      'route53:ChangeResourceRecordSets UPSERT cell-002-pitr=75',
      'route53:ChangeResourceRecordSets UPSERT cell-002-pitr=100',
      'hooks:validateDataIntegrity cell-002-pitr',
      'hooks:notify info',
    ]);
  });

  test('no known-good recovery point (the alarms were in ALARM throughout the look-back): the cell stays isolated with its customers moved away, an operator is paged', async () => {
    const { fleet } = await corruptedFleet(12);
    const { failure, progress, held } = await withWorkers(fleet, async () => {
      const handle = await start(fleet, { lookbackSeconds: 300 });
      const failure = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'pointInTimeRecovery-no-known-good-point');
      return { failure, progress: await handle.query(progressQuery), held: await permits() };
    });

    expect(failure.type).toBe('NoKnownGoodRecoveryPoint');
    expect(failure.message).toMatch(/no known-good recovery point for cell-002: the alarms \(cell-002-HighErrorRate, cell-002-HighLatency\) were never all OK since/);
    expect(progress.state).toBe('failed');
    const report = failure.details?.[0] as PointInTimeRecoveryReport;
    expect(steps(report)).toEqual(['acquire-drain-permit:done', 'isolate-cell:done', 'move-customers-away:done', 'pick-recovery-point:failed', 'notify-operator:done']);
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'drained-operator-notified', pointInTime: { recoveryEnvironment: 'not-built', permitReleased: false, recoveryPoint: { found: false } } });
    expect(report.dataLossWindow).toBeUndefined();
    expect(fleet.fleet.weights()['cell-002']).toBe(0);
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-001': 800, 'cell-002': 0 });
    expect(fleet.calls.count({ command: 'CreateStack' })).toBe(0);
    expect(held).toEqual(['cell-002 by cell-recovery-cell-002']);
    expect(fleet.fleet.hooks().notifications).toEqual([expect.objectContaining({ severity: 'critical', subject: 'Point-in-time recovery of cell-002 failed' })]);
  });

  test('restored data that does not validate: the recovery environment is removed (record, stack), the cell stays isolated, IntegrityValidationFailed', async () => {
    const { fleet } = await corruptedFleet();
    fleet.fleet.inject({ kind: 'integrity-failure', cellId: 'cell-002-pitr', problems: ['invoices 9120-9388 reference missing orders'] });
    const failure = await withWorkers(fleet, async () => {
      const handle = await start(fleet);
      const failure = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'pointInTimeRecovery-integrity-fails');
      return failure;
    });

    expect(failure.type).toBe('IntegrityValidationFailed');
    expect(failure.message).toMatch(/the data of cell-002-pitr did not validate \(0 customers checked\): invoices 9120-9388 reference missing orders/);
    const report = failure.details?.[0] as PointInTimeRecoveryReport;
    expect(steps(report)).toEqual([...BEFORE_PROMOTION.slice(0, -1).map((s) => `${s}:done`), 'validate-integrity:failed', 'remove-recovery-record:done', 'delete-recovery-stack:done', 'notify-operator:done']);
    expect(report.pointInTime).toMatchObject({ recoveryEnvironment: 'removed', integrity: { ok: false }, permitReleased: false });
    expect(fleet.fleet.stack('shop-cell-002-pitr')).toBeUndefined();
    expect(fleet.fleet.records().some((r) => r.setIdentifier === 'cell-002-pitr')).toBe(false);
    expect(fleet.fleet.weights()['cell-002']).toBe(0);
  });

  test('promotion rejected: nothing is promoted, the recovery environment is removed, ApprovalDenied; the data-loss window was on the gate', async () => {
    const { fleet } = await corruptedFleet();
    const { failure, notifications } = await withWorkers(fleet, async () => {
      const handle = await start(fleet);
      await skipUntil(procedures.env, handle, awaitingApproval('promote'));
      await decide(handle, 'promote', false, 'bob@example.com', 'losing those writes is not acceptable');
      return { failure: await failureOf(handle), notifications: fleet.fleet.hooks().notifications };
    });

    expect(failure.type).toBe('ApprovalDenied');
    expect(failure.message).toMatch(/promoting cell-002-pitr was rejected by bob@example.com: losing those writes is not acceptable/);
    expect(notifications[0].subject).toMatch(/^Approval needed: promote cell-002-pitr \(data restored to .*Z; writes until .*Z are lost\)$/);
    expect(fleet.fleet.stack('shop-cell-002-pitr')).toBeUndefined();
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-001': 800, 'cell-002': 0 });
    expect(fleet.calls.count({ command: 'migrateCustomers' })).toBe(1);
  });

  test('promotion not answered in time: the policy default (abort) is taken, nothing promoted, ApprovalDenied', async () => {
    const { fleet } = await corruptedFleet();
    const failure = await withWorkers(fleet, async () => {
      const handle = await start(fleet);
      await skipUntil(procedures.env, handle, awaitingApproval('promote'));
      await procedures.env.sleep(3_600_000);
      return await failureOf(handle);
    });
    expect(failure.type).toBe('ApprovalDenied');
    expect(failure.message).toMatch(/nobody approved it in time/);
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject.replace(/:.*/, ''))).toEqual(['Approval needed', 'Reminder', 'Approval timed out', 'Point-in-time recovery of cell-002 failed']);
    expect(fleet.fleet.stack('shop-cell-002-pitr')).toBeUndefined();
  });

  test('an abort in the middle of the traffic restore: the customers are on the recovery environment already, so it gets the traffic and keeps it', async () => {
    const { fleet } = await corruptedFleet();
    const { report, progress, held } = await withWorkers(fleet, async () => {
      const handle = await start(fleet);
      await skipUntil(procedures.env, handle, awaitingApproval('promote'));
      await decide(handle, 'promote', true);
      await skipUntil(procedures.env, handle, () => [25, 50].includes(fleet.fleet.weights()['cell-002-pitr'] ?? -1));
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'checking the dashboards first' });
      const report = (await handle.result()) as PointInTimeRecoveryReport;
      await saveHistoryIfAsked(handle, 'pointInTimeRecovery-abort-mid-restore');
      return { report, progress: await handle.query(progressQuery), held: await permits() };
    });

    expect(progress.state).toBe('aborted');
    expect(report).toMatchObject({ outcome: 'aborted', cellEndState: 'drained-operator-notified', pointInTime: { recoveryEnvironment: 'promoted', permitReleased: true } });
    expect(report.dataLossWindow).toBeDefined();
    expect(steps(report).slice(-4)).toEqual(['restore-traffic:failed', 'reroute-to-recovery:done', 'release-drain-permit:done', 'notify-operator:done']);
    expect(fleet.fleet.weights()).toMatchObject({ 'cell-002': 0, 'cell-002-pitr': 100 });
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-001': 420, 'cell-002-pitr': 380 });
    expect(held).toEqual([]);
  });
});
