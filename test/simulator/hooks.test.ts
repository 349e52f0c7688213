import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { HookErrorType } from '../../activities/hooks';
import { createSimulatedHooks } from '../../simulator';
import { cellRecord, errorOf, simulate, ZONE } from './helpers';

const failureOf = async (promise: Promise<unknown>): Promise<ApplicationFailure> => {
  const err = await errorOf(promise);
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${err.name}`);
  return err;
};

describe('simulated hooks', () => {
  test('migrateCustomers moves every customer once; a repeat with the same token returns the first result without acting', async () => {
    const { fleet, calls } = simulate();
    const hooks = createSimulatedHooks(fleet);
    const first = await hooks.migrateCustomers({ requestToken: 'wf-1/migrate', fromCellId: 'cell-001', toCellId: 'cell-002' });
    const again = await hooks.migrateCustomers({ requestToken: 'wf-1/migrate', fromCellId: 'cell-001', toCellId: 'cell-002' });
    expect(first).toEqual({ migratedCustomers: 420 });
    expect(again).toEqual(first);
    expect(fleet.customers()).toEqual({ 'cell-001': 0, 'cell-002': 800, 'cell-003': 310 });
    expect(fleet.hooks().migrations).toHaveLength(1);
    expect(calls.list({ service: 'hooks' }).map((c) => c.replayed ?? false)).toEqual([false, true]);
    // A new token acts again (here: nothing left to move).
    expect(await hooks.migrateCustomers({ requestToken: 'wf-2/migrate', fromCellId: 'cell-001', toCellId: 'cell-002' })).toEqual({ migratedCustomers: 0 });
  });

  test('a backup records its time; a restore from it returns the data-loss window and moves the customers', async () => {
    const { fleet, clock } = simulate();
    const hooks = createSimulatedHooks(fleet);
    const backup = await hooks.backupCellData({ requestToken: 'wf/backup', cellId: 'cell-003' });
    expect(backup.takenAt).toBe(new Date(clock.now()).toISOString());
    clock.advance(90_000);
    const restored = await hooks.restoreCustomersFromBackup({ requestToken: 'wf/restore', fromCellId: 'cell-003', toCellId: 'cell-001' });
    expect(restored).toEqual({ restoredCustomers: 310, backupId: backup.backupId, backupTakenAt: backup.takenAt });
    expect(fleet.hooks().restores[0]).toMatchObject({ dataLossMs: 90_000, fromCellId: 'cell-003', toCellId: 'cell-001' });
    expect(fleet.customers()).toMatchObject({ 'cell-001': 730, 'cell-003': 0 });
  });

  test('data-inaccessible: the check says so with the reason, and backups and migrations from the cell are rejected', async () => {
    const { fleet } = simulate();
    const hooks = createSimulatedHooks(fleet);
    fleet.inject({ kind: 'data-inaccessible', cellId: 'cell-002', reason: 'primary database unreachable' });
    expect(await hooks.checkDataAccessible({ requestToken: 't1', cellId: 'cell-002' })).toEqual({ accessible: false, reason: 'primary database unreachable' });
    expect(await hooks.checkDataAccessible({ requestToken: 't2', cellId: 'cell-001' })).toEqual({ accessible: true });
    const backup = await failureOf(hooks.backupCellData({ requestToken: 't3', cellId: 'cell-002' }));
    expect([backup.type, backup.nonRetryable]).toEqual([HookErrorType.HookRejected, true]);
    const migrate = await failureOf(hooks.migrateCustomers({ requestToken: 't4', fromCellId: 'cell-002', toCellId: 'cell-001' }));
    expect(migrate.message).toMatch(/primary database unreachable/);
    expect(fleet.customers()['cell-002']).toBe(380);
  });

  test('integrity validation passes, or reports the injected problems', async () => {
    const { fleet } = simulate();
    const hooks = createSimulatedHooks(fleet);
    expect(await hooks.validateDataIntegrity({ requestToken: 'v1', cellId: 'cell-001' })).toEqual({ ok: true, checkedCustomers: 420, problems: [] });
    fleet.inject({ kind: 'integrity-failure', cellId: 'cell-001', problems: ['12 orders without customer'] });
    expect(await hooks.validateDataIntegrity({ requestToken: 'v2', cellId: 'cell-001' })).toEqual({ ok: false, checkedCustomers: 420, problems: ['12 orders without customer'] });
  });

  test('load shedding lowers what the cells serve; an open circuit breaker takes a cell out of the traffic', async () => {
    const { fleet } = simulate({ requestsPerSecond: 1_500 });
    const hooks = createSimulatedHooks(fleet);
    expect(await hooks.shedLoad({ requestToken: 's1', percent: 20 })).toEqual({ sheddingPercent: 20 });
    expect(fleet.cell('cell-001').requestsPerSecond).toBe(400);
    await hooks.setCircuitBreakers({ requestToken: 'b1', cellIds: ['cell-003'], state: 'open' });
    expect(fleet.cells().map((c) => [c.id, c.circuitBreaker, c.observedSharePercent])).toEqual([
      ['cell-001', 'closed', 50],
      ['cell-002', 'closed', 50],
      ['cell-003', 'open', 0],
    ]);
    expect(fleet.hooks()).toMatchObject({ sheddingPercent: 20, openCircuitBreakers: ['cell-003'] });
  });

  test('migration onto a cell that is not serving yet is HookUnavailable (retryable)', async () => {
    const { fleet, clients, clock } = simulate({ timing: { stackCreateMs: 60_000 } });
    const hooks = createSimulatedHooks(fleet);
    await clients.cloudFormation.send(new CreateStackCommand({ StackName: 'shop-cell-004', TemplateURL: 'https://example.com/cell.yaml' }));
    await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-004', 0) }] },
      }),
    );
    const early = await failureOf(hooks.migrateCustomers({ requestToken: 'm1', fromCellId: 'cell-001', toCellId: 'cell-004' }));
    expect([early.type, early.nonRetryable]).toEqual([HookErrorType.HookUnavailable, false]);
    clock.advance(60_000);
    // A failed call is not remembered: the retry with the same token acts.
    expect(await hooks.migrateCustomers({ requestToken: 'm1', fromCellId: 'cell-001', toCellId: 'cell-004' })).toEqual({ migratedCustomers: 420 });
  });

  test('a hook-failure fault fails the next calls before they act; notifications are kept', async () => {
    const { fleet, calls } = simulate();
    const hooks = createSimulatedHooks(fleet);
    fleet.inject({ kind: 'hook-failure', hook: 'notify', count: 1 });
    const input = { requestToken: 'n1', severity: 'critical' as const, subject: 'cell-002 drained', message: 'waiting for approval', workflowId: 'restart-cell-002' };
    const failure = await failureOf(hooks.notify(input));
    expect(failure.type).toBe(HookErrorType.HookUnavailable);
    expect(fleet.hooks().notifications).toEqual([]);
    expect(await hooks.notify(input)).toEqual({ delivered: true });
    expect(fleet.hooks().notifications).toMatchObject([{ severity: 'critical', subject: 'cell-002 drained', workflowId: 'restart-cell-002' }]);
    expect(calls.list({ service: 'hooks' }).map((c) => c.outcome)).toEqual(['HookUnavailable', 'ok']);
  });

  test('unknown cells and bad input are HookRejected', async () => {
    const { fleet } = simulate();
    const hooks = createSimulatedHooks(fleet);
    expect((await failureOf(hooks.checkDataAccessible({ requestToken: 'x', cellId: 'cell-999' }))).type).toBe(HookErrorType.HookRejected);
    expect((await failureOf(hooks.shedLoad({ requestToken: 'y', percent: 120 }))).type).toBe(HookErrorType.HookRejected);
    expect((await failureOf(hooks.restoreCustomersFromBackup({ requestToken: 'z', fromCellId: 'cell-001', toCellId: 'cell-002' }))).message).toMatch(/no backup of cell-001/);
  });
});
