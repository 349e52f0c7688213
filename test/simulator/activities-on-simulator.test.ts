import { ApplicationFailure, CancelledFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, ErrorType, type ActivityDeps, type AwsActivities } from '../../activities';
import type { AwsFailureDetails } from '../../activities/errors';
import { HookErrorType, hookActivities } from '../../activities/hooks';
import { TokenBucket } from '../../activities/rate-limit';
import type { WeightedRecord } from '../../domain/registry/schema';
import { createSimulatedHooks } from '../../simulator';
import { registry, simulate, type Simulation } from './helpers';

const quiet: Logger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const environment = () => new MockActivityEnvironment(undefined, { logger: quiet });

/** Runs one activity in a fresh mock activity environment, keeping its types. */
function run<I, O>(activity: (input: I) => Promise<O>, input: I, env = environment()): Promise<O> {
  return env.run<[I], O, (input: I) => Promise<O>>(activity, input);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome: unknown = await promise.then(
    () => new Error('expected a failure, but the activity completed'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof ApplicationFailure)) throw outcome instanceof Error ? outcome : new Error(String(outcome));
  return outcome;
}

function cell(id: string) {
  const found = registry.cells.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no ${id} in the example registry`);
  return found;
}
const weighted = (id: string): WeightedRecord => cell(id).route53;

interface Harness extends Simulation {
  activities: AwsActivities;
}

/** The real activities, wired to the simulated clients, sleeping and reading time on the fleet's virtual clock. */
function harness(options: Parameters<typeof simulate>[0] = {}, deps: Partial<ActivityDeps> = {}): Harness {
  const sim = simulate(options);
  const activities = createActivities({
    ...sim.clients,
    sleep: sim.clock.sleep,
    clock: sim.clock.now,
    route53Limiter: new TokenBucket({ ratePerSecond: 5, clock: sim.clock.now, sleep: sim.clock.sleep }),
    stackPollIntervalMs: 500,
    changePollIntervalMs: 250,
    throttleRetry: { baseDelayMs: 100, maxDelayMs: 1_000 },
    ...deps,
  });
  return { ...sim, activities };
}

const health = (h: Harness, cellId: string) =>
  run(h.activities.getCellHealth, { requestToken: `health-${cellId}`, cellId, alarms: cell(cellId).alarms, metrics: cell(cellId).metrics, windowSeconds: 180 });

describe('a cell restart, step by step, on the simulated fleet', () => {
  test('drain, restart, wait, check, restore: each step does what it says, once', async () => {
    const h = harness({ requestsPerSecond: 1_500 });
    const { activities, fleet, calls, clock } = h;

    // Drain cell-002.
    const weights = await run(activities.readCellWeights, { requestToken: 'wf:read', records: registry.cells.map((c) => c.route53) });
    expect(weights.records.map((r) => [r.setIdentifier, r.weight])).toEqual([
      ['cell-001', 100],
      ['cell-002', 100],
      ['cell-003', 100],
    ]);
    const drained = await run(activities.setCellWeights, { requestToken: 'wf:drain', changes: [{ record: weighted('cell-002'), weight: 0 }] });
    const sync = await run(activities.waitForChangesInSync, { requestToken: 'wf:drain-sync', changeIds: drained.changes.map((c) => c.changeId) });
    expect(sync.polls).toBeGreaterThan(1);
    clock.advance(3 * 60_000);
    const shares = await run(activities.getTrafficShares, {
      requestToken: 'wf:shares',
      cells: registry.cells.map((c) => ({ cellId: c.id, metrics: c.metrics })),
      windowSeconds: 60,
    });
    expect(shares.shares.find((s) => s.cellId === 'cell-002')?.sharePercent).toBe(0);

    // Restart it, and wait.
    const restart = await run(activities.restartCellServices, { requestToken: 'wf:restart', stackName: 'shop-cell-002', restartParameter: 'RestartNonce' });
    expect(restart).toMatchObject({ noOp: false, alreadyStarted: false });
    const waited = await run(activities.waitForStack, { requestToken: 'wf:wait', stackName: 'shop-cell-002', until: 'stable' });
    expect(waited.status).toBe('UPDATE_COMPLETE');
    expect(fleet.stack('shop-cell-002')?.parameters.RestartNonce).toBe(restart.clientRequestToken);

    // A retried restart (same request token) finds its own operation, and does not restart again.
    const retried = await run(activities.restartCellServices, { requestToken: 'wf:restart', stackName: 'shop-cell-002', restartParameter: 'RestartNonce' });
    expect(retried.noOp || retried.alreadyStarted).toBe(true);
    expect(calls.count({ command: 'UpdateStack', outcome: 'ok' })).toBe(1);

    // Check, restore.
    clock.advance(3 * 60_000);
    const checked = await health(h, 'cell-002');
    expect(checked.inAlarm).toEqual([]);
    const restored = await run(activities.setCellWeights, { requestToken: 'wf:restore', changes: [{ record: weighted('cell-002'), weight: 100 }] });
    await run(activities.waitForChangesInSync, { requestToken: 'wf:restore-sync', changeIds: restored.changes.map((c) => c.changeId) });
    clock.advance(10_000);
    expect(fleet.cell('cell-002')).toMatchObject({ weight: 100, observedSharePercent: 33.333, health: 'healthy', stackStatus: 'UPDATE_COMPLETE' });
    expect(calls.count({ service: 'route53', command: 'ChangeResourceRecordSets' })).toBe(2);
  });

  test('an emergency cell: deployCellStack creates it, an UPSERT of its record puts it in the fleet; a second deploy is a no-op', async () => {
    const { activities, fleet } = harness();
    const stack = { name: 'shop-cell-004', template: { templateUrl: 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell.yaml' }, parameters: { InstanceType: 'm7g.large', RestartNonce: 'initial' }, restartParameter: 'RestartNonce' };
    const created = await run(activities.deployCellStack, { requestToken: 'emergency:create', stack });
    expect(created).toMatchObject({ operation: 'create', noOp: false });
    expect((await run(activities.waitForStack, { requestToken: 'emergency:wait', stackName: 'shop-cell-004', until: 'stable' })).status).toBe('CREATE_COMPLETE');
    const record = { ...registry.cells[0].route53, setIdentifier: 'cell-004', value: 'cell-004.shop.example.com' };
    await run(activities.setCellWeights, { requestToken: 'emergency:weights', changes: [{ record, weight: 100 }] });
    expect(fleet.cell('cell-004')).toMatchObject({ source: 'discovered', stackName: 'shop-cell-004', stackStatus: 'CREATE_COMPLETE', health: 'healthy', targetSharePercent: 25 });
    const again = await run(activities.deployCellStack, { requestToken: 'emergency:create-2', stack });
    expect(again).toMatchObject({ operation: 'update', noOp: true });
  });

  test('deleteCellStack then waitForStack until deleted; deleting again is a no-op', async () => {
    const { activities, fleet } = harness();
    const deleted = await run(activities.deleteCellStack, { requestToken: 'decommission:delete', stackName: 'shop-cell-003' });
    expect(deleted.noOp).toBe(false);
    expect((await run(activities.waitForStack, { requestToken: 'decommission:wait', stackName: 'shop-cell-003', until: 'deleted' })).status).toBe('NOT_FOUND');
    expect(fleet.cell('cell-003')).toMatchObject({ stackStatus: 'NONE', health: 'down' });
    expect((await run(activities.deleteCellStack, { requestToken: 'decommission:delete-2', stackName: 'shop-cell-003' })).noOp).toBe(true);
  });

  test('removeCellRecords takes a drained cell out of its weighted group; a repeat finds it gone', async () => {
    const { activities, fleet } = harness();
    const drained = await run(activities.setCellWeights, { requestToken: 'decommission:drain', changes: [{ record: weighted('cell-003'), weight: 0 }] });
    await run(activities.waitForChangesInSync, { requestToken: 'decommission:drain-sync', changeIds: drained.changes.map((c) => c.changeId) });
    const removed = await run(activities.removeCellRecords, { requestToken: 'decommission:remove', records: [weighted('cell-003')] });
    expect(removed).toMatchObject({ removed: ['cell-003'], alreadyGone: [] });
    await run(activities.waitForChangesInSync, { requestToken: 'decommission:remove-sync', changeIds: removed.changes.map((c) => c.changeId) });
    expect(fleet.weights()).toEqual({ 'cell-001': 100, 'cell-002': 100 });
    expect(fleet.cell('cell-003').weight).toBeUndefined();
    const again = await run(activities.removeCellRecords, { requestToken: 'decommission:remove-2', records: [weighted('cell-003')] });
    expect(again).toEqual({ removed: [], alreadyGone: ['cell-003'], changes: [] });
  });

  test('post-recovery alarms and procedure events reach CloudWatch', async () => {
    const { activities, fleet, clock, calls } = harness({ timing: { alarmFirstEvaluationMs: 0 } });
    const alarms = [{ alarmName: 'cell-001-post-recovery-errors', metrics: cell('cell-001').metrics, signal: 'errorRatePercent' as const, threshold: 1, evaluationPeriods: 1 }];
    await run(activities.putPostRecoveryAlarms, { requestToken: 'pr:put', cellId: 'cell-001', alarms });
    await run(activities.recordProcedureEvent, { requestToken: 'pr:event', procedure: 'cell-restart', event: 'restored', cellId: 'cell-001', timestamp: new Date(clock.now()).toISOString() });
    clock.advance(60_000);
    expect(fleet.alarms().find((a) => a.name === 'cell-001-post-recovery-errors')).toMatchObject({ state: 'OK', cellId: 'cell-001' });
    fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-001' });
    clock.advance(60_000);
    expect(fleet.alarms().find((a) => a.name === 'cell-001-post-recovery-errors')?.state).toBe('ALARM');
    await run(activities.deletePostRecoveryAlarms, { requestToken: 'pr:delete', alarmNames: ['cell-001-post-recovery-errors'] });
    await run(activities.deletePostRecoveryAlarms, { requestToken: 'pr:delete', alarmNames: ['cell-001-post-recovery-errors'] });
    expect(fleet.alarms().map((a) => a.name)).not.toContain('cell-001-post-recovery-errors');
    expect(fleet.snapshot().customMetrics).toEqual([{ namespace: 'Cellops', metricName: 'ProcedureEvent', dimensions: { Procedure: 'cell-restart', Event: 'restored', CellId: 'cell-001' }, datapoints: 1 }]);
    expect(calls.count({ command: 'DeleteAlarms', outcome: 'ResourceNotFound' })).toBe(1);
  });
});

describe('the activities under every injected fault', () => {
  test('unhealthy cell: getCellHealth sees its alarms firing, errors and latency', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 20, latencyP99Ms: 2_000 });
    h.clock.advance(3 * 60_000);
    const sick = await health(h, 'cell-002');
    expect(sick.inAlarm).toEqual(['cell-002-HighErrorRate', 'cell-002-HighLatency']);
    expect(sick.metrics.errorRatePercent).toBeCloseTo(20, 0);
    expect(sick.metrics.latencyP99Ms).toBe(2_000);
    expect((await health(h, 'cell-001')).inAlarm).toEqual([]);
  });

  test('stuck stack update: waitForStack keeps polling and heartbeating until cancelled; once cleared it completes', async () => {
    const h = harness();
    const stuck = h.fleet.inject({ kind: 'stuck-stack-update', cellId: 'cell-001' });
    await run(h.activities.restartCellServices, { requestToken: 'stuck:restart', stackName: 'shop-cell-001', restartParameter: 'RestartNonce' });
    const env = environment();
    const beats: { status: string; polls: number }[] = [];
    env.on('heartbeat', (details: { status: string; polls: number }) => {
      beats.push(details);
      if (details.polls === 20) env.cancel();
    });
    const waiting = run(h.activities.waitForStack, { requestToken: 'stuck:wait', stackName: 'shop-cell-001', until: 'stable' }, env);
    await expect(waiting).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats.map((b) => b.status)).toEqual(Array(20).fill('UPDATE_IN_PROGRESS'));
    stuck.clear();
    expect((await run(h.activities.waitForStack, { requestToken: 'stuck:wait', stackName: 'shop-cell-001', until: 'stable' })).status).toBe('UPDATE_COMPLETE');
  });

  test('failing stack update: waitForStack fails non-retryably naming the resource and the reason', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'failing-stack-update', cellId: 'cell-003', reason: 'Task failed ELB health checks' });
    await run(h.activities.restartCellServices, { requestToken: 'fail:restart', stackName: 'shop-cell-003', restartParameter: 'RestartNonce' });
    const failure = await failureOf(run(h.activities.waitForStack, { requestToken: 'fail:wait', stackName: 'shop-cell-003', until: 'stable' }));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.StackOperationFailed, true]);
    expect(failure.message).toBe('stack shop-cell-003 ended in UPDATE_ROLLBACK_COMPLETE: CellService (AWS::ECS::Service) UPDATE_FAILED: Task failed ELB health checks');
  });

  test('stack create failure: the wait fails with the reason, and a later deploy needs an operator', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-009', reason: 'No capacity in eu-west-1a' });
    const stack = { name: 'shop-cell-009', template: { templateUrl: 'https://example.com/cell.yaml' }, parameters: {}, restartParameter: 'RestartNonce' };
    await run(h.activities.deployCellStack, { requestToken: 'create9', stack });
    const failure = await failureOf(run(h.activities.waitForStack, { requestToken: 'create9:wait', stackName: 'shop-cell-009', until: 'stable' }));
    expect(failure.message).toMatch(/ended in ROLLBACK_COMPLETE: CellService \(AWS::ECS::Service\) CREATE_FAILED: No capacity in eu-west-1a$/);
    const again = await failureOf(run(h.activities.deployCellStack, { requestToken: 'create9-again', stack }));
    expect([again.type, again.nonRetryable]).toEqual([ErrorType.StackOperationFailed, true]);
  });

  test('throttling of a few calls is absorbed by the activity’s retries; lasting throttling ends as AwsThrottled', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'throttling', service: 'route53', command: 'ChangeResourceRecordSets', count: 3 });
    await run(h.activities.setCellWeights, { requestToken: 'throttled:drain', changes: [{ record: weighted('cell-001'), weight: 50 }] });
    expect(h.calls.list({ command: 'ChangeResourceRecordSets' }).map((c) => c.outcome)).toEqual(['Throttling', 'Throttling', 'Throttling', 'ok']);
    expect(h.fleet.weights()['cell-001']).toBe(50);

    h.fleet.inject({ kind: 'throttling', service: 'cloudwatch' });
    const failure = await failureOf(health(h, 'cell-001'));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.AwsThrottled, false]);
    expect(h.calls.count({ service: 'cloudwatch', outcome: 'Throttling' })).toBe(8);
  });

  test('5xx: AwsUnavailable, retryable, with the HTTP status and the request id of the failed call', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'server-error', service: 'cloudformation', code: 'ServiceUnavailable', count: 1 });
    const failure = await failureOf(run(h.activities.restartCellServices, { requestToken: 'r5xx', stackName: 'shop-cell-001', restartParameter: 'RestartNonce' }));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.AwsUnavailable, false]);
    const details = failure.details?.[0] as AwsFailureDetails;
    expect(details).toMatchObject({ awsErrorCode: 'ServiceUnavailable', httpStatusCode: 503, fault: 'server', requestId: h.calls.last({ outcome: 'ServiceUnavailable' })?.requestId });
    // The next attempt (the fault was for one call) goes through.
    expect((await run(h.activities.restartCellServices, { requestToken: 'r5xx', stackName: 'shop-cell-001', restartParameter: 'RestartNonce' })).noOp).toBe(false);
  });

  test('slow responses: the call takes the delay on the fleet clock, and the activity still gets its answer', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'slow-responses', service: 'route53', command: 'ListResourceRecordSets', delayMs: 8_000 });
    const before = h.clock.now();
    const read = await run(h.activities.readCellWeights, { requestToken: 'slow:read', records: [weighted('cell-003')] });
    expect(read.records.map((r) => r.weight)).toEqual([100]);
    expect(h.clock.now() - before).toBeGreaterThanOrEqual(8_000);
    expect(h.calls.last({ command: 'ListResourceRecordSets' })?.durationMs).toBe(8_000);
  });

  test('PriorRequestNotComplete is retried until Route 53 takes the change', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'prior-request-not-complete', hostedZoneId: 'Z0CELLOPS00001', count: 2 });
    await run(h.activities.setCellWeights, { requestToken: 'busy:drain', changes: [{ record: weighted('cell-003'), weight: 0 }] });
    expect(h.calls.list({ command: 'ChangeResourceRecordSets' }).map((c) => c.outcome)).toEqual(['PriorRequestNotComplete', 'PriorRequestNotComplete', 'ok']);
  });

  test('traffic stuck: the change is INSYNC, yet the measured share does not move', async () => {
    const h = harness();
    h.fleet.inject({ kind: 'traffic-stuck', cellId: 'cell-002' });
    const drained = await run(h.activities.setCellWeights, { requestToken: 'stuck:drain', changes: [{ record: weighted('cell-002'), weight: 0 }] });
    await run(h.activities.waitForChangesInSync, { requestToken: 'stuck:sync', changeIds: drained.changes.map((c) => c.changeId) });
    h.clock.advance(5 * 60_000);
    const shares = await run(h.activities.getTrafficShares, { requestToken: 'stuck:shares', cells: registry.cells.map((c) => ({ cellId: c.id, metrics: c.metrics })), windowSeconds: 120 });
    expect(shares.shares.find((s) => s.cellId === 'cell-002')?.sharePercent).toBeCloseTo(33.3, 0);
  });

  test('hook faults reach the hook activities a worker registers: data inaccessible, integrity failure, hook failure', async () => {
    const h = harness();
    const hooks = hookActivities(createSimulatedHooks(h.fleet));
    h.fleet.inject({ kind: 'data-inaccessible', cellId: 'cell-001', reason: 'EBS volume impaired' });
    h.fleet.inject({ kind: 'integrity-failure', cellId: 'cell-002' });
    h.fleet.inject({ kind: 'hook-failure', hook: 'shedLoad', count: 1 });
    expect(await run(hooks.checkDataAccessible, { requestToken: 'h1', cellId: 'cell-001' })).toEqual({ accessible: false, reason: 'EBS volume impaired' });
    expect((await run(hooks.validateDataIntegrity, { requestToken: 'h2', cellId: 'cell-002' })).ok).toBe(false);
    expect((await failureOf(run(hooks.shedLoad, { requestToken: 'h3', percent: 10 }))).type).toBe(HookErrorType.HookUnavailable);
    expect(await run(hooks.shedLoad, { requestToken: 'h3', percent: 10 })).toEqual({ sheddingPercent: 10 });
  });
});

describe('found by running the activities on the simulator', () => {
  // AWS answers DeleteStack on a busy stack with "Stack [arn] cannot be deleted while in status
  // UPDATE_IN_PROGRESS"; the activity must treat it like UpdateStack's busy wording.
  test('deleteCellStack on a stack busy with an update fails retryably (ResourceBusy)', async () => {
    const h = harness();
    await run(h.activities.restartCellServices, { requestToken: 'busy:restart', stackName: 'shop-cell-001', restartParameter: 'RestartNonce' });
    const failure = await failureOf(run(h.activities.deleteCellStack, { requestToken: 'busy:delete', stackName: 'shop-cell-001' }));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ResourceBusy, false]);
  });
});
