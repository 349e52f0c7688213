import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  InvalidParameterValueException,
  LimitExceededFault,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { ErrorType } from '../../activities/errors';
import { createHealthActivities, type PostRecoveryAlarm } from '../../activities/health';
import type { MetricsSpec } from '../../domain/registry/schema';
import { failureOf, noSleep, run } from './helpers';

const region = 'eu-west-1';
const cloudWatch = new CloudWatchClient({ region });
const cwMock = mockClient(cloudWatch);
const NOW = Date.parse('2026-03-01T12:34:56.789Z');
const activities = createHealthActivities(
  resolveDeps({
    cloudFormation: new CloudFormationClient({ region }),
    route53: new Route53Client({ region }),
    cloudWatch,
    sleep: noSleep,
    clock: () => NOW,
    metricsNamespace: 'Cellops/Test',
  }),
);

const metrics = (cellId: string): MetricsSpec => ({
  namespace: 'App',
  dimensions: { Cell: cellId },
  requestCount: 'RequestCount',
  errorCount: 'ErrorCount',
  latency: 'Latency',
  availability: 'Availability',
});
const alarm = (name: string, state: MetricAlarm['StateValue']): MetricAlarm => ({
  AlarmName: name,
  StateValue: state,
  StateReason: `${name} is ${state}`,
  StateUpdatedTimestamp: new Date('2026-03-01T12:00:00Z'),
});
const series = (id: string, values: number[], status: 'Complete' | 'PartialData' | 'Forbidden' = 'Complete') => ({
  Id: id,
  Label: id,
  Values: values,
  Timestamps: values.map(() => new Date(0)),
  StatusCode: status,
});

beforeEach(() => cwMock.reset());

