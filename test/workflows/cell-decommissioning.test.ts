/**
 * Cell decommissioning end to end: the real workflow and worker on the simulated fleet, on the
 * dev server with time skipping. The happy path, and each way it stops: a failed backup and a
 * rejected approval stop before anything is destroyed, customers that remain stop before the
 * cell leaves routing, an abort during the drain puts the cell back into service.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CellDecommissioningReport } from '../../domain/procedures/cell-lifecycle';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { abortSignal, drainPermitsQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { APPROVER, awaitingApproval, changeSequence, decide, saveHistoryIfAsked } from './cell-replacement.helpers';
import { cellStates, reportOf, running, skipUntil, startDecommissioning } from './cell-lifecycle.helpers';

jest.setTimeout(300_000);

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const report = (handle: WorkflowHandle) => reportOf<CellDecommissioningReport>(handle);
const permits = async () => (await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery)).map((p) => p.cellId);
/** The cell's monitoring, as provisioning would have left it. */
async function withMonitoring(fleet: TestFleet, cellId: string): Promise<void> {
  const { cloudWatch } = fleet.clients;
  const { PutDashboardCommand, PutMetricAlarmCommand } = await import('@aws-sdk/client-cloudwatch');
  await cloudWatch.send(new PutDashboardCommand({ DashboardName: `cellops-${cellId}`, DashboardBody: '{"widgets":[]}' }));
  await cloudWatch.send(
    new PutMetricAlarmCommand({ AlarmName: `cellops-${cellId}-error-rate`, Namespace: 'Shop/Cells', MetricName: 'ErrorCount', Dimensions: [{ Name: 'CellId', Value: cellId }], Statistic: 'Sum', Period: 60, EvaluationPeriods: 3, Threshold: 10, ComparisonOperator: 'GreaterThanThreshold' }),
  );
}
const destroyed = (fleet: TestFleet) => fleet.calls.list().filter((c) => ['DeleteStack', 'DeleteAlarms', 'DeleteDashboards'].includes(c.command)).length;

