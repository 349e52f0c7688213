/**
 * Cascade recovery end to end: the real workflow, its child restarts and replacements, the
 * worker and the simulated fleet on the dev server with time skipping. Asserts the fleet's end
 * state, the router's switches as written, the order of the AWS calls and the per-cell report.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startCascadeRecovery, startProcedure } from '../../client/start-procedure';
import { CIRCUIT_BREAKERS_PARAMETER, LOAD_SHEDDING_PARAMETER, type CascadeRecoveryInput, type CascadeRecoveryReport } from '../../domain/procedures/cascade-recovery';
import { CellIdAttribute, ProcedureAttribute } from '../../domain/search-attributes';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { abortSignal, drainPermitsQuery, pauseSignal, progressQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { awaitingApproval, changeSequence, decide, saveHistoryIfAsked, skipUntil } from './cell-replacement.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

async function startCascade(fleet: TestFleet, extra: Partial<CascadeRecoveryInput> = {}): Promise<WorkflowHandle> {
  return await startCascadeRecovery(procedures.env.client, { reason: 'test: cell-002 and cell-003 in ALARM', requestedBy: 'alice@example.com', registry: fleet.registry, ...extra });
}

/**
 * Two cells failing for four minutes. A restart does not cure them (their restart's health check
 * fails), so each restart hands its cell over to replacement, as its runbook says.
 */
async function twoFailingCells(): Promise<TestFleet> {
  const fleet = await createTestFleet(procedures.env);
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
  fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
  await procedures.env.sleep(4 * 60_000);
  return fleet;
}

/** The router's switches as each update of its stack wrote them: `shedding%/open breakers`. */
function switchesWritten(fleet: TestFleet): string[] {
  return fleet.calls
    .list({ command: 'UpdateStack' })
    .map((c) => c.input as { StackName: string; Parameters?: { ParameterKey?: string; ParameterValue?: string }[] })
    .filter((input) => input.StackName === 'shop-router')
    .map((input) => {
      const value = (key: string) => input.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
      return `${value(LOAD_SHEDDING_PARAMETER) ?? '-'}%/${value(CIRCUIT_BREAKERS_PARAMETER) || 'none'}`;
    });
}

/** The stacks changed, in order (creates and updates), consecutive repeats collapsed. */
function stackChanges(fleet: TestFleet): string[] {
  const out: string[] = [];
  for (const line of changeSequence(fleet.calls.list()).filter((l) => /cloudformation:(Create|Update|Delete)Stack/.test(l))) {
    if (out[out.length - 1] !== line) out.push(line);
  }
  return out;
}

async function runWithEmergencyApproval(handle: WorkflowHandle): Promise<CascadeRecoveryReport> {
  await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
  await decide(handle, 'emergency-capacity', true, 'bob@example.com', 'fleet short of capacity');
  return (await handle.result()) as CascadeRecoveryReport;
}