describe('getCellHealth', () => {
  const input = {
    requestToken: 'cell-restart-cell-002:check-1',
    cellId: 'cell-002',
    alarms: ['cell-002-errors', 'cell-002-latency', 'cell-002-gone'],
    metrics: metrics('cell-002'),
    windowSeconds: 300,
    endTime: '2026-03-01T12:10:30Z',
  };

  test('reads the alarms and all metrics in one call each, over a window aligned to the minute', async () => {
    // GIVEN one alarm firing, one fine, one unknown, and five minutes of metrics
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('cell-002-errors', 'ALARM'), alarm('cell-002-latency', 'OK')] });
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('requests', [2000]), series('errors', [50]), series('p99', [480]), series('availability', [99.2])],
    });

    // WHEN the cell's health is read
    const health = await run(activities.getCellHealth, input);

    // THEN the figures are derived from the sums, and the alarms sorted out
    expect(health).toEqual({
      cellId: 'cell-002',
      window: { start: '2026-03-01T12:05:00.000Z', end: '2026-03-01T12:10:00.000Z', periodSeconds: 300 },
      alarms: [
        { name: 'cell-002-errors', state: 'ALARM', reason: 'cell-002-errors is ALARM', updatedAt: '2026-03-01T12:00:00.000Z' },
        { name: 'cell-002-latency', state: 'OK', reason: 'cell-002-latency is OK', updatedAt: '2026-03-01T12:00:00.000Z' },
      ],
      inAlarm: ['cell-002-errors'],
      missingAlarms: ['cell-002-gone'],
      metrics: { requestCount: 2000, errorCount: 50, errorRatePercent: 2.5, latencyP99Ms: 480, availabilityPercent: 99.2 },
      partialData: false,
      noData: [],
      unreadable: [],
    });
    expect(cwMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
    expect(cwMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: input.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const request = cwMock.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(request.StartTime).toEqual(new Date('2026-03-01T12:05:00Z'));
    expect(request.EndTime).toEqual(new Date('2026-03-01T12:10:00Z'));
    expect(request.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['requests', 'RequestCount', 'Sum', 300],
      ['errors', 'ErrorCount', 'Sum', 300],
      ['p99', 'Latency', 'p99', 300],
      ['availability', 'Availability', 'Average', 300],
    ]);
    expect(request.MetricDataQueries?.[0].MetricStat?.Metric?.Dimensions).toEqual([{ Name: 'Cell', Value: 'cell-002' }]);
  });

  test('reports no error rate rather than zero when the cell served no requests', async () => {
    // GIVEN a drained cell with no datapoints
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('requests', []), series('errors', []), series('p99', []), series('availability', [], 'PartialData')],
    });

    // WHEN its health is read, without alarms and without an end time
    const health = await run(activities.getCellHealth, { ...input, alarms: [], endTime: undefined });

    // THEN the rates are unknown, the window ends at the clock's minute, and DescribeAlarms was skipped
    expect(health.metrics).toEqual({ requestCount: 0, errorCount: 0, errorRatePercent: null, latencyP99Ms: null, availabilityPercent: null });
    expect(health.noData).toEqual(['errorRate', 'latencyP99', 'availability']);
    expect(health.window.end).toBe('2026-03-01T12:34:00.000Z');
    expect(health.partialData).toBe(true);
    expect(cwMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 0);
  });

  test('adds up counts but keeps the worst latency and availability when CloudWatch returns two periods', async () => {
    // GIVEN a window that CloudWatch answered with two datapoints per metric
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('requests', [600, 400]), series('errors', [3, 7]), series('p99', [300, 900]), series('availability', [99.9, 97])],
    });

    // WHEN the health is read
    const health = await run(activities.getCellHealth, input);

    // THEN counts are summed and the other figures are the worse of the two, never an average
    expect(health.metrics).toEqual({ requestCount: 1000, errorCount: 10, errorRatePercent: 1, latencyP99Ms: 900, availabilityPercent: 97 });
  });

  test('reads only the signals the criteria need: no percentile query when latency is not a criterion', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('requests', [500]), series('errors', [5])] });
    const health = await run(activities.getCellHealth, { ...input, alarms: [], signals: ['errorRate'] });
    const request = cwMock.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(request.MetricDataQueries?.map((q) => q.Id)).toEqual(['requests', 'errors']);
    expect(health.metrics).toMatchObject({ errorRatePercent: 1, latencyP99Ms: null, availabilityPercent: null });
    expect(health.noData).toEqual([]);
  });

  test('an endpoint that rejects the p99 statistic: the rest is read again without it, latency reported unreadable, not an error', async () => {
    // GIVEN CloudWatch rejecting any request with the extended statistic, as an emulator or account without it does
    cwMock.on(GetMetricDataCommand).callsFake((request: { MetricDataQueries?: { Id?: string }[] }) => {
      if (request.MetricDataQueries?.some((q) => q.Id === 'p99')) {
        return Promise.reject(new InvalidParameterValueException({ $metadata: { httpStatusCode: 400 }, message: 'The parameter ExtendedStatistic is not supported' }));
      }
      return Promise.resolve({ MetricDataResults: [series('requests', [1000]), series('errors', [2]), series('availability', [99.9])] });
    });

    // WHEN the health is read
    const health = await run(activities.getCellHealth, { ...input, alarms: [] });

    // THEN the other signals are there, latency is no data with the reason kept
    expect(health.metrics).toEqual({ requestCount: 1000, errorCount: 2, errorRatePercent: 0.2, latencyP99Ms: null, availabilityPercent: 99.9 });
    expect(health.noData).toEqual(['latencyP99']);
    expect(health.unreadable).toEqual([{ signal: 'latencyP99', reason: expect.stringContaining('ExtendedStatistic is not supported') as string }]);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });

  test('fails for good when CloudWatch denies access to a metric', async () => {
    // GIVEN a metric the worker may not read
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('requests', [], 'Forbidden')] });

    // WHEN the health is read
    const failure = await failureOf(run(activities.getCellHealth, input));

    // THEN AccessDenied
    expect(failure.type).toBe(ErrorType.AccessDenied);
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('getFleetHealth', () => {
  const cells = Array.from({ length: 130 }, (_, i) => {
    const cellId = `cell-${String(i + 1).padStart(3, '0')}`;
    return { cellId, alarms: [`${cellId}-errors`, `${cellId}-latency`], metrics: metrics(cellId) };
  });
  const input = { requestToken: 'cell-restart-cell-999:eligibility', cells, windowSeconds: 300, endTime: '2026-03-01T12:10:30Z' };

  /** Answers each GetMetricData with a series per query: cell-007 erring, every other cell fine. */
  function fleetMetrics(): void {
    cwMock.on(GetMetricDataCommand).callsFake((request: { MetricDataQueries: { Id: string; MetricStat: { Metric: { Dimensions: { Value: string }[] } } }[] }) => ({
      MetricDataResults: request.MetricDataQueries.map((q) => {
        const cell = q.MetricStat.Metric.Dimensions[0].Value;
        const signal = q.Id.includes('_') ? q.Id.split('_')[1] : q.Id;
        const value = { requests: 1000, errors: cell === 'cell-007' ? 80 : 2, p99: 300, availability: 99.9 }[signal] ?? 0;
        return series(q.Id, [value]);
      }),
    }));
  }

  test('reads 130 cells in 2 DescribeAlarms and 2 GetMetricData calls (500 queries at most), each cell as getCellHealth reads it alone', async () => {
    // GIVEN cell-007 erring and its error alarm firing, every other cell fine
    cwMock.on(DescribeAlarmsCommand).callsFake((request: { AlarmNames: string[] }) => ({
      MetricAlarms: request.AlarmNames.map((name) => alarm(name, name === 'cell-007-errors' ? 'ALARM' : 'OK')),
    }));
    fleetMetrics();

    // WHEN the fleet's health is read
    const healths = await run(activities.getFleetHealth, input);

    // THEN few calls, within CloudWatch's limits
    expect(cwMock.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 100, 60]);
    expect(cwMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length)).toEqual([500, 20]);
    // AND one health per cell, in the input's order, the same as a read of that cell alone
    expect(healths.map((h) => h.cellId)).toEqual(cells.map((c) => c.cellId));
    const seventh = healths[6];
    expect(seventh).toMatchObject({ cellId: 'cell-007', inAlarm: ['cell-007-errors'], metrics: { requestCount: 1000, errorCount: 80, errorRatePercent: 8, latencyP99Ms: 300, availabilityPercent: 99.9 } });
    cwMock.reset();
    cwMock.on(DescribeAlarmsCommand).callsFake((request: { AlarmNames: string[] }) => ({
      MetricAlarms: request.AlarmNames.map((name) => alarm(name, name === 'cell-007-errors' ? 'ALARM' : 'OK')),
    }));
    fleetMetrics();
    const alone = await run(activities.getCellHealth, { requestToken: 'alone', ...cells[6], windowSeconds: 300, endTime: input.endTime });
    expect(seventh).toEqual(alone);
    expect(healths.filter((h) => h.inAlarm.length > 0 || (h.metrics.errorRatePercent ?? 0) > 1).map((h) => h.cellId)).toEqual(['cell-007']);
  });

  test('an alarm CloudWatch does not know is missing for its cell only; no alarms, no DescribeAlarms', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('cell-001-errors', 'OK')] });
    fleetMetrics();
    const two = [
      { cellId: 'cell-001', alarms: ['cell-001-errors', 'cell-001-latency'], metrics: metrics('cell-001') },
      { cellId: 'cell-002', alarms: [], metrics: metrics('cell-002') },
    ];
    const [first, second] = await run(activities.getFleetHealth, { ...input, cells: two });
    expect(first).toMatchObject({ alarms: [{ name: 'cell-001-errors', state: 'OK' }], missingAlarms: ['cell-001-latency'] });
    expect(second).toMatchObject({ alarms: [], missingAlarms: [], inAlarm: [] });

    cwMock.reset();
    fleetMetrics();
    await run(activities.getFleetHealth, { ...input, cells: [two[1]] });
    expect(cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  test('an endpoint that rejects the p99 statistic: every cell read again without it, latency unreadable', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cwMock
      .on(GetMetricDataCommand)
      .rejectsOnce(new InvalidParameterValueException({ message: 'The parameter ExtendedStatistic is not supported', $metadata: {} }))
      .callsFake((request: { MetricDataQueries: { Id: string }[] }) => ({ MetricDataResults: request.MetricDataQueries.map((q) => series(q.Id, [q.Id.endsWith('requests') ? 100 : 0])) }));
    const healths = await run(activities.getFleetHealth, { ...input, cells: cells.slice(0, 3) });
    expect(cwMock.commandCalls(GetMetricDataCommand)[1].args[0].input.MetricDataQueries?.some((q) => q.Id?.endsWith('p99'))).toBe(false);
    for (const h of healths) {
      expect(h.unreadable.map((u) => u.signal)).toEqual(['latencyP99']);
      expect(h.noData).toContain('latencyP99');
    }
  });
});

