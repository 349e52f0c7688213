import { DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, PriorRequestNotComplete } from '@aws-sdk/client-route-53';
import { cellRecord, errorOf, simulate, ZONE } from './helpers';

const describe1 = new DescribeStacksCommand({ StackName: 'shop-cell-001' });
const drain = (cellId: string) => new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord(cellId, 0) }] } });
const restart = (stackName: string, nonce: string) =>
  new UpdateStackCommand({
    StackName: stackName,
    UsePreviousTemplate: true,
    Parameters: [
      { ParameterKey: 'InstanceType', UsePreviousValue: true },
      { ParameterKey: 'RestartNonce', ParameterValue: nonce },
    ],
  });

describe('API faults', () => {
  test('throttling of the next N calls of one operation: Throttling / Rate exceeded, then normal again', async () => {
    const { clients, fleet, calls } = simulate();
    const fault = fleet.inject({ kind: 'throttling', service: 'cloudformation', command: 'DescribeStacks', count: 2 });
    for (let i = 0; i < 2; i += 1) {
      const err = await errorOf(clients.cloudFormation.send(describe1));
      expect([err.name, err.message, err.$fault, (err.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['Throttling', 'Rate exceeded', 'client', 400]);
    }
    expect(fault.active).toBe(false);
    await clients.cloudFormation.send(describe1);
    // Other operations were never affected.
    await clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE }));
    expect(calls.count({ command: 'DescribeStacks', outcome: 'Throttling' })).toBe(2);
    expect(calls.count({ outcome: 'ok' })).toBe(2);
  });

  test('throttling above a rate: calls beyond the rate per second of the fleet clock are refused', async () => {
    const { clients, fleet, clock, calls } = simulate();
    fleet.inject({ kind: 'throttling', service: 'route53', ratePerSecond: 5 });
    const list = () => clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })).then(() => 'ok', (e: Error) => e.name);
    const burst = [];
    for (let i = 0; i < 7; i += 1) burst.push(await list());
    expect(burst).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'Throttling', 'Throttling']);
    clock.advance(400);
    expect([await list(), await list(), await list()]).toEqual(['ok', 'ok', 'Throttling']);
    expect(calls.count({ service: 'route53', outcome: 'Throttling' })).toBe(3);
  });

  test('5xx: InternalFailure (500) and ServiceUnavailable (503) as server faults', async () => {
    const { clients, fleet } = simulate();
    fleet.inject({ kind: 'server-error', service: 'cloudwatch', count: 1 });
    fleet.inject({ kind: 'server-error', service: 'route53', code: 'ServiceUnavailable', count: 1 });
    const internal = await errorOf(clients.cloudWatch.send(new DescribeAlarmsCommand({})));
    const unavailable = await errorOf(clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })));
    expect([internal.name, internal.$fault, (internal.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['InternalFailure', 'server', 500]);
    expect([unavailable.name, unavailable.$fault, (unavailable.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['ServiceUnavailable', 'server', 503]);
  });

  test('slow responses take the delay on the fleet clock; an abort interrupts them', async () => {
    const { clients, fleet, clock, calls } = simulate();
    fleet.inject({ kind: 'slow-responses', service: 'cloudformation', delayMs: 4_000 });
    const before = clock.now();
    await clients.cloudFormation.send(describe1);
    expect(clock.now() - before).toBe(4_000);
    expect(calls.last({ command: 'DescribeStacks' })?.durationMs).toBe(4_000);
    const controller = new AbortController();
    controller.abort();
    const aborted = await errorOf(clients.cloudFormation.send(describe1, { abortSignal: controller.signal }));
    expect(aborted.name).toBe('AbortError');
  });

  test('PriorRequestNotComplete for a hosted zone, with the SDK class and AWS message', async () => {
    const { clients, fleet } = simulate();
    fleet.inject({ kind: 'prior-request-not-complete', hostedZoneId: ZONE, count: 1 });
    const err = await errorOf(clients.route53.send(drain('cell-001')));
    expect(err).toBeInstanceOf(PriorRequestNotComplete);
    expect(err.message).toBe('The request was rejected because Route 53 was still processing a prior request.');
    expect(fleet.weights()['cell-001']).toBe(100);
    await clients.route53.send(drain('cell-001'));
    expect(fleet.weights()['cell-001']).toBe(0);
  });
});