describe('cellDecommissioning', () => {
  test('happy path: drained, customers migrated, empty, out of routing, backed up, approved, monitoring and stack deleted', async () => {
    const fleet = await createTestFleet(procedures.env);
    await withMonitoring(fleet, 'cell-003');
    const { result, states, held, atGate } = await withWorkers(fleet, async () => {
      const handle = await startDecommissioning(procedures.env, fleet, 'cell-003');
      const atGate = await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await expect(decide(handle, 'decommission', true)).resolves.toMatchObject({ accepted: true });
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellDecommissioning-happy-path');
      return { result, states: await cellStates(procedures.env), held: await permits(), atGate };
    });

    expect(atGate).toMatchObject({ procedure: 'cellDecommissioning', cellId: 'cell-003', state: 'awaiting-approval' });
    expect(result).toMatchObject({
      workflowId: 'cell-recovery-cell-003',
      outcome: 'completed',
      cellEndState: 'decommissioned',
      customersAffected: 310,
      decommissioning: { cellId: 'cell-003', migratedTo: 'cell-002', migratedCustomers: 310, unrouted: true, outcome: { kind: 'decommissioned', approvedBy: APPROVER } },
    });
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'acquire-drain-permit:done',
      'record-draining:done',
      'drain-traffic:done',
      'migrate-customers:done',
      'validate-empty:done',
      'remove-from-routing:done',
      'back-up-data:done',
      'approve-decommission:done',
      'delete-monitoring:done',
      'delete-stack:done',
      'record-decommissioned:done',
      'release-drain-permit:done',
    ]);
    expect(states).toEqual({ 'cell-003': 'decommissioned' });
    expect(held).toEqual([]);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100 });
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-002': 690, 'cell-003': 0 });
    expect(fleet.fleet.stack('shop-cell-003')).toBeUndefined();
    expect(fleet.fleet.dashboards()).toEqual([]);
    expect(fleet.fleet.alarms().map((a) => a.name)).not.toContain('cellops-cell-003-error-rate');
    // (after the test's own monitoring set-up, the first two changes)
    const changes = changeSequence(fleet.calls.list()).filter((c) => !c.startsWith('reads') && !c.startsWith('hooks:notify')).slice(2);
    expect(changes).toEqual([
      'route53:ChangeResourceRecordSets UPSERT cell-003=75',
      'route53:ChangeResourceRecordSets UPSERT cell-003=50',
      'route53:ChangeResourceRecordSets UPSERT cell-003=25',
      'route53:ChangeResourceRecordSets UPSERT cell-003=0',
      'hooks:migrateCustomers cell-003->cell-002',
      'route53:ChangeResourceRecordSets DELETE cell-003=0',
      'hooks:backupCellData cell-003',
      'cloudwatch:DeleteAlarms ',
      'cloudwatch:DeleteDashboards ',
      'cloudformation:DeleteStack shop-cell-003',
    ]);
  });

  test('backup fails: it stops before anything is destroyed; the cell is kept out of routing with its stack, and an operator told', async () => {
    const fleet = await createTestFleet(procedures.env);
    await withMonitoring(fleet, 'cell-003');
    fleet.fleet.inject({ kind: 'hook-failure', hook: 'backupCellData', type: 'HookRejected', message: 'snapshot quota reached' });
    const { result, failure, held, states } = await withWorkers(fleet, async () => {
      const handle = await startDecommissioning(procedures.env, fleet, 'cell-003');
      const failure: unknown = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellDecommissioning-backup-fails');
      return { result, failure, held: await permits(), states: await cellStates(procedures.env) };
    });

    expect((failure as Error).cause).toMatchObject({ type: 'BackupFailed' });
    expect(result).toMatchObject({ outcome: 'failed', cellEndState: 'drained-operator-notified', decommissioning: { unrouted: true, outcome: { kind: 'kept', because: 'backup-failed' } } });
    expect(result.error).toContain('snapshot quota reached');
    expect(result.steps.map((s) => s.name).slice(-3)).toEqual(['back-up-data', 'record-failed', 'notify-operator']);
    expect(destroyed(fleet)).toBe(0);
    expect(fleet.fleet.stack('shop-cell-003')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.dashboards().map((d) => d.name)).toEqual(['cellops-cell-003']);
    expect(held).toEqual(['cell-003']);
    expect(states).toEqual({ 'cell-003': 'failed' });
    expect(fleet.fleet.hooks().notifications.map((n) => `${n.severity}: ${n.subject}`)).toEqual(['critical: Decommissioning of cell-003 failed']);
  });

  test('approval rejected: nothing destroyed, the report says who refused', async () => {
    const fleet = await createTestFleet(procedures.env);
    const result = await withWorkers(fleet, async () => {
      const handle = await startDecommissioning(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await decide(handle, 'decommission', false, APPROVER, 'still needed for the sale');
      return await report(handle);
    });

    expect(result).toMatchObject({ outcome: 'aborted', cellEndState: 'drained-operator-notified', decommissioning: { outcome: { kind: 'kept', because: 'approval-rejected' } } });
    expect(result.error).toContain(`rejected by ${APPROVER}: still needed for the sale`);
    expect(destroyed(fleet)).toBe(0);
    expect(fleet.fleet.stack('shop-cell-003')?.status).toBe('CREATE_COMPLETE');
  });

  test('customers remain after the migration: it stops before leaving routing', async () => {
    const fleet = await createTestFleet(procedures.env);
    // The registry knows of more customers on cell-003 than the application moved.
    const registry = { ...fleet.registry, cells: fleet.registry.cells.map((c) => (c.id === 'cell-003' ? { ...c, customers: 400 } : c)) };
    const result = await withWorkers(fleet, async () => {
      const handle = await startDecommissioning(procedures.env, fleet, 'cell-003', { registry });
      return await report(handle);
    });

    expect(result).toMatchObject({ outcome: 'failed', decommissioning: { unrouted: false, migratedCustomers: 310, outcome: { kind: 'kept', because: 'customers-remain' } } });
    expect(result.error).toContain('90 of its 400 customers were not migrated');
    expect(fleet.calls.count({ command: 'ChangeResourceRecordSets' })).toBe(4);
    expect(destroyed(fleet)).toBe(0);
  });

  test('aborted while draining: the cell goes back into service, its permit released', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { result, held, states } = await withWorkers(fleet, async () => {
      const handle = await startDecommissioning(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, running('drain-traffic'));
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'wrong cell' });
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellDecommissioning-abort-mid-drain');
      return { result, held: await permits(), states: await cellStates(procedures.env) };
    });

    expect(result).toMatchObject({ outcome: 'aborted', cellEndState: 'in-service', decommissioning: { migratedCustomers: 0, unrouted: false, outcome: { kind: 'kept', because: 'aborted' } } });
    expect(result.steps.map((s) => s.name).slice(-4)).toEqual(['restore-traffic', 'release-drain-permit', 'record-ready', 'notify-operator']);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
    expect(held).toEqual([]);
    expect(states).toEqual({ 'cell-003': 'ready' });
  });
});
