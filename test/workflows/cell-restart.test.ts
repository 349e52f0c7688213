/**
 * Cell restart on the dev server (time skipping, the policy's real durations) against the
 * simulated fleet: the happy path and every failure branch, asserting the fleet's end state
 * and the AWS calls.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createFleetGuardActivities } from '../../activities/fleet-guard';
import { AlreadyInRecoveryError, startProcedure } from '../../client/start-procedure';
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { ProcedureReport } from '../../domain/procedures/report';
import { CellIdAttribute, ProcedureAttribute, StepAttribute } from '../../domain/search-attributes';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import type { RecordedCall } from '../../simulator';
import { abortSignal, drainPermitsQuery, pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning, type TestFleet } from '../helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../helpers/test-environment';
import { saveHistoryIfAsked } from './cell-replacement.helpers';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
jest.setTimeout(300_000);

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
});
afterEach(async () => {
  await terminateRunning(env.client);
});
afterAll(async () => {
  await env?.teardown();
});

const STEPS = ['check-eligibility', 'acquire-drain-permit', 'drain-traffic', 'restart-services', 'wait-stack-stable', 'health-check', 'restore-traffic', 'watch-stability', 'release-drain-permit'];

/** `service.command`, consecutive repeats (polls) collapsed into one. */
function callSequence(calls: RecordedCall[]): string[] {
  const out: string[] = [];
  for (const c of calls) {
    const name = `${c.service}.${c.command}`;
    if (out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

/** The weights written to `setIdentifier`, in order. */
function weightsWritten(fleet: TestFleet, setIdentifier: string): number[] {
  return fleet.calls.list({ command: 'ChangeResourceRecordSets' }).flatMap((c) => {
    const input = c.input as { ChangeBatch: { Changes: { ResourceRecordSet: { SetIdentifier: string; Weight: number } }[] } };
    return input.ChangeBatch.Changes.filter((ch) => ch.ResourceRecordSet.SetIdentifier === setIdentifier).map((ch) => ch.ResourceRecordSet.Weight);
  });
}

const health = ['cloudwatch.DescribeAlarms', 'cloudwatch.GetMetricData'];
const weightStep = ['route53.ChangeResourceRecordSets', 'route53.GetChange'];
const times = <T>(n: number, items: T[]): T[] => Array.from({ length: n }, () => items).flat();

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err: unknown = await handle.result().then(
    () => new Error('expected the workflow to fail'),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
  return err.cause;
}

const permits = () => env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery);

describe('cell restart', () => {
  test('happy path: drain in four steps, one restart, health check, restore in four steps, a 15-minute watch; the fleet ends as it began, restarted', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const { report, handle, firstRunId, permitsAfter } = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      const report = (await handle.result()) as ProcedureReport;
      await saveHistoryIfAsked(handle, 'cellRestart-happy-path');
      return { report, handle, firstRunId: (await handle.describe()).runId, permitsAfter: await permits() };
    });

    // The report: every runbook step done, in order.
    expect(report).toMatchObject({ procedure: 'cellRestart', cellId: 'cell-002', workflowId: 'cell-recovery-cell-002', outcome: 'completed', cellEndState: 'in-service', customersAffected: 380 });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, 'done']));
    expect(report.durationMs).toBeGreaterThanOrEqual(15 * 60_000);

    // The fleet's end state: weights back, cell-002 restarted with the workflow's nonce, the others untouched, alarms OK.
    expect(fleet.fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100, 'cell-003': 100 });
    const nonce = `cell-recovery-cell-002-${firstRunId}-restart`;
    expect(fleet.fleet.stack('shop-cell-002')?.status).toBe('UPDATE_COMPLETE');
    expect(fleet.fleet.stack('shop-cell-002')?.parameters.RestartNonce).toBe(nonce);
    expect(fleet.fleet.stack('shop-cell-001')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.stack('shop-cell-003')?.status).toBe('CREATE_COMPLETE');
    expect(fleet.fleet.alarms().filter((a) => a.state !== 'OK')).toEqual([]);
    expect(fleet.fleet.cell('cell-002')).toMatchObject({ health: 'healthy', weight: 100 });
    expect(fleet.fleet.cell('cell-002')?.observedSharePercent).toBeCloseTo(33.33, 1);

    // The exact order of AWS calls (polls collapsed): eligibility of the two other cells (one
    // batched read), the drain (read, then change + sync + one traffic reading per step), the
    // restart, the stack wait, the health check, the restore, fifteen stability checks.
    expect(callSequence(fleet.calls.list())).toEqual([
      ...health,
      'route53.ListResourceRecordSets',
      ...times(4, [...weightStep, 'cloudwatch.GetMetricData']),
      'cloudformation.DescribeStacks',
      'cloudformation.DescribeStackEvents',
      'cloudformation.UpdateStack',
      ...times(2, ['cloudformation.DescribeStacks', 'cloudformation.DescribeStackEvents']),
      ...health,
      ...times(4, weightStep),
      ...times(15, health),
    ]);
    expect(weightsWritten(fleet, 'cell-002')).toEqual([75, 50, 25, 0, 25, 50, 75, 100]);
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(1);
    expect(fleet.calls.count({ outcome: 'error' })).toBe(0);

    // Search attributes and the guard after the run.
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(CellIdAttribute)).toBe('cell-002');
    expect(described.typedSearchAttributes.get(ProcedureAttribute)).toBe('cellRestart');
    expect(described.typedSearchAttributes.get(StepAttribute)).toBe('release-drain-permit');
    expect(permitsAfter).toEqual([]);
  });

  test('traffic that does not move: the drain stops at its first step, the weight goes back, the permit is released, TrafficDidNotMove', async () => {
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'traffic-stuck', cellId: 'cell-002' });
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const { failure, permitsAfter } = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      const failure = await failureOf(handle);
      await saveHistoryIfAsked(handle, 'cellRestart-traffic-stuck');
      return { failure, permitsAfter: await permits() };
    });

    expect(failure.type).toBe('TrafficDidNotMove');
    expect(failure.message).toMatch(/traffic of cell-002 did not follow weight 75: expected 27\.3% ± 5%, observed 3\d\.\d% after 3 readings/);
    const report = failure.details?.[0] as ProcedureReport;
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'in-service' });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['check-eligibility', 'done'],
      ['acquire-drain-permit', 'done'],
      ['drain-traffic', 'failed'],
      ['restore-traffic-back', 'done'],
      ['release-drain-permit', 'done'],
      ['notify-failure', 'done'],
    ]);
    expect(weightsWritten(fleet, 'cell-002')).toEqual([75, 100]);
    // One read of the other cells' health together, then the three traffic readings.
    expect(fleet.calls.count({ service: 'cloudwatch', command: 'GetMetricData' })).toBe(1 + 3);
    expect(fleet.calls.count({ service: 'cloudformation', command: 'UpdateStack' })).toBe(0);
    expect(fleet.fleet.weights()['cell-002']).toBe(100);
    expect(fleet.fleet.hooks().notifications.map((n) => n.subject)).toEqual(['Cell restart of cell-002 failed']);
    expect(permitsAfter).toEqual([]);
  });

  test('a restart that fails hands the drained cell over to cell replacement under the same workflow id, permit kept', async () => {
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'failing-stack-update', stackName: 'shop-cell-002', reason: 'CellService did not stabilize' });
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const { history, firstRun, permitsAfter } = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      const firstRun = (await handle.describe()).runId;
      // The restart run ends by continuing as new; the id's latest run is then the replacement.
      for (;;) {
        const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
        if (latest.runId !== firstRun) break;
        await env.sleep(10_000);
      }
      await saveHistoryIfAsked(env.client.workflow.getHandle(handle.workflowId, firstRun), 'cellRestart-escalated');
      return { history: await env.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory(), firstRun, permitsAfter: await permits() };
    });
    const last = history.events?.[history.events.length - 1];
    expect(last?.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    const continued = last?.workflowExecutionContinuedAsNewEventAttributes;
    expect(continued?.workflowType?.name).toBe('cellReplacement');
    const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(continued?.input?.payloads?.[0] ?? {});
    expect(input).toMatchObject({
      cellId: 'cell-002',
      requestedBy: 'alice@example.com',
      registry: fleet.registry,
      escalatedFrom: { workflowId: 'cell-recovery-cell-002', runId: firstRun, procedure: 'cellRestart', step: 'wait-stack-stable' },
    });
    expect((input.escalatedFrom as { error: string }).error).toMatch(/UPDATE_ROLLBACK_COMPLETE.*CellService did not stabilize/);
    expect((input.escalatedFrom as { report: ProcedureReport }).report).toMatchObject({ outcome: 'escalated', cellEndState: 'handed-over', escalatedTo: { procedure: 'cellReplacement' } });

    // Drained and handed over (not put back); the operator told; the permit stays with the id.
    expect(fleet.fleet.weights()['cell-002']).toBe(0);
    expect(fleet.fleet.stack('shop-cell-002')?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(fleet.fleet.hooks().notifications[0]).toMatchObject({ severity: 'critical', subject: 'Cell restart of cell-002 failed: replacing it' });
    expect(permitsAfter).toEqual([expect.objectContaining({ holder: 'cell-recovery-cell-002', cellId: 'cell-002' })]);
  });

  test('abort mid-drain: the cell goes back into service (its services were never touched), and the report says so', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const { report, permitsAfter } = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      // Let time run until the drain is half way.
      while ((fleet.fleet.weights()['cell-002'] ?? 100) > 50) await env.sleep(20_000);
      const progress: ProcedureProgress = await handle.query(progressQuery);
      expect(progress.currentStep).toBe('drain-traffic');
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'wrong cell' });
      const report = (await handle.result()) as ProcedureReport;
      await saveHistoryIfAsked(handle, 'cellRestart-abort-mid-drain');
      return { report, permitsAfter: await permits() };
    });
    expect(report).toMatchObject({ outcome: 'aborted', cellEndState: 'in-service', error: 'aborted by bob@example.com: wrong cell' });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['check-eligibility', 'done'],
      ['acquire-drain-permit', 'done'],
      ['drain-traffic', 'failed'],
      ['restore-traffic-back', 'done'],
      ['release-drain-permit', 'done'],
    ]);
    expect(weightsWritten(fleet, 'cell-002')).toEqual([75, 50, 75, 100]);
    expect(fleet.fleet.weights()['cell-002']).toBe(100);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
    expect(permitsAfter).toEqual([]);
  });

  test('pause holds the procedure before its next step however long it waits; resume carries on to the end', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const { held, report } = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      while ((fleet.fleet.weights()['cell-002'] ?? 100) > 50) await env.sleep(20_000);
      await handle.signal(pauseSignal, { requestedBy: 'bob@example.com', reason: 'checking a dashboard' });
      // The drain step runs to its end, then nothing starts for two hours.
      await env.sleep(2 * 3600_000);
      const held: ProcedureProgress = await handle.query(progressQuery);
      const updatesWhileHeld = fleet.calls.count({ command: 'UpdateStack' });
      const weightWhileHeld = fleet.fleet.weights()['cell-002'];
      await handle.signal(resumeSignal);
      return { held: { ...held, updatesWhileHeld, weightWhileHeld }, report: (await handle.result()) as ProcedureReport };
    });
    expect(held).toMatchObject({ state: 'paused', updatesWhileHeld: 0, weightWhileHeld: 0 });
    expect(held.steps.map((s) => s.name)).toEqual(['check-eligibility', 'acquire-drain-permit', 'drain-traffic']);
    expect(report).toMatchObject({ outcome: 'completed', cellEndState: 'in-service' });
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(1);
    expect(fleet.fleet.weights()['cell-002']).toBe(100);
  });

  test('an abort while paused before the restart: the services were never touched, so the drained cell goes back into service', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const report = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      while ((fleet.fleet.weights()['cell-002'] ?? 100) > 50) await env.sleep(20_000);
      await handle.signal(pauseSignal, { requestedBy: 'bob@example.com', reason: 'hold on' });
      await env.sleep(30 * 60_000);
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'not today' });
      return (await handle.result()) as ProcedureReport;
    });
    expect(report).toMatchObject({ outcome: 'aborted', cellEndState: 'in-service' });
    expect(report.steps.map((s) => s.name)).toEqual(['check-eligibility', 'acquire-drain-permit', 'drain-traffic', 'restore-traffic-back', 'release-drain-permit']);
    expect(weightsWritten(fleet, 'cell-002')).toEqual([75, 50, 25, 0, 25, 50, 75, 100]);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
  });

  test('a second alarm for a cell already in recovery starts nothing and names the running workflow; the first run is not disturbed', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const report = await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-003') });
      await expect(startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-003', { reason: 'cell-003-HighLatency', requestedBy: 'alarm-gateway' }) })).rejects.toThrow(
        new AlreadyInRecoveryError('cell-003', 'cell-recovery-cell-003', undefined, 'cellRestart'),
      );
      return (await handle.result()) as ProcedureReport;
    });
    expect(report.outcome).toBe('completed');
    expect(fleet.calls.count({ command: 'UpdateStack' })).toBe(1);
    const runs = [];
    for await (const w of env.client.workflow.list({ query: `CellId = "cell-003"` })) runs.push(w.workflowId);
    expect(runs).toEqual(['cell-recovery-cell-003']);
  });

  test('another cell unhealthy: the restart refuses at its first step (FleetNotHealthy naming it), from one read of the other cells, with nothing touched', async () => {
    const fleet = await createTestFleet(env);
    fleet.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    await env.sleep(4 * 60_000);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const since = fleet.calls.list().length;
    const failure = await workers.runUntil(async () => await failureOf(await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') })));

    expect(failure.type).toBe('FleetNotHealthy');
    expect(failure.message).toMatch(/^the rest of the fleet cannot take cell-002's traffic: cell-003: alarm cell-003-High\w+ is in ALARM/);
    expect(failure.message).not.toContain('cell-001');
    const report = failure.details?.[0] as ProcedureReport;
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'in-service', customersAffected: 0 });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['check-eligibility', 'failed'],
      ['notify-failure', 'done'],
    ]);
    // cell-001 and cell-003 read together (one DescribeAlarms, one GetMetricData), then the operator told.
    expect(callSequence(fleet.calls.list().slice(since))).toEqual([...health, 'hooks.notify']);
    expect(fleet.calls.count({ service: 'route53' })).toBe(0);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
  });

  test('the fleet guard refusing a drain: another cell is already out, so nothing is drained and the workflow fails DrainPermitRefused', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const guard = createFleetGuardActivities({ client: env.client });
    const failure = await workers.runUntil(async () => {
      const other = { requestToken: 't', holder: 'wave-deployment-7', cellId: 'cell-001', capacity: 1000, limits: { maxCellsOut: 1, maxCapacityOutPercent: 34, fleetCapacity: 3000 } };
      expect(await guard.requestDrainPermit(other)).toMatchObject({ granted: true });
      const failure = await failureOf(await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') }));
      await guard.releaseDrainPermit(other);
      return failure;
    });
    expect(failure.type).toBe('DrainPermitRefused');
    expect(failure.message).toBe('the fleet guard refused to let cell-002 out of service: 1 of at most 1 cells already out (cell-001)');
    const report = failure.details?.[0] as ProcedureReport;
    expect(report).toMatchObject({ outcome: 'failed', cellEndState: 'in-service', customersAffected: 0 });
    expect(fleet.calls.count({ service: 'route53' })).toBe(0);
    expect(fleet.calls.count({ service: 'cloudformation' })).toBe(0);
    expect(fleet.fleet.hooks().notifications.map((n) => n.message)).toEqual([expect.stringMatching(/acquire-drain-permit failed .*; nothing was changed\./)]);
  });
});
