/**
 * Wave deployment end to end: the real workflow, the worker and the simulated fleet on the dev
 * server with time skipping. A bad version is a simulator fault (`bad-version`): the cells that
 * run it serve errors and slow responses until they are rolled back.
 */
import { DeploymentAlreadyRunningError } from '../../client/start-procedure';
import { planWaves } from '../../domain/procedures/wave-deployment';
import { CellIdAttribute, ProcedureAttribute } from '../../domain/search-attributes';
import { deploymentProgressQuery, progressQuery } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment } from '../helpers/procedures-environment';
import { saveHistoryIfAsked } from './cell-replacement.helpers';
import { V2_TEMPLATE, deploymentInput, reportOf, stackUpdates, stackVersions, startDeployment } from './wave-deployment.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const ALL_V1 = { 'cell-001': 'cell.yaml/m7g.large UPDATE_COMPLETE', 'cell-002': 'cell.yaml/m7g.large UPDATE_COMPLETE', 'cell-003': 'cell.yaml/m7g.large UPDATE_COMPLETE' };

describe('waveDeployment', () => {
  test('happy path: the canary (the least important cell) bakes 30 min under tighter criteria, then the other two cells as the second wave; every stack on v2; the dry run planned exactly what ran', async () => {
    // GIVEN the example fleet (cell-003 has the highest priority number: the canary)
    const fleet = await createTestFleet(procedures.env);

    const { report, progress, dryRun, attributes, procedureProgress } = await withWorkers(fleet, async () => {
      // WHEN a dry run, then the rollout, run with the default plan
      const dryRun = await reportOf(await startDeployment(procedures.env, fleet, { dryRun: true }));
      const handle = await startDeployment(procedures.env, fleet);
      const { report } = await reportOf(handle);
      await saveHistoryIfAsked(handle, 'waveDeployment-happy-path');
      const description = await handle.describe();
      return {
        report,
        dryRun: dryRun.report,
        progress: await handle.query(deploymentProgressQuery),
        procedureProgress: await handle.query(progressQuery),
        attributes: [description.typedSearchAttributes.get(CellIdAttribute), description.typedSearchAttributes.get(ProcedureAttribute)],
      };
    });

    // THEN the dry run touched nothing and planned the waves that ran
    expect(dryRun.deployment.outcome).toBe('planned');
    expect(dryRun.deployment.plan.waves.map((w) => w.cellIds)).toEqual([['cell-003'], ['cell-002', 'cell-001']]);
    expect(dryRun.deployment.plan.bakeSecondsTotal).toBe(1800 + 900);
    expect(dryRun.deployment.plan).toEqual(report.deployment.plan);
    // AND every cell runs v2, updated canary first
    expect(report.outcome).toBe('completed');
    expect(report.deployment.outcome).toBe('completed');
    expect(stackUpdates(fleet)).toEqual(['shop-cell-003 cell-v2.yaml/m7g.xlarge', 'shop-cell-002 cell-v2.yaml/m7g.xlarge', 'shop-cell-001 cell-v2.yaml/m7g.xlarge']);
    expect(stackVersions(fleet)).toEqual({ 'cell-001': 'cell-v2.yaml/m7g.xlarge UPDATE_COMPLETE', 'cell-002': 'cell-v2.yaml/m7g.xlarge UPDATE_COMPLETE', 'cell-003': 'cell-v2.yaml/m7g.xlarge UPDATE_COMPLETE' });
    expect(report.steps.map((s) => s.name)).toEqual(['wave-0-update-0', 'wave-0-bake', 'wave-1-update-0', 'wave-1-bake', 'notify-completed']);
    expect(report.deployment.waves.map((w) => [w.index, w.status, w.updated, w.checksPassed])).toEqual([
      [0, 'passed', 1, 30],
      [1, 'passed', 2, 15],
    ]);
    expect(report.deployment.plan.waves[0].criteria).toEqual({ maxErrorRatePercent: 0.5, maxLatencyP95Ms: 400, alarmsOk: true });
    expect(report.deployment.plan.waves[1].criteria).toEqual({ maxErrorRatePercent: 1, maxLatencyP95Ms: 500, alarmsOk: true });
    expect(progress).toMatchObject({ outcome: 'completed', cellsUpdated: 3, cellsRolledBack: 0, cellFailures: 0 });
    expect(procedureProgress.state).toBe('completed');
    expect(attributes).toEqual(['fleet', 'waveDeployment']);
    // AND the canary baked 30 minutes before wave 1 began
    const bake = report.steps.find((s) => s.name === 'wave-0-bake');
    expect(Date.parse(bake?.endedAt ?? '') - Date.parse(bake?.startedAt ?? '')).toBeGreaterThanOrEqual(30 * 60_000);
  });

  test('a bad canary is rolled back alone; the report names the failing criterion with its metric values', async () => {
    // GIVEN v2's template is bad wherever it runs
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'bad-version', templateUrl: V2_TEMPLATE, errorRatePercent: 6, latencyP99Ms: 1500 });

    const { report, failure } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet);
      const outcome = await reportOf(handle);
      await saveHistoryIfAsked(handle, 'waveDeployment-canary-fails');
      return outcome;
    });

    // THEN only the canary was updated, then put back on the registry's template and parameters
    expect(failure?.type).toBe('DeploymentCriterionFailed');
    expect(stackUpdates(fleet)).toEqual(['shop-cell-003 cell-v2.yaml/m7g.xlarge', 'shop-cell-003 cell.yaml/m7g.large']);
    expect(stackVersions(fleet)).toEqual({ 'cell-001': 'cell.yaml/m7g.large CREATE_COMPLETE', 'cell-002': 'cell.yaml/m7g.large CREATE_COMPLETE', 'cell-003': 'cell.yaml/m7g.large UPDATE_COMPLETE' });
    expect(report.outcome).toBe('failed');
    expect(report.deployment.outcome).toBe('rolled-back');
    expect(report.deployment.cellsRolledBack).toBe(1);
    // AND the failing criterion is the canary's error rate, with the value that failed it
    // (its alarms may already be in ALARM too, depending on how long the update took: then they come first)
    const failures = report.deployment.failures;
    expect(report.deployment.failedCriterion).toEqual(failures[0]);
    expect(failures.every((f) => f.cellId === 'cell-003')).toBe(true);
    expect(failures.find((f) => f.criterion === 'errorRate')?.threshold).toBe(0.5);
    expect(failures.find((f) => f.criterion === 'errorRate')?.value).toBeGreaterThan(5);
    expect(failures.find((f) => f.criterion === 'latencyP95')?.value).toBeGreaterThan(400);
    expect(report.deployment.waves.map((w) => w.status)).toEqual(['rolled-back', 'pending']);
    expect(report.error).toMatch(/wave 0 \(canary\) failed: cell-003: (error rate [\d.]+ % > 0.5 %|.* in ALARM)/);
  });

  test('a failure in a later wave rolls back every updated cell, newest first', async () => {
    // GIVEN v2 is bad on cell-001 only, the last of three explicit waves
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'bad-version', templateUrl: V2_TEMPLATE, cellIds: ['cell-001'] });

    const { report } = await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet, { waves: [['cell-003'], ['cell-002'], ['cell-001']], bakeSeconds: 600 });
      const outcome = await reportOf(handle);
      await saveHistoryIfAsked(handle, 'waveDeployment-later-wave-fails');
      return outcome;
    });

    // THEN the canary's, wave 1's and wave 2's cells were all put back
    expect(stackUpdates(fleet)).toEqual([
      'shop-cell-003 cell-v2.yaml/m7g.xlarge',
      'shop-cell-002 cell-v2.yaml/m7g.xlarge',
      'shop-cell-001 cell-v2.yaml/m7g.xlarge',
      'shop-cell-001 cell.yaml/m7g.large',
      'shop-cell-002 cell.yaml/m7g.large',
      'shop-cell-003 cell.yaml/m7g.large',
    ]);
    expect(stackVersions(fleet)).toEqual(ALL_V1);
    expect(report.deployment.failedCriterion).toMatchObject({ cellId: 'cell-001' });
    expect(report.deployment.failures.find((f) => f.criterion === 'errorRate')).toMatchObject({ cellId: 'cell-001', threshold: 1 });
    expect(report.deployment.cellsRolledBack).toBe(3);
    expect(report.deployment.waves.map((w) => w.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
  });

  test('a stack update that fails counts as a failed cell: CloudFormation put it back, the canary is rolled back', async () => {
    // GIVEN cell-002's stack update fails (ECS circuit breaker)
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'failing-stack-update', cellId: 'cell-002', count: 1 });

    const { report, failure } = await withWorkers(fleet, async () => reportOf(await startDeployment(procedures.env, fleet, { canaryBakeSeconds: 300, bakeSeconds: 300 })));

    expect(failure?.type).toBe('DeploymentCriterionFailed');
    expect(report.deployment.failedCriterion).toMatchObject({ cellId: 'cell-002', criterion: 'stackUpdate', value: 'UPDATE_ROLLBACK_COMPLETE' });
    expect(report.deployment.failedCriterion?.message).toMatch(/CellService/);
    // cell-001 was in the same batch; cell-002 is already back (its rollback is "No updates")
    expect(stackVersions(fleet)).toEqual({ ...ALL_V1, 'cell-002': 'cell.yaml/m7g.large UPDATE_ROLLBACK_COMPLETE' });
  });

  test('within the error budget a failing cell is rolled back alone and the rollout goes on', async () => {
    const fleet = await createTestFleet(procedures.env);
    fleet.fleet.inject({ kind: 'bad-version', templateUrl: V2_TEMPLATE, cellIds: ['cell-002'] });

    const { report } = await withWorkers(fleet, async () => reportOf(await startDeployment(procedures.env, fleet, { waves: [['cell-003'], ['cell-002'], ['cell-001']], bakeSeconds: 300, canaryBakeSeconds: 300, errorBudget: 1 })));

    expect(report.deployment.outcome).toBe('completed');
    expect(report.deployment.failedCells).toEqual(['cell-002']);
    expect(stackVersions(fleet)).toEqual({ 'cell-001': 'cell-v2.yaml/m7g.xlarge UPDATE_COMPLETE', 'cell-002': 'cell.yaml/m7g.large UPDATE_COMPLETE', 'cell-003': 'cell-v2.yaml/m7g.xlarge UPDATE_COMPLETE' });
  });

  test('one deployment per fleet: a second start while one runs is refused, naming the running one', async () => {
    const fleet = await createTestFleet(procedures.env);
    await withWorkers(fleet, async () => {
      const handle = await startDeployment(procedures.env, fleet);
      await expect(startDeployment(procedures.env, fleet)).rejects.toThrow(DeploymentAlreadyRunningError);
      await expect(startDeployment(procedures.env, fleet)).rejects.toThrow(/wave-deployment-shop-eu/);
      await handle.terminate('test done');
    });
  });
});

describe('planWaves', () => {
  test('a canary, then waves doubling until every cell is in one', async () => {
    const fleet = await createTestFleet(procedures.env);
    const many = { ...fleet.registry, cells: Array.from({ length: 20 }, (_, i) => ({ ...fleet.registry.cells[0], id: `c-${String(i).padStart(2, '0')}`, priority: i })) };
    const plan = planWaves(deploymentInput(fleet, { registry: many }));
    expect(plan.waves.map((w) => w.cellIds.length)).toEqual([1, 2, 4, 8, 5]);
    expect(plan.waves[0].cellIds).toEqual(['c-19']);
    expect(() => planWaves(deploymentInput(fleet, { waves: [['cell-001'], ['cell-001']] }))).toThrow(/more than one wave/);
    expect(() => planWaves(deploymentInput(fleet, { cellIds: ['cell-404'] }))).toThrow(/not in the registry/);
  });
});
