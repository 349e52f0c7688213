import {
  CloudWatchServiceException,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { cellRecord, errorOf, simulate, type Simulation } from './helpers';

const metric = (id: string, cellId: string, name: string, stat: string, period = 60): MetricDataQuery => ({
  Id: id,
  MetricStat: { Metric: { Namespace: 'Shop/Cells', MetricName: name, Dimensions: [{ Name: 'CellId', Value: cellId }] }, Period: period, Stat: stat },
});

/** GetMetricData over the last `minutes` whole minutes. */
async function read(sim: Simulation, queries: MetricDataQuery[], minutes = 5) {
  const end = Math.floor(sim.clock.now() / 60_000) * 60_000;
  const out = await sim.clients.cloudWatch.send(new GetMetricDataCommand({ StartTime: new Date(end - minutes * 60_000), EndTime: new Date(end), MetricDataQueries: queries }));
  return Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id ?? '', r]));
}

async function alarmStates(sim: Simulation): Promise<Record<string, string>> {
  const out = await sim.clients.cloudWatch.send(new DescribeAlarmsCommand({}));
  return Object.fromEntries((out.MetricAlarms ?? []).map((a) => [a.AlarmName ?? '', a.StateValue ?? '']));
}

describe('GetMetricData', () => {
  test('returns one datum a minute, newest first, with request counts following each cell share', async () => {
    const sim = simulate({ requestsPerSecond: 1_500 });
    sim.clock.advance(10 * 60_000);
    const results = await read(sim, [metric('r1', 'cell-001', 'RequestCount', 'Sum'), metric('r2', 'cell-002', 'RequestCount', 'Sum')]);
    const times = results.r1.Timestamps?.map((t) => t.getTime()) ?? [];
    expect(times).toHaveLength(5);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // 1500 rps over three equal cells: about 500 rps, 30,000 a minute each, with a little noise.
    for (const v of [...(results.r1.Values ?? []), ...(results.r2.Values ?? [])]) expect(v).toBeGreaterThan(28_000);
    for (const v of [...(results.r1.Values ?? []), ...(results.r2.Values ?? [])]) expect(v).toBeLessThan(32_000);
    expect(results.r1.Values).not.toEqual(results.r2.Values);
    expect(results.r1.StatusCode).toBe('Complete');
  });

  test('metrics follow health: an unhealthy cell errs and slows, the others do not', async () => {
    const sim = simulate();
    sim.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 30, latencyP99Ms: 2_500 });
    sim.clock.advance(5 * 60_000);
    const r = await read(sim, [
      metric('req', 'cell-002', 'RequestCount', 'Sum', 300),
      metric('err', 'cell-002', 'ErrorCount', 'Sum', 300),
      metric('p99', 'cell-002', 'Latency', 'p99', 300),
      metric('okP99', 'cell-001', 'Latency', 'p99', 300),
      metric('avail', 'cell-002', 'Availability', 'Average', 300),
      { Id: 'rate', Expression: '100 * err / req', Label: 'error rate' },
    ]);
    expect(r.rate.Values?.[0]).toBeCloseTo(30, 0);
    expect(r.p99.Values).toEqual([2_500]);
    expect(r.okP99.Values?.[0]).toBeLessThan(300);
    expect(r.avail.Values?.[0]).toBeCloseTo(70, 0);
  });

  test('a restart with traffic shows errors and latency while the stack is IN_PROGRESS, and none once done', async () => {
    const sim = simulate({ timing: { stackUpdateMs: 2 * 60_000 } });
    await sim.clients.cloudFormation.send(
      new UpdateStackCommand({ StackName: 'shop-cell-001', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'InstanceType', UsePreviousValue: true }, { ParameterKey: 'RestartNonce', ParameterValue: 'r1' }] }),
    );
    sim.clock.advance(2 * 60_000);
    expect(sim.fleet.recentMinutes('cell-001', 2).map((m) => m.errorRatePercent > 2)).toEqual([true, true]);
    sim.clock.advance(3 * 60_000);
    expect(sim.fleet.recentMinutes('cell-001', 2).map((m) => m.errorRatePercent < 1)).toEqual([true, true]);
  });

  test('a restart of a drained cell goes unnoticed in its metrics', async () => {
    const sim = simulate({ timing: { stackUpdateMs: 3 * 60_000, changePropagationMs: 0, dnsLagMs: 0 } });
    await sim.clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z0CELLOPS00001', ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-001', 0) }] } }));
    await sim.clients.cloudFormation.send(
      new UpdateStackCommand({ StackName: 'shop-cell-001', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'InstanceType', UsePreviousValue: true }, { ParameterKey: 'RestartNonce', ParameterValue: 'r1' }] }),
    );
    sim.clock.advance(2 * 60_000);
    expect(sim.fleet.cell('cell-001').health).toBe('restarting');
    expect(sim.fleet.recentMinutes('cell-001', 2).map((m) => [m.requests, m.errorRatePercent < 1, m.p99 < 300])).toEqual([
      [0, true, true],
      [0, true, true],
    ]);
  });

  test('only complete minutes have data; a start after the end is refused', async () => {
    const sim = simulate();
    sim.clock.advance(90_000);
    const end = sim.clock.now() + 60_000;
    const out = await sim.clients.cloudWatch.send(
      new GetMetricDataCommand({ StartTime: new Date(sim.clock.now() - 60_000), EndTime: new Date(end), MetricDataQueries: [metric('r', 'cell-001', 'RequestCount', 'Sum')] }),
    );
    expect(out.MetricDataResults?.[0]?.Timestamps?.map((t) => t.toISOString())).toEqual(['2026-01-05T00:00:00.000Z']);
    const err = await errorOf(sim.clients.cloudWatch.send(new GetMetricDataCommand({ StartTime: new Date(end), EndTime: new Date(end - 1), MetricDataQueries: [metric('r', 'cell-001', 'RequestCount', 'Sum')] })));
    expect(err.name).toBe('InvalidParameterValueException');
  });

  test('PutMetricData is readable back by GetMetricData', async () => {
    const sim = simulate();
    const at = sim.clock.now();
    await sim.clients.cloudWatch.send(
      new PutMetricDataCommand({ Namespace: 'Cellops', MetricData: [{ MetricName: 'ProcedureEvent', Dimensions: [{ Name: 'Event', Value: 'drained' }], Timestamp: new Date(at), Values: [1, 3], Counts: [1, 2] }] }),
    );
    sim.clock.advance(60_000);
    const out = await sim.clients.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(at),
        EndTime: new Date(at + 60_000),
        MetricDataQueries: [{ Id: 's', MetricStat: { Metric: { Namespace: 'Cellops', MetricName: 'ProcedureEvent', Dimensions: [{ Name: 'Event', Value: 'drained' }] }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([7]);
  });
});

describe('alarms', () => {
  test('registry alarms start OK, go ALARM while their cell is unhealthy, and back to OK after', async () => {
    const sim = simulate();
    expect(Object.values(await alarmStates(sim))).toEqual(Array(8).fill('OK')); // six cell alarms, two router alarms
    const fault = sim.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    sim.clock.advance(3 * 60_000);
    expect(await alarmStates(sim)).toMatchObject({ 'cell-003-HighErrorRate': 'ALARM', 'cell-003-HighLatency': 'ALARM', 'cell-001-HighErrorRate': 'OK', 'cell-002-HighLatency': 'OK' });
    const alarm = (await sim.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ['cell-003-HighErrorRate'] }))).MetricAlarms?.[0];
    expect(alarm?.StateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[.+\] were greater than the threshold \(1\.0\)/);
    expect(alarm?.StateUpdatedTimestamp?.getTime()).toBe(sim.clock.now());
    fault.clear();
    sim.clock.advance(3 * 60_000);
    expect(await alarmStates(sim)).toMatchObject({ 'cell-003-HighErrorRate': 'OK', 'cell-003-HighLatency': 'OK' });
  });

  test('a drained cell has no requests, so its error-rate alarm stays OK even when unhealthy', async () => {
    const sim = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 0 } });
    await sim.clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z0CELLOPS00001', ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-003', 0) }] } }));
    sim.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    sim.clock.advance(3 * 60_000);
    expect(await alarmStates(sim)).toMatchObject({ 'cell-003-HighErrorRate': 'OK', 'cell-003-HighLatency': 'ALARM' });
  });

  test('a new alarm is INSUFFICIENT_DATA first, then evaluated; PutMetricAlarm again keeps its state', async () => {
    const sim = simulate({ timing: { alarmFirstEvaluationMs: 10_000 } });
    const put = new PutMetricAlarmCommand({
      AlarmName: 'post-recovery-cell-001',
      Namespace: 'Shop/Cells',
      MetricName: 'Availability',
      Dimensions: [{ Name: 'CellId', Value: 'cell-001' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 2,
      Threshold: 99.9,
      ComparisonOperator: 'LessThanThreshold',
    });
    await sim.clients.cloudWatch.send(put);
    const first = (await sim.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ['post-recovery-cell-001'] }))).MetricAlarms?.[0];
    expect([first?.StateValue, first?.StateReason]).toEqual(['INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation']);
    sim.clock.advance(10_000);
    expect((await alarmStates(sim))['post-recovery-cell-001']).toBe('OK');
    await sim.clients.cloudWatch.send(new PutMetricAlarmCommand({ ...put.input, Threshold: 100.1, ComparisonOperator: 'GreaterThanThreshold' }));
    const updated = (await sim.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ['post-recovery-cell-001'] }))).MetricAlarms?.[0];
    expect([updated?.StateValue, updated?.Threshold]).toEqual(['OK', 100.1]);
  });

  test('SetAlarmState holds for a while, then the alarm returns to its evaluated state', async () => {
    const sim = simulate({ timing: { alarmStateOverrideMs: 30_000 } });
    await sim.clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'cell-001-HighErrorRate', StateValue: 'ALARM', StateReason: 'drill' }));
    const set = (await sim.clients.cloudWatch.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))).MetricAlarms ?? [];
    expect(set.map((a) => [a.AlarmName, a.StateReason])).toEqual([['cell-001-HighErrorRate', 'drill']]);
    sim.clock.advance(30_000);
    expect((await alarmStates(sim))['cell-001-HighErrorRate']).toBe('OK');
  });

  test('SetAlarmState of an unknown alarm is ResourceNotFound; DeleteAlarms deletes what exists and names what does not', async () => {
    const sim = simulate();
    const missing = await errorOf(sim.clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' })));
    expect(missing).toBeInstanceOf(ResourceNotFound);
    expect(missing).toBeInstanceOf(CloudWatchServiceException);
    expect([missing.name, missing.$fault, (missing.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['ResourceNotFound', 'client', 404]);
    const partly = await errorOf(sim.clients.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: ['cell-001-HighLatency', 'nope'] })));
    expect(partly.name).toBe('ResourceNotFound');
    expect(Object.keys(await alarmStates(sim))).not.toContain('cell-001-HighLatency');
  });

  test('an alarm over metric math (the activities’ error-rate alarm) is evaluated', async () => {
    const sim = simulate({ timing: { alarmFirstEvaluationMs: 0 } });
    const m = (name: string) => ({ Namespace: 'Shop/Cells', MetricName: name, Dimensions: [{ Name: 'CellId', Value: 'cell-002' }] });
    await sim.clients.cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'cell-002-post-recovery-errors',
        EvaluationPeriods: 1,
        Threshold: 0.5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: [
          { Id: 'errors', MetricStat: { Metric: m('ErrorCount'), Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'requests', MetricStat: { Metric: m('RequestCount'), Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'errorRate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', ReturnData: true },
        ],
      }),
    );
    sim.clock.advance(60_000);
    expect((await alarmStates(sim))['cell-002-post-recovery-errors']).toBe('OK');
    sim.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002', errorRatePercent: 5 });
    sim.clock.advance(60_000);
    expect((await alarmStates(sim))['cell-002-post-recovery-errors']).toBe('ALARM');
  });
});
