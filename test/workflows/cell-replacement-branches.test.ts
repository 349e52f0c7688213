/**
 * Cell replacement's other branches, on the dev server with time skipping against the
 * simulator: capacity short (emergency cells as child workflows), the replacement stack failing
 * (cleaned up, the failed cell kept drained with an operator notified), and data that cannot be
 * read (customers restored from backup, the data-loss window reported, no decommission without
 * a backup).
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { AlreadyInRecoveryError } from '../../client/start-procedure';
import { ApplicationFailure } from '@temporalio/common';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { createSimulatedHooks } from '../../simulator';
import { drainPermitsQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { awaitingApproval, changeSequence, decide, saveHistoryIfAsked, skipUntil, startReplacement } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

/** The failure a workflow ended with, and the report it carries. */
async function failureOf(handle: WorkflowHandle): Promise<{ failure: ApplicationFailure; report: CellReplacementReport }> {
  const err: unknown = await handle.result().then(
    () => new Error('expected the workflow to fail'),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
  return { failure: err.cause, report: err.cause.details?.[0] as CellReplacementReport };
}

describe('cellReplacement branches', () => {
  test('capacity short: one emergency cell per missing 80% of a cell, built by a child workflow after approval, at a safe weight', async () => {
    // GIVEN 2,000 rps on a fleet whose two remaining cells usefully carry 1,600
    const fleet = await createTestFleet(procedures.env, { requestsPerSecond: 2_000 });
    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-001');
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await decide(handle, 'emergency-capacity', true);
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await decide(handle, 'decommission', true);
      const done = (await handle.result()) as CellReplacementReport;
      await saveHistoryIfAsked(handle, 'cellReplacement-emergency-capacity');
      await saveHistoryIfAsked(procedures.env.client.workflow.getHandle('cell-recovery-cell-001-emergency-cell-1'), 'provisionEmergencyCell-happy-path');
      return done;
    });

    // The measured load is the simulator's 2,000 rps give or take its metric noise.
    expect(Math.abs((report.replacement.capacity?.loadRps ?? 0) - 2000)).toBeLessThan(50);
    expect(report.replacement).toMatchObject({
      capacity: { remainingCapacityRps: 2000, maxUtilizationPercent: 80, emergencyCells: 1 },
      emergencyCells: ['cell-001-e1'],
      failedCell: { kind: 'decommissioned' },
    });
    // The child ran under an id derived from the parent's and the step, and completed.
    const child = await procedures.env.client.workflow.getHandle('cell-recovery-cell-001-emergency-cell-1').describe();
    expect(child).toMatchObject({ type: 'provisionEmergencyCell', status: { name: 'COMPLETED' } });
    expect(fleet.fleet.stack('shop-cell-001-e1')).toMatchObject({ status: 'CREATE_COMPLETE', tags: { 'cellops:cell': 'cell-001-e1', 'cellops:purpose': 'emergency-capacity' } });
    // 2,000 rps over weights 100+100+w: w=100 gives the new cell 667 rps, under its 800.
    expect(fleet.fleet.weights()).toEqual({ 'cell-001-e1': 100, 'cell-001-r': 100, 'cell-002': 100, 'cell-003': 100 });
    const sequence = changeSequence(fleet.calls.list());
    expect(sequence.indexOf('cloudformation:CreateStack shop-cell-001-e1')).toBeLessThan(sequence.indexOf('route53:ChangeResourceRecordSets UPSERT cell-001-e1=100'));
    expect(sequence.indexOf('route53:ChangeResourceRecordSets UPSERT cell-001-e1=100')).toBeLessThan(sequence.indexOf('cloudformation:CreateStack shop-cell-001-r'));
    expect(report.recommendations.join('\n')).toContain('Emergency cells cell-001-e1 serve traffic at weight 100');
  });

  test('capacity short but emergency capacity rejected: no cells added, the report says the fleet runs short', async () => {
    const fleet = await createTestFleet(procedures.env, { requestsPerSecond: 2_000 });
    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await decide(handle, 'emergency-capacity', false, undefined, 'budget freeze');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await decide(handle, 'decommission', true);
      return (await handle.result()) as CellReplacementReport;
    });

    expect(report.replacement).toMatchObject({ emergencyCells: [], capacity: { emergencyCells: 1 }, failedCell: { kind: 'decommissioned' } });
    expect(report.recommendations.join('\n')).toMatch(/without the 1 emergency cell\(s\) \(rejected by bob@example.com: budget freeze\); add capacity or shed load/);
    expect(fleet.calls.count({ command: 'CreateStack' })).toBe(1);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003-r': 100 });
  });

  test('an emergency cell that cannot be built: its stack is deleted again, the procedure fails before building the replacement, the cell stays drained', async () => {
    const fleet = await createTestFleet(procedures.env, { requestsPerSecond: 2_000 });
    fleet.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-002-e1', reason: 'Resource limit exceeded' });
    const { failure, report } = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await decide(handle, 'emergency-capacity', true);
      return await failureOf(handle);
    });

    expect(failure.type).toBe('EmergencyCellFailed');
    expect(failure.message).toContain('emergency cell cell-002-e1 could not be created (its stack shop-cell-002-e1 was deleted again)');
    expect(failure.message).toContain('Resource limit exceeded');
    expect(failure.message).toContain('cell-002 is kept drained, no replacement was built, the drain permit stays held');
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'drained-operator-notified', replacement: { emergencyCells: [], replacementInService: false, permitReleased: false } });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['acquire-drain-permit:done', 'drain-at-once:done', 'check-capacity:done', 'add-emergency-capacity:failed', 'notify-operator:done']);
    expect(fleet.fleet.stacks().find((s) => s.stackName === 'shop-cell-002-e1')?.status).toBe('DELETE_COMPLETE');
    expect(fleet.calls.count({ service: 'cloudformation', command: 'CreateStack' })).toBe(1);
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 0, 'cell-003': 100 });
  });

  test('replacement stack fails: a clear failure, the half-built stack deleted, the failed cell kept drained with its permit and an operator notified', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-002-r', reason: 'Resource handler returned message: "Not enough capacity"' });
    const { failure, report, guard } = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      const failed = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'cellReplacement-replacement-stack-fails');
      return { ...failed, guard: await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery) };
    });

    expect(failure.type).toBe('StackOperationFailed');
    expect(failure.message).toContain('shop-cell-002-r');
    expect(failure.message).toContain('Not enough capacity');
    expect(failure.message).toContain('cell-002 is kept drained, no replacement is in service (cell-002-r was removed), the drain permit stays held');
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'drained-operator-notified', replacement: { replacementInService: false, failedCell: { kind: 'kept', because: 'failed' }, permitReleased: false } });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'acquire-drain-permit:done',
      'drain-at-once:done',
      'check-capacity:done',
      'provision-replacement:failed',
      'delete-replacement-stack:done',
      'notify-operator:done',
    ]);
    expect(fleet.fleet.stack('shop-cell-002-r')).toBeUndefined();
    expect(fleet.fleet.stacks().find((s) => s.stackName === 'shop-cell-002-r')?.status).toBe('DELETE_COMPLETE');
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 0, 'cell-003': 100 });
    expect(fleet.fleet.stack('shop-cell-002')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.hooks().notifications.map((n) => `${n.severity}: ${n.subject}`)).toEqual(['critical: Cell replacement of cell-002 failed']);
    expect(guard.map((p) => [p.cellId, p.holder])).toEqual([['cell-002', 'cell-recovery-cell-002']]);
  });

  test('the fleet guard refuses a second cell out while one is being replaced; a second alarm for the same cell starts nothing', async () => {
    const fleet = await createTestFleet(procedures.env);
    const outcome = await withWorkers(fleet, async () => {
      // GIVEN cell-001 being replaced, waiting at its approval gate with the only permit
      const first = await startReplacement(procedures.env, fleet, 'cell-001');
      await skipUntil(procedures.env, first, awaitingApproval('decommission'));
      // WHEN another alarm asks for cell-001 again, and one asks for cell-003
      const again = await startReplacement(procedures.env, fleet, 'cell-001').catch((err: unknown) => err);
      const refused = await failureOf(await startReplacement(procedures.env, fleet, 'cell-003'));
      await decide(first, 'decommission', false);
      await first.result();
      return { again, refused };
    });

    // THEN the same cell is already in recovery
    expect(outcome.again).toBeInstanceOf(AlreadyInRecoveryError);
    expect((outcome.again as AlreadyInRecoveryError).workflowId).toBe('cell-recovery-cell-001');
    // AND cell-003 was refused before anything was touched
    expect(outcome.refused.failure.type).toBe('DrainPermitRefused');
    expect(outcome.refused.failure.message).toContain('1 of at most 1 cells already out (cell-001)');
    expect(outcome.refused.report).toMatchObject({ outcome: 'failed', cellEndState: 'in-service', customersAffected: 0, replacement: { replacementInService: false } });
    expect(outcome.refused.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['acquire-drain-permit:failed', 'notify-operator:done']);
    expect(fleet.fleet.weights()).toMatchObject({ 'cell-003': 100 });
    expect(fleet.fleet.stack('shop-cell-003-r')).toBeUndefined();
  });

  test('data not accessible: customers restored from the last backup, the data-loss window reported; without a fresh backup the cell is not decommissioned', async () => {
    // GIVEN last night's backup of cell-003, then its data store failing
    const fleet = await createTestFleet(procedures.env);
    const backup = await createSimulatedHooks(fleet.fleet).backupCellData({ requestToken: 'nightly-backup', cellId: 'cell-003' });
    await procedures.env.sleep(3 * 3_600_000);
    fleet.fleet.inject({ kind: 'data-inaccessible', cellId: 'cell-003', reason: 'primary and replica volumes lost' });

    const report = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await decide(handle, 'decommission', true);
      const done = (await handle.result()) as CellReplacementReport;
      await saveHistoryIfAsked(handle, 'cellReplacement-restore-from-backup');
      return done;
    });

    expect(report.replacement.customers).toMatchObject({ kind: 'restored-from-backup', customers: 310, backupId: backup.backupId, reason: 'primary and replica volumes lost' });
    expect(report.dataLossWindow?.from).toBe(backup.takenAt);
    expect(report.dataLossWindow?.durationMs).toBeGreaterThanOrEqual(3 * 3_600_000);
    expect(report.recommendations.join('\n')).toContain(`Reconcile writes lost between ${backup.takenAt}`);
    expect(report.replacement.failedCell).toMatchObject({ kind: 'kept', because: 'backup-failed' });
    expect(report.cellEndState).toBe('drained-operator-notified');
    expect(fleet.fleet.stack('shop-cell-003')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.customers()).toMatchObject({ 'cell-003-r': 310 });
    expect(fleet.calls.count({ service: 'hooks', command: 'migrateCustomers' })).toBe(0);
    expect(changeSequence(fleet.calls.list())).toContain('hooks:restoreCustomersFromBackup cell-003->cell-003-r');
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject)).toContain('cell-003 not decommissioned: no backup');
  });
});