describe('getTrafficShares', () => {
  test('splits the requests of several cells from one GetMetricData', async () => {
    // GIVEN three cells' request counts
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('cell0', [750]), series('cell1', [250]), series('cell2', [])] });

    // WHEN the shares are read
    const shares = await run(activities.getTrafficShares, {
      requestToken: 'wf:shares',
      cells: ['cell-001', 'cell-002', 'cell-003'].map((cellId) => ({ cellId, metrics: metrics(cellId) })),
      windowSeconds: 120,
      endTime: '2026-03-01T12:00:00Z',
    });

    // THEN each cell's share of the total, with one query per cell in one request
    expect(shares.totalRequests).toBe(1000);
    expect(shares.shares).toEqual([
      { cellId: 'cell-001', requestCount: 750, sharePercent: 75 },
      { cellId: 'cell-002', requestCount: 250, sharePercent: 25 },
      { cellId: 'cell-003', requestCount: 0, sharePercent: 0 },
    ]);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const queries = cwMock.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries ?? [];
    expect(queries.map((q) => [q.Id, q.Label, q.MetricStat?.Metric?.Dimensions?.[0].Value])).toEqual([
      ['cell0', 'cell-001', 'cell-001'],
      ['cell1', 'cell-002', 'cell-002'],
      ['cell2', 'cell-003', 'cell-003'],
    ]);
  });

  test('has no shares when no cell served anything', async () => {
    // GIVEN no requests at all
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('cell0', []), series('cell1', [])] });

    // WHEN the shares are read
    const shares = await run(activities.getTrafficShares, {
      requestToken: 'wf:shares',
      cells: ['cell-001', 'cell-002'].map((cellId) => ({ cellId, metrics: metrics(cellId) })),
      windowSeconds: 60,
    });

    // THEN the shares are unknown, not a division by zero
    expect(shares.shares.map((s) => s.sharePercent)).toEqual([null, null]);
  });
});

