/**
 * Cell replacement end to end: the real workflow, worker and simulated fleet on the dev server
 * with time skipping. Happy path, the approval gate's three answers (approve, reject, none) and
 * an abort mid-procedure.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import { drainPermitsQuery, abortSignal } from '../../workflows/messages';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { APPROVER, awaitingApproval, changeSequence, decide, saveHistoryIfAsked, skipUntil, startReplacement } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

async function permits(): Promise<string[]> {
  return (await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery)).map((p) => `${p.cellId} by ${p.holder}`);
}

const result = (handle: WorkflowHandle) => handle.result() as Promise<CellReplacementReport>;

describe('cellReplacement', () => {
  test('happy path: drain, build, migrate, re-route, validate, approve, decommission; the fleet ends as it should, in the right order', async () => {
    // GIVEN cell-002 failing on a fleet with enough capacity for its load
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });

    const { report, refused, held, atGate, listed } = await withWorkers(fleet, async () => {
      // WHEN its replacement runs and, at the gate, the requester then another operator approve
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      const atGate = await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      const listed: string[] = [];
      for await (const w of procedures.env.client.workflow.list({ query: 'CellId = "cell-002" AND Procedure = "cellReplacement" AND Step = "approve-decommission"' })) listed.push(w.workflowId);
      const refused = await decide(handle, 'decommission', true, 'alice@example.com').catch((err: unknown) => err);
      await expect(decide(handle, 'decommission', true)).resolves.toMatchObject({ accepted: true });
      const report = await result(handle);
      await saveHistoryIfAsked(handle, 'cellReplacement-happy-path');
      return { report, refused, held: await permits(), atGate, listed };
    });

    // THEN at the gate the procedure said what it waits for, and the Step search attribute was current
    expect(atGate).toMatchObject({ procedure: 'cellReplacement', cellId: 'cell-002', state: 'awaiting-approval', pendingApproval: { step: 'decommission', onTimeout: 'abort' } });
    expect(listed).toEqual(['cell-recovery-cell-002']);
    // AND the four-eyes policy refused the requester's own approval
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as Error).cause)).toContain('four-eyes policy');
    // AND the report tells the whole story
    expect(report).toMatchObject({
      procedure: 'cellReplacement',
      cellId: 'cell-002',
      workflowId: 'cell-recovery-cell-002',
      outcome: 'completed',
      cellEndState: 'decommissioned',
      customersAffected: 380,
      replacement: {
        failedCellId: 'cell-002',
        replacementCellId: 'cell-002-r',
        replacementInService: true,
        capacity: { emergencyCells: 0, remainingCapacityRps: 2000 },
        emergencyCells: [],
        customers: { kind: 'migrated', customers: 380 },
        failedCell: { kind: 'decommissioned', approvedBy: APPROVER },
        postRecoveryAlarms: ['cell-002-r-post-recovery-error-rate', 'cell-002-r-post-recovery-latency-p99', 'cell-002-r-post-recovery-availability'],
        permitReleased: true,
      },
    });
    expect(report.dataLossWindow).toBeUndefined();
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'acquire-drain-permit:done',
      'drain-at-once:done',
      'check-capacity:done',
      'provision-replacement:done',
      'register-replacement:done',
      'move-customers:done',
      'reroute-traffic:done',
      'validate-replacement:done',
      'put-post-recovery-alarms:done',
      'approve-decommission:done',
      'decommission-failed-cell:done',
      'release-drain-permit:done',
    ]);
    // AND the fleet: the replacement in service with the customers, cell-002 gone (stack and record)
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002-r': 100, 'cell-003': 100 });
    expect(fleet.fleet.stack('shop-cell-002')).toBeUndefined();
    expect(fleet.fleet.stack('shop-cell-002-r')).toMatchObject({ status: 'CREATE_COMPLETE', tags: { 'cellops:cell': 'cell-002-r', 'cellops:replaces': 'cell-002' } });
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-002': 0, 'cell-002-r': 380 });
    expect(fleet.fleet.hooks().backups.map((b) => b.cellId)).toEqual(['cell-002']);
    const alarms = Object.fromEntries(fleet.fleet.alarms().map((a) => [a.name, a.state]));
    expect(alarms).toMatchObject({ 'cell-002-r-post-recovery-error-rate': 'OK', 'cell-002-r-post-recovery-latency-p99': 'OK', 'cell-002-r-post-recovery-availability': 'OK' });
    expect(held).toEqual([]);
    // AND the AWS calls that change something came in exactly this order
    expect(changeSequence(fleet.calls.list())).toEqual([
      'reads: ListResourceRecordSets',
      'route53:ChangeResourceRecordSets UPSERT cell-002=0',
      'reads: GetChange,GetMetricData,DescribeStacks',
      'cloudformation:CreateStack shop-cell-002-r',
      'reads: DescribeStacks,DescribeStackEvents',
      'route53:ChangeResourceRecordSets UPSERT cell-002-r=0',
      'reads: GetChange',
      'hooks:checkDataAccessible cell-002',
      'hooks:migrateCustomers cell-002->cell-002-r',
      'route53:ChangeResourceRecordSets UPSERT cell-002-r=25',
      'reads: GetChange',
      'route53:ChangeResourceRecordSets UPSERT cell-002-r=50',
      'reads: GetChange',
      'route53:ChangeResourceRecordSets UPSERT cell-002-r=75',
      'reads: GetChange',
      'route53:ChangeResourceRecordSets UPSERT cell-002-r=100',
      'reads: GetChange,GetMetricData',
      'cloudwatch:PutMetricAlarm cell-002-r-post-recovery-error-rate',
      'cloudwatch:PutMetricAlarm cell-002-r-post-recovery-latency-p99',
      'cloudwatch:PutMetricAlarm cell-002-r-post-recovery-availability',
      'hooks:notify warning',
      'hooks:backupCellData cell-002',
      'reads: DescribeStacks,DescribeStackEvents',
      'cloudformation:DeleteStack shop-cell-002',
      'reads: DescribeStacks,DescribeStackEvents,ListResourceRecordSets',
      'route53:ChangeResourceRecordSets DELETE cell-002=0',
      'reads: GetChange',
    ]);
    // Each change exactly once.
    expect(fleet.calls.count({ command: 'CreateStack' })).toBe(1);
    expect(fleet.calls.count({ command: 'DeleteStack' })).toBe(1);
    expect(fleet.calls.count({ command: 'ChangeResourceRecordSets' })).toBe(7);
  });

  test('approval rejected: the failed cell is kept (drained, stack intact), and the report says so', async () => {
    const fleet = await createTestFleet(procedures.env);
    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await expect(decide(handle, 'decommission', false)).resolves.toMatchObject({ accepted: true, approved: false });
      return { ...(await result(handle)), held: await permits() };
    });

    expect(report).toMatchObject({
      outcome: 'completed',
      cellEndState: 'drained-operator-notified',
      replacement: {
        replacementInService: true,
        failedCell: { kind: 'kept', because: 'approval-rejected', detail: `decommissioning rejected by ${APPROVER}: keep it for the post-mortem` },
        permitReleased: true,
      },
    });
    expect(report.recommendations.join('\n')).toContain('cell-003 is kept drained, not decommissioned');
    expect(report.steps.map((s) => s.name)).not.toContain('decommission-failed-cell');
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 0, 'cell-003-r': 100 });
    expect(fleet.fleet.stack('shop-cell-003')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.calls.count({ service: 'hooks', command: 'backupCellData' })).toBe(0);
    expect(fleet.calls.count({ service: 'cloudformation', command: 'DeleteStack' })).toBe(0);
    expect(report.held).toEqual([]);
  });

  test('approval timed out: reminded before the deadline, then the policy default (abort: keep the cell)', async () => {
    const fleet = await createTestFleet(procedures.env);
    // WHEN nobody answers: the result wait lets the server skip the whole hour
    const report = await withWorkers(fleet, async () => await result(await startReplacement(procedures.env, fleet, 'cell-001')));

    expect(report).toMatchObject({
      outcome: 'completed',
      cellEndState: 'drained-operator-notified',
      replacement: { failedCell: { kind: 'kept', because: 'approval-timed-out' }, replacementInService: true },
    });
    const notices = fleet.fleet.hooks().notifications.map((n) => `${n.severity}: ${n.subject}`);
    expect(notices).toEqual([
      'warning: Approval needed: decommission cell-001, replaced by cell-001-r',
      'warning: Reminder: approval needed: decommission cell-001, replaced by cell-001-r',
      'critical: Approval timed out: decommission cell-001, replaced by cell-001-r',
    ]);
    // The reminder came reminderBeforeSeconds (900 s) before the one-hour deadline.
    const [asked, reminded, timedOut] = fleet.fleet.hooks().notifications.map((n) => Date.parse(n.at));
    expect(reminded - asked).toBeGreaterThanOrEqual(45 * 60_000);
    expect(timedOut - reminded).toBeGreaterThanOrEqual(15 * 60_000);
    expect(fleet.fleet.stack('shop-cell-001')?.status).toBe('CREATE_COMPLETE');
  });

  test('abort mid re-route: the customers are on the replacement already, so it gets all the traffic; the failed cell is kept', async () => {
    const fleet = await createTestFleet(procedures.env);
    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      await skipUntil(procedures.env, handle, (p) => p.currentStep === 'reroute-traffic');
      await handle.signal(abortSignal, { requestedBy: 'carol@example.com', reason: 'drill' });
      const report = await result(handle);
      await saveHistoryIfAsked(handle, 'cellReplacement-abort-mid-reroute');
      return { ...report, held: await permits() };
    });

    expect(report).toMatchObject({
      outcome: 'aborted',
      cellEndState: 'drained-operator-notified',
      replacement: { replacementInService: true, failedCell: { kind: 'kept', because: 'aborted' }, permitReleased: true },
    });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(expect.arrayContaining(['reroute-traffic:failed', 'reroute-to-replacement:done', 'release-drain-permit:done', 'notify-operator:done']));
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 0, 'cell-002-r': 100, 'cell-003': 100 });
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-002-r': 380 });
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject)).toContain('Cell replacement of cell-002 aborted');
    expect(report.held).toEqual([]);
  });
  test('abort before the replacement is built: nothing to undo, the failed cell stays drained and keeps its permit, an operator is told', async () => {
    const fleet = await createTestFleet(procedures.env);
    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, (p) => p.currentStep === 'drain-at-once');
      await handle.signal(abortSignal, { requestedBy: 'carol@example.com', reason: 'wrong cell' });
      return { ...(await result(handle)), held: await permits() };
    });

    expect(report).toMatchObject({
      outcome: 'aborted',
      cellEndState: 'drained-operator-notified',
      replacement: { replacementInService: false, failedCell: { kind: 'kept', because: 'aborted' }, permitReleased: false },
    });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['acquire-drain-permit:done', 'drain-at-once:failed', 'notify-operator:done']);
    expect(report.recommendations.join('\n')).toContain('still holds the drain permit of cell-003');
    expect(report.held).toEqual(['cell-003 by cell-recovery-cell-003']);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 0 });
    expect(fleet.calls.count({ command: 'CreateStack' })).toBe(0);
    expect(fleet.fleet.hooks().notifications.map((n) => `${n.severity}: ${n.subject}`)).toEqual(['critical: Cell replacement of cell-003 aborted']);
  });
});
