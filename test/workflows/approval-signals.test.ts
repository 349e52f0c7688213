/**
 * Approvals by the `approval` signal (what the Temporal Web UI's "Send Signal" and `temporal
 * workflow signal` send) next to the `approve` update, on the dev server with time skipping
 * against the simulated fleet: each gate of cell restart and cell replacement opened by signal;
 * decisions that do not apply recorded (with the reason), notified, and changing nothing; the
 * first decision on a gate winning over a later one; `minApprovers`.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { startProcedure } from '../../client/start-procedure';
import type { ApprovalDecision } from '../../domain/procedures/messages-types';
import type { DecisionRecord, ProcedureProgress } from '../../domain/procedures/progress';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { CellReplacementReport } from '../../domain/procedures/replacement';
import type { Registry } from '../../domain/registry';
import { approvalSignal, progressQuery } from '../../workflows/messages';
import { MAX_TRAFFIC_SAMPLES } from '../../workflows/lib/procedure-run';
import { createTestFleet, exampleRegistry, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { APPROVER, awaitingApproval, decide, saveHistoryIfAsked, skipUntil, startReplacement } from './cell-replacement.helpers';

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;
jest.setTimeout(300_000);

const REQUESTER = 'alice@example.com';
const CAROL = 'carol@example.com';

/** The example registry with its approval policy changed. */
function registryWith(approvals: Partial<Registry['policies']['approvals']>): Registry {
  const registry = exampleRegistry();
  return { ...registry, policies: { ...registry.policies, approvals: { ...registry.policies.approvals, ...approvals } } };
}

const signal = (handle: WorkflowHandle, decision: ApprovalDecision) => handle.signal(approvalSignal, decision);

/**
 * Waits (without moving the server's clock) until the procedure has recorded `count`
 * decisions, and returns its progress then.
 */
