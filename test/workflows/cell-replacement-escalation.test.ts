/**
 * A cell restart that fails once the services are touched hands the cell over to cell
 * replacement: continue-as-new under the same workflow id, so "one recovery per cell" and the
 * drain permit carry over, and the replacement finds the cell drained already.
 */
import { startProcedure } from '../../client/start-procedure';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { drainPermitsQuery } from '../../workflows/messages';
import { createFleetWorkers, createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { awaitingApproval, decide, skipUntil } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();

test('a restart whose stack update fails continues as cellReplacement under the same id, which replaces the cell', async () => {
  // GIVEN cell-002 whose restart (a stack update) will fail and roll back
  const fleet = await createTestFleet(procedures.env);
  fleet.fleet.inject({ kind: 'failing-stack-update', cellId: 'cell-002', reason: 'CellService failed to stabilize' });
  const workers = await createFleetWorkers(procedures.env, fleet, { bundle: procedures.bundle });

  const { report, firstRun, lastRun, held } = await workers.runUntil(async () => {
    // WHEN a restart is started, fails, and the replacement it hands over to is approved
    const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
    const firstRun = (await handle.describe()).runId;
    const latest = procedures.env.client.workflow.getHandle(handle.workflowId);
    await skipUntil(procedures.env, latest, awaitingApproval('decommission'), 90);
    const held = await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery);
    await decide(latest, 'decommission', true);
    const report = (await handle.result()) as CellReplacementReport;
    return { report, firstRun, lastRun: await latest.describe(), held };
  });

  // THEN the same workflow id runs on as cellReplacement (a new run of the chain)
  expect(lastRun).toMatchObject({ workflowId: 'cell-recovery-cell-002', type: 'cellReplacement', status: { name: 'COMPLETED' } });
  expect(lastRun.runId).not.toBe(firstRun);
  // AND the permit it took over was the restart's: one permit, held by the same id, never refused
  expect(held.map((p) => [p.cellId, p.holder])).toEqual([['cell-002', 'cell-recovery-cell-002']]);
  // AND the replacement says where it came from, and did what it does
  expect(report).toMatchObject({ procedure: 'cellReplacement', outcome: 'completed', cellEndState: 'decommissioned', replacement: { replacementCellId: 'cell-002-r', failedCell: { kind: 'decommissioned' } } });
  expect(report.reason).toContain('cell restart failed at');
  expect(report.timeline.map((e) => e.event)).toContainEqual(expect.stringMatching(/^handed over by cellRestart \(.+ failed: .+\)$/));
  // The cell was drained by the restart: the replacement's drain changed nothing.
  const cell002Weights = fleet.calls
    .list({ command: 'ChangeResourceRecordSets' })
    .flatMap((c) => (c.input as { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: { SetIdentifier: string; Weight: number } }[] } }).ChangeBatch.Changes)
    .filter((ch) => ch.ResourceRecordSet.SetIdentifier === 'cell-002')
    .map((ch) => `${ch.Action} ${ch.ResourceRecordSet.Weight}`);
  expect(cell002Weights).toEqual(['UPSERT 75', 'UPSERT 50', 'UPSERT 25', 'UPSERT 0', 'DELETE 0']);
  expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002-r': 100, 'cell-003': 100 });
  expect(fleet.fleet.stack('shop-cell-002')).toBeUndefined();
});