describe('fleet faults', () => {
  test('a stuck stack update stays UPDATE_IN_PROGRESS until the fault is cleared, then completes', async () => {
    const { clients, fleet, clock } = simulate();
    const stuck = fleet.inject({ kind: 'stuck-stack-update', cellId: 'cell-002' });
    await clients.cloudFormation.send(restart('shop-cell-002', 'n-1'));
    clock.advance(60 * 60_000);
    expect(fleet.stack('shop-cell-002')?.status).toBe('UPDATE_IN_PROGRESS');
    expect(fleet.cell('cell-002').health).toBe('restarting');
    stuck.clear();
    clock.advance(1_000);
    expect(fleet.stack('shop-cell-002')?.status).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    clock.advance(200);
    expect(fleet.stack('shop-cell-002')?.status).toBe('UPDATE_COMPLETE');
    expect(fleet.cell('cell-002').health).toBe('healthy');
  });

  test('a stuck fault on one stack leaves the others alone', async () => {
    const { clients, fleet, clock } = simulate();
    fleet.inject({ kind: 'stuck-stack-update', stackName: 'shop-cell-002' });
    await clients.cloudFormation.send(restart('shop-cell-001', 'n-1'));
    clock.advance(2_000);
    expect(fleet.stack('shop-cell-001')?.status).toBe('UPDATE_COMPLETE');
  });

  test('traffic stuck: the weights change but clients keep going where they went, until cleared', async () => {
    const { clients, fleet, clock } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 1_000 } });
    const stuck = fleet.inject({ kind: 'traffic-stuck', cellId: 'cell-001' });
    await clients.route53.send(drain('cell-001'));
    clock.advance(10_000);
    expect(fleet.cell('cell-001')).toMatchObject({ targetSharePercent: 0, observedSharePercent: 33.333 });
    stuck.clear();
    clock.advance(1_000);
    expect(fleet.cell('cell-001').observedSharePercent).toBe(0);
  });

  test('an unhealthy cell shows as unhealthy and recovers when cleared; faults can be listed and cleared all at once', () => {
    const { fleet } = simulate();
    fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-001' });
    fleet.inject({ kind: 'data-inaccessible', cellId: 'cell-002' });
    expect(fleet.cell('cell-001').health).toBe('unhealthy');
    expect(fleet.activeFaults().map((f) => f.spec.kind)).toEqual(['unhealthy-cell', 'data-inaccessible']);
    fleet.clearFaults();
    expect(fleet.activeFaults()).toEqual([]);
    expect(fleet.cell('cell-001').health).toBe('healthy');
  });

  test('an unhealthy cell cured by a restart: unhealthy until a restart-parameter update completes, a plain update cures nothing', async () => {
    // GIVEN cell-001 wedged by a fault a restart cures
    const { clients, fleet, clock } = simulate();
    fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-001', curedByRestart: true });
    expect(fleet.cell('cell-001').health).toBe('unhealthy');

    // WHEN an update leaves the restart parameter as it is, the cell stays unhealthy
    await clients.cloudFormation.send(new UpdateStackCommand({ StackName: 'shop-cell-001', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'InstanceType', ParameterValue: 'm7g.xlarge' }, { ParameterKey: 'RestartNonce', UsePreviousValue: true }] }));
    clock.advance(5_000);
    expect(fleet.cell('cell-001').health).toBe('unhealthy');

    // WHEN a restart is under way, still unhealthy; once it completed, healthy (the fault is still listed: cured, not cleared)
    await clients.cloudFormation.send(restart('shop-cell-001', 'n1'));
    clock.advance(500);
    expect(fleet.cell('cell-001').health).toBe('unhealthy');
    clock.advance(5_000);
    expect(fleet.stack('shop-cell-001')?.status).toBe('UPDATE_COMPLETE');
    expect(fleet.cell('cell-001').health).toBe('healthy');
    expect(fleet.activeFaults().map((f) => f.spec.kind)).toEqual(['unhealthy-cell']);
  });

  test('faults naming an unknown cell are refused at injection', () => {
    const { fleet } = simulate();
    expect(() => fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-999' })).toThrow(/unknown cell "cell-999"; the fleet has cell-001, cell-002, cell-003/);
    expect(() => fleet.inject({ kind: 'throttling', service: 'route53', count: 0 })).toThrow(/count must be a positive integer/);
  });
});

describe('random API errors', () => {
  const run = async (seed: string) => {
    const { clients, fleet, calls } = simulate();
    fleet.inject({ kind: 'random-api-errors', percent: 20, seed, afterEffectPercent: 50 });
    for (let i = 0; i < 100; i += 1) {
      await clients.cloudFormation.send(describe1).catch(() => undefined);
      await clients.route53.send(drain('cell-001')).catch(() => undefined);
    }
    return calls.list().map((c) => `${c.seq}:${c.outcome}${c.tookEffect ? '+acted' : ''}`);
  };

  test('about a fifth of the calls fail, throttled or 5xx, some 5xx after acting; the same seed fails the same calls', async () => {
    const first = await run('seed-a');
    const failed = first.filter((c) => !c.endsWith(':ok'));
    expect(failed.length).toBeGreaterThan(20);
    expect(failed.length).toBeLessThan(60);
    const kinds = new Set(failed.map((c) => c.split(':')[1].replace('+acted', '')));
    for (const kind of ['Throttling', 'InternalFailure', 'ServiceUnavailable']) expect(kinds).toContain(kind);
    expect(failed.some((c) => c.endsWith('+acted'))).toBe(true);
    expect(await run('seed-a')).toEqual(first);
    expect(await run('seed-b')).not.toEqual(first);
  });
});
