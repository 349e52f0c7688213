/**
 * The data layer the CLI and the console share, against the dev server (time skipping) with a
 * cell replacement running on the simulated fleet: start, list, the procedure view at its
 * approval gate, refusals, approval, the report, signals, the fleet view and the history.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import {
  abort,
  ActionRefusedError,
  approve,
  createAwsFleetReader,
  exportHistory,
  getFleetView,
  getProcedure,
  InvalidInputError,
  listProcedures,
  pause,
  ProcedureNotFoundError,
  reject,
  resume,
  startFromCatalog,
} from '../../client/data';
import { createFleetGuardActivities } from '../../activities/fleet-guard';
import { renderFleet } from '../../client/cli/render/tables';
import { colors } from '../../client/cli/style';
import { UnknownProcedureError } from '../../domain/procedures/catalog';
import { progressQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { awaitingApproval, skipUntil } from '../workflows/cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
const WEB_UI = 'http://localhost:8233';

describe('client/data against a running cell replacement', () => {
  test('start, list, view at the gate, four-eyes refusal, approval, report, fleet view, history', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });

    await procedures.withWorkers(fleet, async () => {
      // Start through the catalog: the business-key id and a Web UI link.
      const started = await startFromCatalog(env.client, { procedure: 'cellReplacement', cellId: 'cell-002', reason: 'cell-002 failing', by: 'alice@example.com', registry: fleet.registry, webUiUrl: WEB_UI });
      expect(started).toMatchObject({ workflowId: 'cell-recovery-cell-002', procedure: 'cellReplacement', namespace: 'default' });
      expect(started.webUiUrl).toBe(`${WEB_UI}/namespaces/default/workflows/cell-recovery-cell-002/${started.runId}/history`);

      const handle = env.client.workflow.getHandle(started.workflowId);
      await skipUntil(env, handle, awaitingApproval('decommission'));

      // The list finds it through the search attributes, filtered.
      const listed = await listProcedures(env.client, { cellId: 'cell-002', procedure: 'cellReplacement', status: 'running', step: 'approve-decommission' });
      expect(listed.query).toBe('CellId = "cell-002" AND Procedure = "cellReplacement" AND ExecutionStatus = "Running" AND Step = "approve-decommission"');
      expect(listed.rows).toEqual([expect.objectContaining({ workflowId: 'cell-recovery-cell-002', cellId: 'cell-002', procedure: 'cellReplacement', step: 'approve-decommission', status: 'RUNNING' })]);
      expect((await listProcedures(env.client, { cellId: 'cell-003' })).rows).toEqual([]);

      // The view: steps done with durations, the current one, the pending approval.
      const atGate = await getProcedure(env.client, started.workflowId);
      expect(atGate).toMatchObject({ status: 'RUNNING', state: 'awaiting-approval', procedure: 'cellReplacement', cellId: 'cell-002', requestedBy: 'alice@example.com', currentStep: 'approve-decommission' });
      expect(atGate.pendingApproval).toMatchObject({ step: 'decommission', onTimeout: 'abort', approvalsNeeded: 1, approvers: [] });
      const done = atGate.steps.filter((s) => s.status === 'done');
      expect(done.map((s) => s.name)).toEqual(['acquire-drain-permit', 'drain-at-once', 'check-capacity', 'provision-replacement', 'register-replacement', 'move-customers', 'reroute-traffic', 'validate-replacement', 'put-post-recovery-alarms']);
      for (const step of done) expect(step.durationMs).toBe(Date.parse(step.endedAt ?? '') - Date.parse(step.startedAt));
      expect(atGate.steps.filter((s) => s.current).map((s) => s.name)).toEqual(['approve-decommission']);

      // The fleet view: live weights from the fleet's Route 53, the procedure on cell-002.
      const view = await getFleetView(env.client, { registry: fleet.registry, reader: createAwsFleetReader(fleet.clients, 'the simulated fleet') });
      expect(view.problems).toEqual([]);
      expect(view.cells.map((c) => [c.cellId, c.liveWeight, c.procedure?.workflowId])).toEqual([
        ['cell-001', 100, undefined],
        ['cell-002', 0, 'cell-recovery-cell-002'],
        ['cell-003', 100, undefined],
      ]);
      expect(view.cells[1].procedure).toMatchObject({ procedure: 'cellReplacement', step: 'approve-decommission' });
      expect(view.cells[0]).toMatchObject({ health: 'healthy', alarms: [{ name: 'cell-001-HighErrorRate', state: 'OK' }, { name: 'cell-001-HighLatency', state: 'OK' }] });

      // Refusals say why, and change nothing.
      const fourEyes = approve(env.client, started.workflowId, { by: 'alice@example.com', reason: 'looks fine' });
      await expect(fourEyes).rejects.toThrow(ActionRefusedError);
      await expect(fourEyes).rejects.toThrow(/four-eyes policy: alice@example.com requested this procedure and cannot approve it/);
      await expect(approve(env.client, started.workflowId, { by: 'bob@example.com', reason: 'ok', step: 'emergency-capacity' })).rejects.toThrow('the pending approval is for step decommission, not emergency-capacity');
      await expect(approve(env.client, started.workflowId, { by: 'bob@example.com', reason: '  ' })).rejects.toThrow(InvalidInputError);
      expect((await handle.query(progressQuery)).pendingApproval?.step).toBe('decommission');

      // An approval by another operator opens the gate; the procedure completes with its report.
      const approved = await approve(env.client, started.workflowId, { by: 'bob@example.com', reason: 'replacement checked' });
      expect(approved).toMatchObject({ workflowId: 'cell-recovery-cell-002', step: 'decommission', approved: true, outcome: { accepted: true } });
      await handle.result();
      const closed = await getProcedure(env.client, started.workflowId);
      expect(closed).toMatchObject({ status: 'COMPLETED', state: 'completed', report: { outcome: 'completed', cellEndState: 'decommissioned' } });
      expect(closed.steps.map((s) => s.name)).toContain('decommission-failed-cell');
      expect(closed).not.toHaveProperty('trafficUnavailable');
      // Its traffic samples come from its last progress, which a worker answers by replaying it.
      const withTraffic = await getProcedure(env.client, started.workflowId, { endedTraffic: true });
      expect(withTraffic.trafficUnavailable).toBeUndefined();
      expect(withTraffic.traffic.map((s) => s.weight)).toContain(0);
      await expect(approve(env.client, started.workflowId, { by: 'carol@example.com', reason: 'late' })).rejects.toThrow('approval refused by cell-recovery-cell-002: it is not running (completed)');

      // The history loads as a replay test loads one.
      const history = await exportHistory(env.client, started.workflowId);
      const file = path.join(__dirname, '../histories/cellReplacement-happy-path.json');
      expect(Object.keys(JSON.parse(history.json) as object)).toEqual(Object.keys(JSON.parse(await readFile(file, 'utf8')) as object));
      await Worker.runReplayHistory({ workflowBundle: procedures.bundle }, JSON.parse(history.json));
    });

    // With no worker to answer, the ended view still has its report and says why it has no traffic.
    const unanswered = await getProcedure(env.client, 'cell-recovery-cell-002', { endedTraffic: true, queryTimeoutMs: 300 });
    expect(unanswered).toMatchObject({ status: 'COMPLETED', report: { outcome: 'completed' }, traffic: [] });
    expect(unanswered.trafficUnavailable).toMatch(/^its last progress was not answered \(.+\)$/);
  }, 120_000);

  test('pause, resume and abort reach the procedure; its view says so', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    await procedures.withWorkers(fleet, async () => {
      const started = await startFromCatalog(env.client, { procedure: 'cellRestart', cellId: 'cell-003', reason: 'drill', by: 'alice@example.com', registry: fleet.registry, webUiUrl: WEB_UI });
      const handle = env.client.workflow.getHandle(started.workflowId);
      await expect(pause(env.client, started.workflowId, { by: 'bob@example.com' })).resolves.toMatchObject({ action: 'pause', by: 'bob@example.com', reason: 'paused by bob@example.com' });
      await skipUntil(env, handle, (p) => p.state === 'paused', 5);
      await expect(reject(env.client, started.workflowId, { by: 'bob@example.com', reason: 'no' })).rejects.toThrow(/no approval is pending \(state paused/);
      await resume(env.client, started.workflowId, { by: 'bob@example.com' });
      await skipUntil(env, handle, (p) => p.state === 'running', 5);
      await abort(env.client, started.workflowId, { by: 'bob@example.com', reason: 'drill over' });
      await handle.result();
      const view = await getProcedure(env.client, started.workflowId);
      expect(view).toMatchObject({ status: 'COMPLETED', state: 'aborted', report: { outcome: 'aborted', cellEndState: 'in-service' } });
      expect(view.lastError).toContain('aborted by bob@example.com: drill over');
    });
  }, 120_000);

  test('no such workflow, unknown procedure and bad filters are errors a person can act on', async () => {
    const { env } = procedures;
    await expect(getProcedure(env.client, 'cell-recovery-nope')).rejects.toThrow(ProcedureNotFoundError);
    await expect(getProcedure(env.client, 'cell-recovery-nope')).rejects.toThrow('no procedure cell-recovery-nope in namespace default');
    await expect(abort(env.client, 'cell-recovery-nope', { by: 'bob', reason: 'x' })).rejects.toThrow(ProcedureNotFoundError);
    await expect(exportHistory(env.client, 'cell-recovery-nope')).rejects.toThrow(ProcedureNotFoundError);
    const fleet = await createTestFleet(env);
    await expect(startFromCatalog(env.client, { procedure: 'cellTeleport', cellId: 'cell-001', reason: 'x', by: 'bob', registry: fleet.registry, webUiUrl: WEB_UI })).rejects.toThrow(UnknownProcedureError);
    await expect(listProcedures(env.client, { cellId: 'cell-001" OR CellId != "' })).rejects.toThrow(InvalidInputError);
    await expect(listProcedures(env.client, { status: 'sleeping' })).rejects.toThrow('status "sleeping": expected one of Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut');
  });

  test('the fleet view shows each cell\'s lifecycle state from the fleet guard, and a cell provisioned since the registry file was written', async () => {
    const { env } = procedures;
    const fleet = await createTestFleet(env);
    const cell003 = fleet.registry.cells.find((c) => c.id === 'cell-003');
    if (!cell003) throw new Error('the test fleet has no cell-003');
    const cell004 = { ...cell003, id: 'cell-004', alarms: [], route53: { ...cell003.route53, setIdentifier: 'cell-004' } };
    const view = await procedures.withWorkers(fleet, async () => {
      const guard = createFleetGuardActivities({ client: env.client });
      await guard.recordCellState({ requestToken: 't-1', record: { cellId: 'cell-003', state: 'draining', by: 'cell-recovery-cell-003', since: '2026-01-01T00:00:00.000Z' } });
      await guard.recordCellState({ requestToken: 't-2', record: { cellId: 'cell-004', state: 'provisioning', by: 'cell-recovery-cell-004', since: '2026-01-01T00:01:00.000Z', cell: cell004 } });
      return await getFleetView(env.client, { registry: fleet.registry, reader: createAwsFleetReader(fleet.clients, 'the simulated fleet') });
    });
    expect(view.problems).toEqual([]);
    expect(view.cells.map((c) => [c.cellId, c.inRegistry, c.lifecycle?.state, c.liveWeight])).toEqual([
      ['cell-001', true, undefined, 100],
      ['cell-002', true, undefined, 100],
      ['cell-003', true, 'draining', 100],
      ['cell-004', false, 'provisioning', null],
    ]);
    const text = renderFleet(view, colors(false), false);
    expect(text).toMatch(/cell-003\s*│[^\n]*\n│ draining/);
    expect(text).toContain('cell-004 (not in the registry)');
  });
});