describe('recordProcedureEvent', () => {
  const input = { requestToken: 'cell-restart-cell-002:event-drained', procedure: 'cell-restart', event: 'drained', cellId: 'cell-002', timestamp: '2026-03-01T12:00:05Z' };

  test('puts a gauge at the timestamp from the input, so a repeat writes the same datum', async () => {
    // GIVEN CloudWatch accepting data
    cwMock.on(PutMetricDataCommand).resolves({});

    // WHEN the same event is recorded twice (a retried activity)
    await run(activities.recordProcedureEvent, input);
    const result = await run(activities.recordProcedureEvent, input);

    // THEN both requests are identical and carry the input's time, not the clock's
    const [first, second] = cwMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(first).toEqual({
      Namespace: 'Cellops/Test',
      MetricData: [
        {
          MetricName: 'ProcedureEvent',
          Dimensions: [
            { Name: 'Procedure', Value: 'cell-restart' },
            { Name: 'Event', Value: 'drained' },
            { Name: 'CellId', Value: 'cell-002' },
          ],
          Timestamp: new Date('2026-03-01T12:00:05Z'),
          Value: 1,
          Unit: 'None',
        },
      ],
    });
    expect(second).toEqual(first);
    expect(result).toEqual({ namespace: 'Cellops/Test', metricName: 'ProcedureEvent', timestamp: '2026-03-01T12:00:05.000Z' });
  });

  test('refuses a timestamp that is not a time', async () => {
    // GIVEN a malformed timestamp
    // WHEN the event is recorded
    const failure = await failureOf(run(activities.recordProcedureEvent, { ...input, timestamp: 'yesterday' }));

    // THEN ValidationFailed, nothing sent
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(cwMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  });
});

describe('putPostRecoveryAlarms', () => {
  const spec = metrics('cell-002');
  const alarms: PostRecoveryAlarm[] = [
    { alarmName: 'cell-002-post-recovery-errors', metrics: spec, signal: 'errorRatePercent', threshold: 0.5, alarmActions: ['arn:aws:sns:eu-west-1:1:ops'] },
    { alarmName: 'cell-002-post-recovery-p99', metrics: spec, signal: 'latencyP99Ms', threshold: 400, periodSeconds: 30, evaluationPeriods: 4, datapointsToAlarm: 3 },
    { alarmName: 'cell-002-post-recovery-availability', metrics: spec, signal: 'availabilityPercent', threshold: 99.9 },
  ];
  const input = { requestToken: 'cell-restart-cell-002:watch', cellId: 'cell-002', alarms };

  test('writes each alarm with its metric, statistic and comparison', async () => {
    // GIVEN CloudWatch accepting alarms
    cwMock.on(PutMetricAlarmCommand).resolves({});

    // WHEN the post-recovery alarms are put
    const result = await run(activities.putPostRecoveryAlarms, input);

    // THEN the error rate is metric math over the sums, p99 an extended statistic, availability an average
    expect(result.alarmNames).toEqual(alarms.map((a) => a.alarmName));
    expect(cwMock).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: 'cell-002-post-recovery-errors',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: ['arn:aws:sns:eu-west-1:1:ops'],
      Metrics: [
        { Id: 'errors', MetricStat: { Metric: { Namespace: 'App', MetricName: 'ErrorCount', Dimensions: [{ Name: 'Cell', Value: 'cell-002' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'requests', MetricStat: { Metric: { Namespace: 'App', MetricName: 'RequestCount', Dimensions: [{ Name: 'Cell', Value: 'cell-002' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'errorRate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', Label: 'Error rate (%)', ReturnData: true },
      ],
    });
    expect(cwMock).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: 'cell-002-post-recovery-p99',
      Namespace: 'App',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Period: 30,
      EvaluationPeriods: 4,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 400,
    });
    expect(cwMock).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: 'cell-002-post-recovery-availability',
      MetricName: 'Availability',
      Statistic: 'Average',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 99.9,
    });
  });

  test('a repeat overwrites the alarms with the same definitions', async () => {
    // GIVEN CloudWatch accepting alarms
    cwMock.on(PutMetricAlarmCommand).resolves({});

    // WHEN the same alarms are put twice
    await run(activities.putPostRecoveryAlarms, input);
    await run(activities.putPostRecoveryAlarms, input);

    // THEN the second round sent exactly what the first did
    const inputs = cwMock.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(inputs.slice(3)).toEqual(inputs.slice(0, 3));
  });

  test('fails for good when the account has no room for more alarms', async () => {
    // GIVEN the alarm quota reached
    cwMock.on(PutMetricAlarmCommand).rejects(new LimitExceededFault({ $metadata: { httpStatusCode: 400, requestId: 'req-q' }, message: 'The maximum number of alarms has been reached' }));

    // WHEN the alarms are put
    const failure = await failureOf(run(activities.putPostRecoveryAlarms, input));

    // THEN QuotaExceeded, not retried
    expect(failure.type).toBe(ErrorType.QuotaExceeded);
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('deletePostRecoveryAlarms', () => {
  const input = { requestToken: 'cell-restart-cell-002:unwatch', alarmNames: ['a1', 'a2'] };
  const notFound = () => new ResourceNotFound({ $metadata: { httpStatusCode: 404, requestId: 'req-nf' }, message: 'Alarm a2 not found' });

  test('deletes the alarms in one call', async () => {
    // GIVEN both alarms exist
    cwMock.on(DeleteAlarmsCommand).resolves({});

    // WHEN they are deleted
    await run(activities.deletePostRecoveryAlarms, input);

    // THEN one DeleteAlarms names both
    expect(cwMock).toHaveReceivedCommandTimes(DeleteAlarmsCommand, 1);
    expect(cwMock).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: ['a1', 'a2'] });
  });

  test('treats a missing alarm as deleted, and deletes any others CloudWatch left in place', async () => {
    // GIVEN a2 already gone, and a1 left standing by the failed batch
    cwMock.on(DeleteAlarmsCommand).rejectsOnce(notFound()).resolves({});
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('a1', 'OK')] });

    // WHEN the alarms are deleted
    const result = await run(activities.deletePostRecoveryAlarms, input);

    // THEN a1 is deleted on its own and the activity succeeds
    expect(result.alarmNames).toEqual(['a1', 'a2']);
    expect(cwMock).toHaveReceivedCommandTimes(DeleteAlarmsCommand, 2);
    expect(cwMock).toHaveReceivedNthSpecificCommandWith(2, DeleteAlarmsCommand, { AlarmNames: ['a1'] });
  });

  test('a repeat after everything is gone succeeds', async () => {
    // GIVEN both alarms already deleted
    cwMock.on(DeleteAlarmsCommand).rejects(notFound());
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });

    // WHEN they are deleted again
    const result = await run(activities.deletePostRecoveryAlarms, input);

    // THEN nothing is left to do
    expect(result.alarmNames).toEqual(['a1', 'a2']);
    expect(cwMock).toHaveReceivedCommandTimes(DeleteAlarmsCommand, 1);
  });
});
