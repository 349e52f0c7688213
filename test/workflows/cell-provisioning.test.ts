/**
 * Cell provisioning end to end: the real workflow and worker on the simulated fleet, on the dev
 * server with time skipping. The happy path, and each way it is rolled back (stack creation
 * fails, health never validates, ramp-up trips an alarm, an abort mid-way): whatever was created
 * is removed again, in reverse order.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CellProvisioningReport } from '../../domain/procedures/cell-lifecycle';
import { abortSignal } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { changeSequence, saveHistoryIfAsked } from './cell-replacement.helpers';
import { cellStates, reportOf, running, skipUntil, startProvisioning } from './cell-lifecycle.helpers';

jest.setTimeout(300_000);

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const report = (handle: WorkflowHandle) => reportOf<CellProvisioningReport>(handle);
const ALARMS = ['cellops-cell-004-availability', 'cellops-cell-004-error-rate', 'cellops-cell-004-latency-p99', 'cellops-cell-004-utilization'];
const alarmNames = (names: { name: string }[]) => names.map((a) => a.name).filter((n) => n.startsWith('cellops-cell-004')).sort();

describe('cellProvisioning', () => {
  test('happy path: stack, monitoring, weight 0, validated, ramped up while watched, marked ready', async () => {
    const fleet = await createTestFleet(procedures.env);
    const { result, states, listed } = await withWorkers(fleet, async () => {
      const handle = await startProvisioning(procedures.env, fleet);
      await skipUntil(procedures.env, handle, running('validate-health'));
      const listed: string[] = [];
      for await (const w of procedures.env.client.workflow.list({ query: 'CellId = "cell-004" AND Procedure = "cellProvisioning" AND Step = "validate-health"' })) listed.push(w.workflowId);
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellProvisioning-happy-path');
      return { result, states: await cellStates(procedures.env), listed };
    });

    expect(listed).toEqual(['cell-recovery-cell-004']);
    expect(result).toMatchObject({
      procedure: 'cellProvisioning',
      cellId: 'cell-004',
      workflowId: 'cell-recovery-cell-004',
      outcome: 'completed',
      cellEndState: 'in-service',
      provisioning: { cellId: 'cell-004', stackName: 'shop-cell-004', ready: true, weight: 100, alarms: ['cellops-cell-004-error-rate', 'cellops-cell-004-latency-p99', 'cellops-cell-004-availability', 'cellops-cell-004-utilization'], dashboard: 'cellops-cell-004', rolledBack: [] },
    });
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'record-provisioning:done',
      'create-stack:done',
      'set-up-monitoring:done',
      'register-in-routing:done',
      'validate-health:done',
      'ramp-up:done',
      'mark-ready:done',
    ]);
    expect(states).toEqual({ 'cell-004': 'ready' });
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100, 'cell-004': 100 });
    expect(fleet.fleet.stack('shop-cell-004')).toMatchObject({ status: 'CREATE_COMPLETE', tags: { 'cellops:cell': 'cell-004' } });
    expect(alarmNames(fleet.fleet.alarms())).toEqual(ALARMS);
    expect(fleet.fleet.dashboards().map((d) => d.name)).toEqual(['cellops-cell-004']);
    expect(changeSequence(fleet.calls.list()).filter((c) => !c.startsWith('reads'))).toEqual([
      'cloudformation:CreateStack shop-cell-004',
      'cloudwatch:PutMetricAlarm cellops-cell-004-error-rate',
      'cloudwatch:PutMetricAlarm cellops-cell-004-latency-p99',
      'cloudwatch:PutMetricAlarm cellops-cell-004-availability',
      'cloudwatch:PutMetricAlarm cellops-cell-004-utilization',
      'cloudwatch:PutDashboard ',
      'route53:ChangeResourceRecordSets UPSERT cell-004=0',
      'route53:ChangeResourceRecordSets UPSERT cell-004=25',
      'route53:ChangeResourceRecordSets UPSERT cell-004=50',
      'route53:ChangeResourceRecordSets UPSERT cell-004=75',
      'route53:ChangeResourceRecordSets UPSERT cell-004=100',
    ]);
  });

  test('stack creation fails: the half-built stack is deleted, nothing else was created, the failure is clear', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-004', reason: 'Resource handler returned message: "Not enough capacity"' });
    const { result, failure, states } = await withWorkers(fleet, async () => {
      const handle = await startProvisioning(procedures.env, fleet);
      const failure: unknown = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellProvisioning-stack-fails');
      return { result, failure, states: await cellStates(procedures.env) };
    });

    expect(String((failure as Error).cause)).toContain('Not enough capacity');
    expect(result).toMatchObject({ outcome: 'failed', cellEndState: 'decommissioned', provisioning: { ready: false, rolledBack: ['stack'], alarms: [] } });
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['record-provisioning:done', 'create-stack:failed', 'delete-stack:done', 'record-failed:done', 'notify-operator:done']);
    expect(fleet.fleet.stacks().find((s) => s.stackName === 'shop-cell-004')?.status).toBe('DELETE_COMPLETE');
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
    expect(fleet.calls.count({ command: 'PutMetricAlarm' })).toBe(0);
    expect(states).toEqual({ 'cell-004': 'failed' });
    expect(fleet.fleet.hooks().notifications.map((n) => `${n.severity}: ${n.subject}`)).toEqual(['warning: Provisioning of cell-004 failed']);
  });

  test('health never validates: record, monitoring and stack removed in reverse order', async () => {
    const fleet = await createTestFleet(procedures.env);
    const result = await withWorkers(fleet, async () => {
      const handle = await startProvisioning(procedures.env, fleet);
      await skipUntil(procedures.env, handle, running('validate-health'));
      fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-004' });
      return await report(handle);
    });

    expect(result).toMatchObject({ outcome: 'failed', cellEndState: 'decommissioned', provisioning: { ready: false, rolledBack: ['record', 'monitoring', 'stack'], alarms: [] } });
    expect(result.error).toContain('cell-004 is unhealthy');
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'record-provisioning:done',
      'create-stack:done',
      'set-up-monitoring:done',
      'register-in-routing:done',
      'validate-health:failed',
      'remove-record:done',
      'remove-monitoring:done',
      'delete-stack:done',
      'record-failed:done',
      'notify-operator:done',
    ]);
    expect(changeSequence(fleet.calls.list()).filter((c) => !c.startsWith('reads')).slice(-5)).toEqual([
      'route53:ChangeResourceRecordSets DELETE cell-004=0',
      'cloudwatch:DeleteAlarms ',
      'cloudwatch:DeleteDashboards ',
      'cloudformation:DeleteStack shop-cell-004',
      'hooks:notify warning',
    ]);
    expect(alarmNames(fleet.fleet.alarms())).toEqual([]);
    expect(fleet.fleet.dashboards()).toEqual([]);
    expect(fleet.fleet.stacks().find((s) => s.stackName === 'shop-cell-004')?.status).toBe('DELETE_COMPLETE');
  });

  test('ramp-up trips an alarm: the weight is taken off, then everything is removed', async () => {
    const fleet = await createTestFleet(procedures.env);
    const result = await withWorkers(fleet, async () => {
      const handle = await startProvisioning(procedures.env, fleet);
      await skipUntil(procedures.env, handle, running('ramp-up'));
      fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-004' });
      return await report(handle);
    });

    expect(result).toMatchObject({ outcome: 'failed', provisioning: { ready: false, weight: 0, rolledBack: ['record', 'monitoring', 'stack'] } });
    expect(result.error).toContain('fell ill at weight 25 while ramping up');
    expect(result.steps.map((s) => s.name).slice(5)).toEqual(['ramp-up', 'take-weight-off', 'remove-record', 'remove-monitoring', 'delete-stack', 'record-failed', 'notify-operator']);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
  });

  test('aborted mid-way: rolled back the same way, the report says aborted', async () => {
    const fleet = await createTestFleet(procedures.env);
    const result = await withWorkers(fleet, async () => {
      const handle = await startProvisioning(procedures.env, fleet);
      await skipUntil(procedures.env, handle, running('validate-health'));
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'wrong region' });
      const result = await report(handle);
      await saveHistoryIfAsked(handle, 'cellProvisioning-abort');
      return result;
    });

    expect(result).toMatchObject({ outcome: 'aborted', cellEndState: 'decommissioned', provisioning: { ready: false, rolledBack: ['record', 'monitoring', 'stack'] } });
    expect(result.error).toContain('aborted by bob@example.com: wrong region');
    expect(fleet.fleet.stacks().find((s) => s.stackName === 'shop-cell-004')?.status).toBe('DELETE_COMPLETE');
  });
});