describe('cascadeRecovery', () => {
  test('happy path: shed load, emergency cell, breakers open, cell-002 then cell-003 recovered (each restart handed over to replacement), breakers closed, shedding lifted 50→25→0, system validated', async () => {
    // GIVEN cell-002 (priority 1) and cell-003 (priority 2) failing
    const fleet = await twoFailingCells();

    const { report, progress, handle } = await withWorkers(fleet, async () => {
      // WHEN cascade recovery runs (and the emergency capacity is approved)
      const handle = await startCascade(fleet);
      const report = await runWithEmergencyApproval(handle);
      await saveHistoryIfAsked(handle, 'cascadeRecovery-happy-path');
      return { report, handle, progress: await handle.query(progressQuery) };
    });

    // THEN both cells were recovered by a restart, in priority order, one line each
    expect(report.outcome).toBe('completed');
    expect(progress.state).toBe('completed');
    expect(report.cascade.cells.map((l) => [l.cellId, l.procedure, l.outcome, l.workflowId])).toEqual([
      ['cell-002', 'cellRestart', 'recovered', 'cell-recovery-cell-002'],
      ['cell-003', 'cellRestart', 'recovered', 'cell-recovery-cell-003'],
    ]);
    expect(report.steps.map((s) => s.name)).toEqual([
      'assess-failed-cells',
      'shed-load',
      'approve-emergency-capacity',
      'add-emergency-capacity',
      'open-circuit-breakers',
      'recover-cell-002',
      'wait-fleet-stable-after-cell-002',
      'recover-cell-003',
      'wait-fleet-stable-after-cell-003',
      'wait-fleet-stable',
      'close-circuit-breakers',
      'lift-load-shedding',
      'validate-system',
      'notify-done',
    ]);
    // AND the router's switches went on, then off step by step
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003', '50%/none', '25%/none', '0%/none']);
    expect(fleet.fleet.stack('shop-router')?.parameters).toMatchObject({ [LOAD_SHEDDING_PARAMETER]: '0', [CIRCUIT_BREAKERS_PARAMETER]: '' });
    expect(report.cascade).toMatchObject({ sheddingPercent: 0, openCircuitBreakers: [], fleetStable: true, emergencyCells: ['shop-eu-cascade-e1'] });
    // AND the AWS changes came in the runbook's order
    expect(stackChanges(fleet)).toEqual([
      'cloudformation:UpdateStack shop-router',
      'cloudformation:CreateStack shop-cell-shop-eu-cascade-e1',
      'cloudformation:UpdateStack shop-router',
      'cloudformation:UpdateStack shop-cell-002',
      'cloudformation:CreateStack shop-cell-002-r',
      'cloudformation:UpdateStack shop-cell-003',
      'cloudformation:CreateStack shop-cell-003-r',
      'cloudformation:UpdateStack shop-router',
    ]);
    // AND the replacements serve in place of the failed cells
    expect(report.cascade.cells.map((l) => [l.childOutcome, l.cellEndState])).toEqual([
      ['completed', expect.any(String)],
      ['completed', expect.any(String)],
    ]);
    expect(fleet.fleet.cell('cell-001').weight).toBe(100);
    for (const id of ['cell-002-r', 'cell-003-r']) expect(fleet.fleet.cell(id).health).toBe('healthy');
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(CellIdAttribute)).toBe('fleet');
    expect(description.typedSearchAttributes.get(ProcedureAttribute)).toBe('cascadeRecovery');
  });

  test('cells a restart cures are recovered in place: each child restart completes, no replacement is built, their breakers close and the shedding is lifted', async () => {
    // GIVEN cell-002 and cell-003 failing in a way a restart of their services cures
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', curedByRestart: true });
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003', curedByRestart: true });
    await procedures.env.sleep(4 * 60_000);

    const report = await withWorkers(fleet, async () => await runWithEmergencyApproval(await startCascade(fleet)));

    // THEN both cells were restarted in place, in priority order, and serve again
    expect(report.outcome).toBe('completed');
    expect(report.cascade.cells.map((l) => [l.cellId, l.procedure, l.outcome, l.childOutcome, l.cellEndState])).toEqual([
      ['cell-002', 'cellRestart', 'recovered', 'completed', 'in-service'],
      ['cell-003', 'cellRestart', 'recovered', 'completed', 'in-service'],
    ]);
    // AND only their own stacks were updated (the restart), no replacement stack created
    expect(stackChanges(fleet)).toEqual([
      'cloudformation:UpdateStack shop-router',
      'cloudformation:CreateStack shop-cell-shop-eu-cascade-e1',
      'cloudformation:UpdateStack shop-router',
      'cloudformation:UpdateStack shop-cell-002',
      'cloudformation:UpdateStack shop-cell-003',
      'cloudformation:UpdateStack shop-router',
    ]);
    expect(fleet.fleet.stack('shop-cell-002-r')).toBeUndefined();
    expect(fleet.fleet.stack('shop-cell-003-r')).toBeUndefined();
    for (const id of ['cell-002', 'cell-003']) {
      expect(fleet.fleet.cell(id).health).toBe('healthy');
      expect(fleet.fleet.cell(id).weight).toBe(fleet.registry.cells.find((c) => c.id === id)?.route53.weight);
    }
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003', '50%/none', '25%/none', '0%/none']);
  });

  test('mixed outcomes: cell-002 is cured by its restart, cell-003 is not and its restart hands it over to replacement; both recovered, each line saying how', async () => {
    // GIVEN cell-002 failing in a way a restart cures, cell-003 in a way it does not
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', curedByRestart: true });
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    await procedures.env.sleep(4 * 60_000);

    const report = await withWorkers(fleet, async () => await runWithEmergencyApproval(await startCascade(fleet)));

    // THEN cell-002 is back in place and cell-003 replaced by cell-003-r
    expect(report.outcome).toBe('completed');
    expect(report.cascade.cells.map((l) => [l.cellId, l.procedure, l.outcome, l.childOutcome])).toEqual([
      ['cell-002', 'cellRestart', 'recovered', 'completed'],
      ['cell-003', 'cellRestart', 'recovered', 'completed'],
    ]);
    expect(report.cascade.cells[0]?.cellEndState).toBe('in-service');
    expect(stackChanges(fleet)).toEqual([
      'cloudformation:UpdateStack shop-router',
      'cloudformation:CreateStack shop-cell-shop-eu-cascade-e1',
      'cloudformation:UpdateStack shop-router',
      'cloudformation:UpdateStack shop-cell-002',
      'cloudformation:UpdateStack shop-cell-003',
      'cloudformation:CreateStack shop-cell-003-r',
      'cloudformation:UpdateStack shop-router',
    ]);
    expect(fleet.fleet.stack('shop-cell-002-r')).toBeUndefined();
    expect(fleet.fleet.cell('cell-002').health).toBe('healthy');
    expect(fleet.fleet.cell('cell-002').weight).toBe(fleet.registry.cells.find((c) => c.id === 'cell-002')?.route53.weight);
    expect(fleet.fleet.cell('cell-003-r').health).toBe('healthy');
    expect(fleet.fleet.cell('cell-003').weight).toBe(0);
    // AND the shedding came off once the fleet (cell-002 included again) was stable
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003', '50%/none', '25%/none', '0%/none']);
  });

  test('a cell whose replacement fails stays drained with its drain permit (still out), so under maxCellsOut 1 the next cell is held back, not started, and the cascade says why and goes on to lift the shedding', async () => {
    // GIVEN cell-002 and cell-003 failing, and cell-002's replacement stack cannot be created
    const fleet = await twoFailingCells();
    fleet.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-002-r', reason: 'Resource handler returned message: "Not enough capacity"' });

    const { report, progress, permits, childrenOfCascade } = await withWorkers(fleet, async () => {
      const handle = await startCascade(fleet);
      const report = await runWithEmergencyApproval(handle);
      await saveHistoryIfAsked(handle, 'cascadeRecovery-cell-held-back');
      const permits = await procedures.env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery);
      const childrenOfCascade: string[] = [];
      const cascade = await handle.describe();
      for await (const w of procedures.env.client.workflow.list({ query: `StartTime >= "${cascade.startTime.toISOString()}"` })) {
        if (w.raw.parentExecution?.runId === cascade.runId) childrenOfCascade.push(w.workflowId);
      }
      return { report, progress: await handle.query(progressQuery), permits, childrenOfCascade };
    });

    // THEN cell-002 is reported failed, drained, its permit still held: it is out of service
    expect(report.outcome).toBe('failed');
    expect(progress.state).toBe('failed');
    expect(report.cascade.cells.map((l) => [l.cellId, l.outcome, l.childOutcome, l.cellEndState])).toEqual([
      ['cell-002', 'failed', 'failed', 'drained-operator-notified'],
      ['cell-003', 'held-back', undefined, undefined],
    ]);
    expect(report.cascade.cells[0]?.detail).toContain('Not enough capacity');
    expect(permits.map((p) => [p.holder, p.cellId])).toEqual([['cell-recovery-cell-002', 'cell-002']]);
    expect(fleet.fleet.cell('cell-002').weight).toBe(0);
    // AND cell-003's procedure was never started: the guard's rule, read first, would refuse it, and the line says who holds the permits
    expect(report.cascade.cells[1]?.workflowId).toBeUndefined();
    expect(report.cascade.cells[1]?.detail).toMatch(/^not started: the fleet guard would refuse to let cell-003 out of service: 1 of at most 1 cells already out \(cell-002\); held by cell-recovery-cell-002 \(cell-002 since 20\d\d-/);
    expect(childrenOfCascade.filter((id) => id === 'cell-recovery-cell-003')).toEqual([]);
    expect(childrenOfCascade).toContain('cell-recovery-cell-002');
    expect(fleet.calls.list({ command: 'UpdateStack' }).some((c) => (c.input as { StackName: string }).StackName === 'shop-cell-003')).toBe(false);
    // AND with nothing changed for cell-003, the cascade did not wait for the fleet after it
    expect(report.steps.map((s) => s.name).filter((n) => n.startsWith('recover-') || n.startsWith('wait-fleet-stable-after-'))).toEqual(['recover-cell-002', 'wait-fleet-stable-after-cell-002', 'recover-cell-003']);
    expect(report.timeline.map((e) => e.event)).toContainEqual(expect.stringMatching(/^cell-003 held back: not started: the fleet guard would refuse/));
    expect(report.error).toBe('not recovered: cell-002 (failed), cell-003 (held-back)');
    expect(report.recommendations.join('\n')).toContain('cell-003 was not recovered: held back by the fleet guard');
    expect(report.recommendations.join('\n')).toContain('then start its recovery (cellops start cellRestart --cell cell-003)');
    // AND their breakers stay open while the shedding is lifted for the stable rest of the fleet
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003', '50%/cell-002,cell-003', '25%/cell-002,cell-003', '0%/cell-002,cell-003']);
    expect(report.cascade.openCircuitBreakers).toEqual(['cell-002', 'cell-003']);
    expect(fleet.fleet.stack('shop-cell-002-r')).toBeUndefined();
    expect(fleet.fleet.hooks().notifications.map((n) => n.message).find((m) => m.includes('cell-003: held-back'))).toBeDefined();
  });

  test('load shedding is lifted only once the fleet is stable: a cell falling ill holds it at 50% until it is healthy again', async () => {
    const fleet = await twoFailingCells();
    const { report, clearedAt } = await withWorkers(fleet, async () => {
      const handle = await startCascade(fleet);
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await decide(handle, 'emergency-capacity', true, 'bob@example.com', 'fleet short of capacity');
      // WHEN cell-001, healthy so far, falls ill while the last failed cell is recovered
      await skipUntil(procedures.env, handle, (p) => p.currentStep === 'recover-cell-003', 300);
      const fault = fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-001' });
      // THEN the cascade waits for the fleet to be stable with the shedding untouched
      await skipUntil(procedures.env, handle, (p) => p.currentStep === 'wait-fleet-stable', 300);
      expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003']);
      // AND lifts it only after cell-001 is healthy again
      fleet.fleet.clearFault(fault);
      const clearedAt = fleet.fleet.now();
      return { report: (await handle.result()) as CascadeRecoveryReport, clearedAt };
    });
    expect(report.outcome).toBe('completed');
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003', '50%/none', '25%/none', '0%/none']);
    const lifts = fleet.calls.list({ command: 'UpdateStack' }).filter((c) => (c.input as { StackName: string }).StackName === 'shop-router').slice(2);
    for (const call of lifts) expect(call.at).toBeGreaterThan(clearedAt);
    expect(report.timeline.map((e) => e.event).join('\n')).toContain('the fleet was not stable after cell-003');
  });

  test('abort in the middle: the cell being recovered is aborted by its own procedure, the rest not started, shedding and breakers kept, an operator told', async () => {
    const fleet = await twoFailingCells();
    const { report, progress } = await withWorkers(fleet, async () => {
      const handle = await startCascade(fleet);
      await skipUntil(procedures.env, handle, awaitingApproval('emergency-capacity'));
      await decide(handle, 'emergency-capacity', true, 'bob@example.com', 'fleet short of capacity');
      await skipUntil(procedures.env, handle, (p) => p.currentStep === 'recover-cell-002', 30);
      // WHEN an operator aborts while cell-002 is recovered
      await handle.signal(abortSignal, { requestedBy: 'carol@example.com', reason: 'taking over by hand' });
      const report = (await handle.result()) as CascadeRecoveryReport;
      await saveHistoryIfAsked(handle, 'cascadeRecovery-abort-mid-recovery');
      return { report, progress: await handle.query(progressQuery) };
    });
    expect(report.outcome).toBe('aborted');
    expect(progress.state).toBe('aborted');
    expect(report.cascade.cells.map((l) => [l.cellId, l.outcome])).toEqual([
      ['cell-002', 'aborted'],
      ['cell-003', 'not-started'],
    ]);
    // The protective switches stay as they were; nothing was lifted
    expect(switchesWritten(fleet)).toEqual(['50%/none', '50%/cell-002,cell-003']);
    expect(report.cascade).toMatchObject({ sheddingPercent: 50, openCircuitBreakers: ['cell-002', 'cell-003'] });
    expect(fleet.calls.list({ command: 'UpdateStack' }).some((c) => (c.input as { StackName: string }).StackName === 'shop-cell-003')).toBe(false);
    expect(report.steps.map((s) => s.name)).toContain('notify-operator');
  });

  test('a cell whose own restart is still running is left to it: the cascade starts no child there, neither signals nor waits for it, and goes on with the next cell', async () => {
    // GIVEN cell-002's restart (started by an earlier alarm) draining it, paused by an operator
    const fleet = await createTestFleet(procedures.env);
    const { report, restartWhileCascade, restartReport } = await withWorkers(fleet, async () => {
      const restart = await startProcedure(procedures.env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      while ((fleet.fleet.weights()['cell-002'] ?? 100) > 50) await procedures.env.sleep(20_000);
      await restart.signal(pauseSignal, { requestedBy: 'bob@example.com', reason: 'looking at its logs' });
      // AND then cell-002 and cell-003 failing
      fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
      fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
      await procedures.env.sleep(4 * 60_000);
      // WHEN cascade recovery runs
      const handle = await startCascade(fleet);
      const report = await runWithEmergencyApproval(handle);
      const restartWhileCascade = await restart.query(progressQuery);
      await restart.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'the cascade is done' });
      return { report, restartWhileCascade, restartReport: (await restart.result()) as { outcome: string } };
    });

    // THEN cell-002 is left to its restart, named, and the cascade went on to cell-003
    expect(report.cascade.cells[0]).toMatchObject({ cellId: 'cell-002', outcome: 'already-in-recovery', workflowId: 'cell-recovery-cell-002', detail: 'not started: cell-recovery-cell-002 is already recovering cell-002' });
    expect(report.cascade.cells[1]?.outcome).not.toBe('not-started');
    expect(report.steps.map((s) => s.name).filter((n) => n.startsWith('recover-') || n.startsWith('wait-fleet-stable-after-'))).toEqual(expect.arrayContaining(['recover-cell-002', 'recover-cell-003']));
    expect(report.steps.map((s) => s.name)).not.toContain('wait-fleet-stable-after-cell-002');
    expect(report.recommendations.join('\n')).toContain('Follow it (cellops watch cell-recovery-cell-002)');
    expect(report.cascade.openCircuitBreakers).toContain('cell-002');
    // AND the restart was neither disturbed nor replaced: still paused, then aborted by its operator
    expect(restartWhileCascade.state).toBe('paused');
    expect(restartReport.outcome).toBe('aborted');
  });
});