async function afterDecisions(handle: WorkflowHandle, count: number): Promise<ProcedureProgress> {
  // A bound on the number of polls (two minutes of them on a loaded machine), not a timing expectation.
  for (let attempt = 0; attempt < 1200; attempt++) {
    const progress = await handle.query(progressQuery);
    if ((progress.decisions?.length ?? 0) >= count) return progress;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the procedure did not record ${count} decisions; progress: ${JSON.stringify(await handle.query(progressQuery))}`);
}

const summary = (d: DecisionRecord) => `${d.via} ${d.approver} ${d.approved ? 'approves' : 'rejects'} ${d.step}: ${d.outcome}${d.rejection ? ` (${d.rejection})` : ''}`;

describe('approvals by signal', () => {
  test('cell restart: the restart gate opens by signal; a wrong step, the requester and a decision with no gate pending are recorded, notified, and change nothing; a later update is late', async () => {
    // GIVEN a policy asking for approval of restarts
    const fleet = await createTestFleet(procedures.env, { registry: registryWith({ required: ['restart', 'decommission'] }) });
    const run = await withWorkers(fleet, async () => {
      const handle = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      const atGate = await skipUntil(procedures.env, handle, awaitingApproval('restart'));
      // WHEN, at the gate, signals come for another step, from the requester, then from another operator
      await signal(handle, { step: 'decommission', approved: true, approver: APPROVER, reason: 'wrong gate' });
      await signal(handle, { step: 'restart', approved: true, approver: REQUESTER, reason: 'my own' });
      const stillWaiting = await afterDecisions(handle, 2);
      await signal(handle, { step: 'restart', approved: true, approver: APPROVER, reason: 'fleet is quiet' });
      await afterDecisions(handle, 3);
      // AND an update for the same gate comes after it, then a signal while no gate is pending
      const late = await decide(handle, 'restart', false, CAROL, 'too late');
      await signal(handle, { step: 'decommission', approved: false, approver: CAROL, reason: 'no gate here' });
      await afterDecisions(handle, 5);
      const report = (await handle.result()) as ProcedureReport;
      await saveHistoryIfAsked(handle, 'cellRestart-signal-approval');
      return { atGate, stillWaiting, late, report, final: await handle.query(progressQuery) };
    });

    // THEN the gate waited for the one decision that counts
    expect(run.atGate).toMatchObject({ state: 'awaiting-approval', currentStep: 'approve-restart', pendingApproval: { step: 'restart', minApprovers: 1, approvedBy: [] } });
    expect(run.stillWaiting).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'restart', approvedBy: [] } });
    expect(run.late).toEqual({ accepted: false, step: 'restart', approved: false, message: `the approval of restart was already decided: approved by ${APPROVER}` });
    // AND every decision is recorded, by which channel, from whom, and why it did not count
    expect(run.final.decisions?.map(summary)).toEqual([
      `signal ${APPROVER} approves decommission: rejected (the pending approval is for step restart, not decommission)`,
      `signal ${REQUESTER} approves restart: rejected (four-eyes policy: ${REQUESTER} requested this procedure and cannot approve it)`,
      `signal ${APPROVER} approves restart: accepted`,
      `update ${CAROL} rejects restart: late (the approval of restart was already decided: approved by ${APPROVER})`,
      `signal ${CAROL} rejects decommission: rejected (no approval is pending)`,
    ]);
    expect(run.report.decisions).toEqual(run.final.decisions);
    expect(run.report.timeline.map((e) => e.event)).toContain(`${APPROVER} approved restart (by signal): counted`);
    // AND the signals that did not count were notified (the late update was answered instead)
    const notices = fleet.fleet.hooks().notifications.filter((n) => n.subject.startsWith('Approval decision not counted'));
    expect(notices.map((n) => n.subject)).toEqual(['Approval decision not counted: decommission', 'Approval decision not counted: restart', 'Approval decision not counted: decommission']);
    expect(notices[1]?.message).toContain('four-eyes policy');
    // AND nothing else changed: the restart ran as usual and the progress ends completed
    expect(run.report).toMatchObject({ outcome: 'completed', cellEndState: 'in-service' });
    expect(run.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'check-eligibility:done',
      'approve-restart:done',
      'acquire-drain-permit:done',
      'drain-traffic:done',
      'restart-services:done',
      'wait-stack-stable:done',
      'health-check:done',
      'restore-traffic:done',
      'watch-stability:done',
      'release-drain-permit:done',
    ]);
    expect(run.final).toMatchObject({ state: 'completed' });
    expect(run.final.pendingApproval).toBeUndefined();
    expect(run.final.currentStep).toBeUndefined();
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(1);
    // AND the traffic samples follow the weights written: read 100, drained to 0 (each step's share read), back to 100
    const traffic = run.final.traffic ?? [];
    expect(traffic.length).toBeLessThanOrEqual(MAX_TRAFFIC_SAMPLES);
    expect(traffic.every((s) => s.cellId === 'cell-002')).toBe(true);
    const weights = traffic.filter((s) => s.observedSharePercent === undefined).map((s) => s.weight);
    expect(weights).toEqual([100, 75, 50, 25, 0, 25, 50, 75, 100]);
    // Each drain step's readings (one a minute until the share follows): the last one within the 5% tolerance.
    const readings = traffic.filter((s) => s.observedSharePercent !== undefined);
    expect([...new Set(readings.map((s) => s.weight))]).toEqual([75, 50, 25, 0]);
    for (const weight of [75, 50, 25, 0]) {
      const last = readings.filter((s) => s.weight === weight).at(-1);
      expect(Math.abs((last?.observedSharePercent ?? -100) - (last?.expectedSharePercent ?? 100))).toBeLessThanOrEqual(5);
    }
  });

  test('cell replacement: both gates (emergency capacity, decommission) open by signal; the report says who, and by signal', async () => {
    // GIVEN 2,000 rps on a fleet whose two remaining cells usefully carry 1,600 (emergency capacity needed)
    const fleet = await createTestFleet(procedures.env, { requestsPerSecond: 2_000 });
    const { report, final } = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-001');
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await signal(handle, { step: 'emergency-capacity', approved: true, approver: APPROVER, reason: 'the fleet runs short' });
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      await signal(handle, { step: 'decommission', approved: true, approver: CAROL, reason: 'replacement checked' });
      const done = (await handle.result()) as CellReplacementReport;
      await saveHistoryIfAsked(handle, 'cellReplacement-signal-approvals');
      return { report: done, final: await handle.query(progressQuery) };
    });

    expect(report).toMatchObject({ outcome: 'completed', cellEndState: 'decommissioned' });
    expect(report.replacement).toMatchObject({ emergencyCells: ['cell-001-e1'], failedCell: { kind: 'decommissioned', approvedBy: CAROL } });
    expect(report.decisions.map(summary)).toEqual([`signal ${APPROVER} approves emergency-capacity: accepted`, `signal ${CAROL} approves decommission: accepted`]);
    expect(final.state).toBe('completed');
    // The replacement's re-route is sampled under its own cell id.
    expect(final.traffic?.filter((s) => s.cellId === 'cell-001-r').map((s) => s.weight)).toEqual([25, 50, 75, 100]);
    expect(fleet.fleet.hooks().notifications.filter((n) => n.subject.startsWith('Approval decision not counted'))).toEqual([]);
  });

  test('minApprovers 2: the gate opens only after two distinct approvers; a duplicate approver is recorded and changes nothing', async () => {
    const fleet = await createTestFleet(procedures.env, { registry: registryWith({ minApprovers: 2 }) });
    const run = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-002');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      // WHEN bob approves by signal, then again by signal and by update
      await signal(handle, { step: 'decommission', approved: true, approver: APPROVER, reason: 'replacement checked' });
      const afterOne = await afterDecisions(handle, 1);
      await signal(handle, { step: 'decommission', approved: true, approver: APPROVER.toUpperCase(), reason: 'again' });
      const afterDuplicate = await afterDecisions(handle, 2);
      const refused = await decide(handle, 'decommission', true).catch((err: unknown) => err);
      // AND carol approves by update
      const second = await decide(handle, 'decommission', true, CAROL, 'agreed');
      const report = (await handle.result()) as CellReplacementReport;
      return { afterOne, afterDuplicate, refused, second, report };
    });

    // THEN after one approval the gate still waits, showing who approved so far
    expect(run.afterOne).toMatchObject({ state: 'awaiting-approval', pendingApproval: { step: 'decommission', minApprovers: 2, approvedBy: [{ approver: APPROVER, via: 'signal' }] } });
    // AND the duplicate counted for nothing
    expect(run.afterDuplicate).toMatchObject({ state: 'awaiting-approval', pendingApproval: { approvedBy: [{ approver: APPROVER }] } });
    expect(run.afterDuplicate.decisions?.[1]).toMatchObject({ outcome: 'rejected', rejection: `${APPROVER.toUpperCase()} already approved decommission; it needs 2 distinct approvers` });
    expect(run.refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((run.refused as Error).cause)).toContain('already approved decommission');
    // AND the second distinct approver opened it
    expect(run.second).toMatchObject({ accepted: true, message: `recorded for step decommission: approved by ${APPROVER}, ${CAROL}` });
    expect(run.report).toMatchObject({ outcome: 'completed', cellEndState: 'decommissioned', replacement: { failedCell: { kind: 'decommissioned', approvedBy: `${APPROVER}, ${CAROL}` } } });
    expect(run.report.decisions.map(summary)).toEqual([
      `signal ${APPROVER} approves decommission: accepted`,
      `signal ${APPROVER.toUpperCase()} approves decommission: rejected (${APPROVER.toUpperCase()} already approved decommission; it needs 2 distinct approvers)`,
      `update ${CAROL} approves decommission: accepted`,
    ]);
    expect(fleet.fleet.hooks().notifications.filter((n) => n.subject.startsWith('Approval decision not counted'))).toHaveLength(1);
  });

  test('an update then a signal for the same gate: the first decision wins, the second is recorded as late', async () => {
    const fleet = await createTestFleet(procedures.env);
    const run = await withWorkers(fleet, async () => {
      const handle = await startReplacement(procedures.env, fleet, 'cell-003');
      await skipUntil(procedures.env, handle, awaitingApproval('decommission'));
      const first = await decide(handle, 'decommission', false);
      await signal(handle, { step: 'decommission', approved: true, approver: CAROL, reason: 'decommission it' });
      await afterDecisions(handle, 2);
      const report = (await handle.result()) as CellReplacementReport;
      return { first, report };
    });

    expect(run.first).toMatchObject({ accepted: true, approved: false });
    expect(run.report.replacement.failedCell).toMatchObject({ kind: 'kept', because: 'approval-rejected' });
    expect(fleet.fleet.stack('shop-cell-003')).toBeDefined();
    expect(run.report.decisions.map(summary)).toEqual([
      `update ${APPROVER} rejects decommission: accepted`,
      `signal ${CAROL} approves decommission: late (the approval of decommission was already decided: rejected by ${APPROVER} (keep it for the post-mortem))`,
    ]);
  });
});
