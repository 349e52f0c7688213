/**
 * The planners: what `cellops plan` says a procedure would do must be what it does. Each plan's
 * steps (those that always run) are checked against the steps of a saved happy-path run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROCEDURE_CATALOG, catalogEntry, UnknownProcedureError } from '../../domain/procedures/catalog';
import type { ProcedureReport } from '../../domain/procedures/report';
import { CellAlreadyExistsError, UnknownCellError } from '../../domain/registry';
import { InvalidInputError } from '../../client/data/errors';
import { planProcedure } from '../../client/data/plan';
import { withUpcomingSteps, type ProcedureView } from '../../client/data/procedure';
import { exampleRegistry } from '../helpers/procedures-environment';

/** The final report in a saved history (the completed event's result). */
function savedReport(name: string): ProcedureReport {
  const history = JSON.parse(readFileSync(path.join(__dirname, '../histories', `${name}.json`), 'utf8')) as { events: { eventType: string; workflowExecutionCompletedEventAttributes?: { result: { payloads: { data: string }[] } } }[] };
  const completed = history.events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  const data = completed?.workflowExecutionCompletedEventAttributes?.result.payloads[0].data ?? '';
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as ProcedureReport;
}

describe('procedure plans', () => {
  const registry = exampleRegistry();

  test.each([
    ['cellRestart', 'cellRestart-happy-path'],
    ['cellReplacement', 'cellReplacement-happy-path'],
    ['pointInTimeRecovery', 'pointInTimeRecovery-happy-path'],
    ['cellDecommissioning', 'cellDecommissioning-happy-path'],
  ])('%s: the planned steps are the steps a happy-path run took, in order', (procedure, history) => {
    const plan = catalogEntry(procedure).plan(registry, 'cell-002');
    const ran = savedReport(history).steps.map((s) => s.name);
    expect(plan.steps.filter((s) => !s.onlyIf).map((s) => s.name)).toEqual(ran);
  });

  test('cellProvisioning: planned for a new cell id, the steps a happy-path run took, the ramp\'s weights, no drain permit; a registry cell or no id refused', () => {
    const plan = planProcedure(registry, 'cellProvisioning', 'cell-004');
    expect(plan.steps.map((s) => s.name)).toEqual(savedReport('cellProvisioning-happy-path').steps.map((s) => s.name));
    expect(plan.steps.find((s) => s.name === 'ramp-up')?.weights).toEqual([25, 50, 75, 100]);
    expect(plan.steps.find((s) => s.name === 'create-stack')?.does).toBe('create stack shop-cell-004 from the cell template and wait until it is stable');
    // a whole health window and its publishing delay before validating, 4 ramp steps × 60 s
    expect(plan.timeBudget).toMatchObject({ minimumSeconds: 300 + 5 + 4 * 60, approvalWaitUpToSeconds: 0 });
    expect(plan.blastRadius).toMatchObject({ cellCapacityPercent: 0, note: 'adds capacity and drains nothing: provisioning takes no drain permit' });
    expect(() => planProcedure(registry, 'cellProvisioning', 'cell-002')).toThrow(CellAlreadyExistsError);
    expect(() => planProcedure(registry, 'cellProvisioning')).toThrow(new InvalidInputError('cellProvisioning builds a new cell: give its id with --cell <id>'));
  });

  test('cellRestart: weights from the drain and restore policies, the watch, the budget', () => {
    const plan = catalogEntry('cellRestart').plan(registry, 'cell-002');
    const step = (name: string) => plan.steps.find((s) => s.name === name);
    expect(step('drain-traffic')?.weights).toEqual([75, 50, 25, 0]);
    expect(step('restore-traffic')?.weights).toEqual([25, 50, 75, 100]);
    // 4 drain steps × max(60 s pause, 65 s first reading) + a 300 s health window after the restart + 4 restore steps × 60 s + 900 s watch.
    expect(plan.timeBudget).toMatchObject({ minimumSeconds: 4 * 65 + 300 + 4 * 60 + 900, approvalWaitUpToSeconds: 0 });
    expect(plan.approvals).toEqual([expect.objectContaining({ step: 'restart', required: false })]);
    expect(plan.blastRadius).toEqual({ maxCellsOut: 1, maxCapacityOutPercent: 34, cellCapacityPercent: 33.3 });
  });

  test('cellReplacement: the approval gates as the policy sets them; the budget counts the required ones', () => {
    const policies = { ...registry.policies, approvals: { ...registry.policies.approvals, required: ['decommission' as const], timeoutSeconds: 1200 } };
    const plan = catalogEntry('cellReplacement').plan({ ...registry, policies }, 'cell-001');
    expect(plan.approvals).toEqual([
      { step: 'emergency-capacity', required: false, timeoutSeconds: 1200, reminderBeforeSeconds: 900, onTimeout: 'abort', fourEyes: true, minApprovers: 1 },
      { step: 'decommission', required: true, timeoutSeconds: 1200, reminderBeforeSeconds: 900, onTimeout: 'abort', fourEyes: true, minApprovers: 1 },
    ]);
    expect(plan.timeBudget.approvalWaitUpToSeconds).toBe(1200);
    expect(plan.steps.find((s) => s.name === 'reroute-traffic')?.weights).toEqual([25, 50, 75, 100]);
    expect(plan.summary).toContain('build cell-001-r');
  });

  test('cellRestart with restart approval required: the gate is a step, and counts in the budget', () => {
    const approvals = { ...registry.policies.approvals, required: ['restart' as const] };
    const plan = catalogEntry('cellRestart').plan({ ...registry, policies: { ...registry.policies, approvals } }, 'cell-002');
    expect(plan.steps.slice(0, 3).map((s) => `${s.name}${s.onlyIf ? '?' : ''}`)).toEqual(['check-eligibility', 'approve-restart', 'acquire-drain-permit']);
    expect(plan.timeBudget.approvalWaitUpToSeconds).toBe(3600);
  });

  test('a minApprovers in the policy shows in the gates', () => {
    const approvals = { ...registry.policies.approvals, minApprovers: 2 };
    const plan = catalogEntry('cellReplacement').plan({ ...registry, policies: { ...registry.policies, approvals } }, 'cell-001');
    expect(plan.approvals.map((a) => a.minApprovers)).toEqual([2, 2]);
  });

  test('pointInTimeRecovery: the promotion gate is always there, whatever the policy lists; the restore weights of the recovery environment', () => {
    const plan = catalogEntry('pointInTimeRecovery').plan(registry, 'cell-002');
    expect(registry.policies.approvals.required).not.toContain('promote');
    expect(plan.approvals).toEqual([expect.objectContaining({ step: 'promote', required: true })]);
    expect(plan.steps.find((s) => s.name === 'restore-traffic')?.weights).toEqual([25, 50, 75, 100]);
    expect(plan.steps.find((s) => s.name === 'move-customers-away')?.does).toBe('its 380 customers to cell-001 (migrateCustomers hook)');
  });

  test('routerFailover: planned for the fleet\'s router (no cell), the steps a happy-path run took, the switch back\'s weights, no drain permit', () => {
    const plan = planProcedure(registry, 'routerFailover');
    expect(plan.cellId).toBe('router');
    expect(plan.steps.filter((s) => !s.onlyIf).map((s) => s.name)).toEqual(savedReport('routerFailover-happy-path').steps.map((s) => s.name));
    expect(plan.steps.find((s) => s.name === 'switch-back')?.weights).toEqual([64, 128, 191, 255]);
    expect(plan.approvals).toEqual([expect.objectContaining({ step: 'failover', required: false })]);
    // the fallback's first reading, the primary's first check, 4 switch-back minutes, the 900 s watch
    expect(plan.timeBudget.minimumSeconds).toBe(65 + 180 + 4 * 60 + 900);
    expect(plan.blastRadius).toMatchObject({ cellCapacityPercent: 0, note: 'no cell is drained: router failover takes no drain permit' });
  });

  test('cascadeRecovery: planned for the fleet, every cell\'s recovery a step only if it is found failed (in recovery order); with cell-002 and cell-003 failed, the steps a happy-path run took', () => {
    const plan = planProcedure(registry, 'cascadeRecovery');
    expect(plan.cellId).toBe('fleet');
    const failed = ['cell-002', 'cell-003'];
    const forRun = plan.steps.filter((s) => !s.onlyIf || failed.some((id) => s.onlyIf === `${id} is found failed`) || s.name === 'add-emergency-capacity');
    expect(forRun.map((s) => s.name)).toEqual(savedReport('cascadeRecovery-happy-path').steps.map((s) => s.name));
    expect(plan.steps.filter((s) => s.name.startsWith('recover-')).map((s) => [s.name, s.onlyIf])).toEqual([
      ['recover-cell-001', 'cell-001 is found failed'],
      ['recover-cell-002', 'cell-002 is found failed'],
      ['recover-cell-003', 'cell-003 is found failed'],
    ]);
    // the emergency capacity's gate is required by the example policy: the step adding it runs only once approved
    expect(plan.approvals).toEqual([expect.objectContaining({ step: 'emergency-capacity', required: true })]);
    expect(plan.steps.find((s) => s.name === 'add-emergency-capacity')?.onlyIf).toBe('the emergency capacity is approved');
    // stable before lifting, before each of the two lift steps, and once more to validate: 2 one-minute checks each
    expect(plan.timeBudget).toMatchObject({ minimumSeconds: 4 * 120, approvalWaitUpToSeconds: 3600 });
    expect(plan.blastRadius.note).toContain('at most 1 cell(s) and 34% of capacity out at once');
  });

  test('procedures of the fleet take no cell, procedures of a cell need one', () => {
    expect(() => planProcedure(registry, 'routerFailover', 'cell-002')).toThrow(new InvalidInputError('routerFailover acts on the whole fleet (router), not on one cell: leave out --cell'));
    expect(planProcedure(registry, 'cascadeRecovery', 'fleet').cellId).toBe('fleet');
    expect(() => planProcedure(registry, 'cellRestart')).toThrow(new InvalidInputError('cellRestart acts on one cell: give --cell <id>'));
    expect(PROCEDURE_CATALOG.filter((e) => e.scope === 'fleet').map((e) => e.procedure)).toEqual(['routerFailover', 'cascadeRecovery']);
  });

  test('a running router failover is shown with its steps still to come, or without them when the registry has no router stack to plan from', () => {
    const view: ProcedureView = {
      workflowId: 'router-recovery-shop-eu',
      runId: 'r',
      namespace: 'default',
      workflowType: 'routerFailover',
      status: 'RUNNING',
      state: 'running',
      cellId: 'router',
      startTime: '2026-12-02T00:00:00Z',
      currentStep: 'validate-fallback',
      steps: ['assess-primary-router', 'approve-failover', 'activate-fallback'].map((name) => ({ name, status: 'done' as const, startedAt: '2026-12-02T00:00:00Z', current: false })),
      traffic: [],
      decisions: [],
      upcomingSteps: [],
    };
    expect(withUpcomingSteps(view, registry).upcomingSteps).toEqual(['validate-fallback', 'restart-primary-router', 'wait-router-stack-stable', 'confirm-primary-recovered', 'switch-back', 'watch-stability', 'notify-recovered']);
    const noRouterStack = { ...registry, router: { ...registry.router, stack: undefined } };
    expect(withUpcomingSteps(view, noRouterStack)).toBe(view);
  });

  test('every catalogued procedure plans every cell of the example fleet (a new cell every id it does not have); unknown names are refused', () => {
    for (const entry of PROCEDURE_CATALOG.filter((e) => e.scope !== 'new-cell')) for (const cell of registry.cells) expect(entry.plan(registry, cell.id).steps.length).toBeGreaterThan(0);
    for (const entry of PROCEDURE_CATALOG.filter((e) => e.scope === 'new-cell')) {
      expect(entry.plan(registry, 'cell-004').steps.length).toBeGreaterThan(0);
      for (const cell of registry.cells) expect(() => entry.plan(registry, cell.id)).toThrow(CellAlreadyExistsError);
    }
    expect(() => catalogEntry('cellTeleport')).toThrow(UnknownProcedureError);
    expect(() => catalogEntry('cellRestart').plan(registry, 'cell-999')).toThrow(UnknownCellError);
  });
});
