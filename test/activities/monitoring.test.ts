/**
 * The cell monitoring activities against a mocked CloudWatch client, with the errors CloudWatch
 * really sends: `DashboardNotFoundError` (query code `ResourceNotFound`, 404) for a missing
 * dashboard, `DashboardInvalidInputError` (`InvalidParameterInput`) for a bad body, throttling.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DashboardInvalidInputError,
  DashboardNotFoundError,
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { ErrorType } from '../../activities/errors';
import { cellDashboardBody, createMonitoringActivities } from '../../activities/monitoring';
import type { MetricsSpec } from '../../domain/registry/schema';
import { cloudWatchError, failureOf, noSleep, run } from './helpers';

const region = 'eu-west-1';
const cloudWatch = new CloudWatchClient({ region });
const cwMock = mockClient(cloudWatch);
const activities = createMonitoringActivities(
  resolveDeps({ cloudFormation: new CloudFormationClient({ region }), route53: new Route53Client({ region }), cloudWatch, sleep: noSleep, clock: () => Date.parse('2026-03-01T12:00:00Z') }),
);

const metrics: MetricsSpec = {
  namespace: 'Shop/Cells',
  dimensions: { CellId: 'cell-004' },
  requestCount: 'RequestCount',
  errorCount: 'ErrorCount',
  latency: 'Latency',
  availability: 'Availability',
};
const $metadata = (status: number) => ({ httpStatusCode: status, requestId: 'req-1' });
const dashboardMissing = (name: string) => Object.assign(new DashboardNotFoundError({ $metadata: $metadata(404), message: `Dashboard ${name} does not exist` }), { Code: 'ResourceNotFound' });

beforeEach(() => cwMock.reset());

describe('putCellAlarms', () => {
  test('puts each alarm, tagged as the cell\'s monitoring; utilisation as requests per second over capacity', async () => {
    cwMock.on(PutMetricAlarmCommand).resolves({});
    const result = await run(activities.putCellAlarms, {
      requestToken: 't-1',
      target: { region },
      cellId: 'cell-004',
      alarms: [
        { alarmName: 'cellops-cell-004-error-rate', metrics, signal: 'errorRatePercent', threshold: 1 },
        { alarmName: 'cellops-cell-004-utilization', metrics, signal: 'utilizationPercent', threshold: 80, capacityRps: 1000 },
      ],
    });
    expect(result.alarmNames).toEqual(['cellops-cell-004-error-rate', 'cellops-cell-004-utilization']);
    expect(cwMock).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 2);
    const utilization = cwMock.commandCalls(PutMetricAlarmCommand)[1].args[0].input;
    expect(utilization.Tags).toEqual([
      { Key: 'cellops:cell', Value: 'cell-004' },
      { Key: 'cellops:purpose', Value: 'cell-monitoring' },
    ]);
    // 60 s periods of a 1000 rps cell: 100% is 60,000 requests, so 1% is 600.
    expect(utilization.Metrics?.find((m) => m.Id === 'utilization')?.Expression).toBe('requests / 600');
    expect(utilization.ComparisonOperator).toBe('GreaterThanThreshold');
  });

  test('a utilisation alarm without a capacity is refused before any call', async () => {
    const failure = await failureOf(
      run(activities.putCellAlarms, { requestToken: 't', cellId: 'cell-004', alarms: [{ alarmName: 'cellops-cell-004-utilization', metrics, signal: 'utilizationPercent', threshold: 80 }] }),
    );
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(cwMock).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 0);
  });
});

describe('putCellDashboard', () => {
  const input = { requestToken: 't-2', target: { region }, cellId: 'cell-004', dashboardName: 'cellops-cell-004', metrics, capacityRps: 1000 };

  test('puts the dashboard with the cell\'s graphs in its region, and passes on CloudWatch\'s warnings', async () => {
    cwMock.on(PutDashboardCommand).resolves({ DashboardValidationMessages: [{ DataPath: '/widgets/5', Message: 'metric has no data' }] });
    const result = await run(activities.putCellDashboard, input);
    expect(result).toEqual({ dashboardName: 'cellops-cell-004', warnings: ['/widgets/5: metric has no data'] });
    const sent = cwMock.commandCalls(PutDashboardCommand)[0].args[0].input;
    expect(sent.DashboardName).toBe('cellops-cell-004');
    expect(sent.DashboardBody).toBe(cellDashboardBody(input, region));
    const body = JSON.parse(sent.DashboardBody ?? '') as { widgets: { properties: { region: string; title: string } }[] };
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      'cell-004 requests',
      'cell-004 error rate (%)',
      'cell-004 p99 latency (ms)',
      'cell-004 availability (%)',
      'cell-004 utilisation (% of 1000 rps)',
      'cell-004 CPU and memory (%)',
    ]);
    expect(body.widgets.every((w) => w.properties.region === region)).toBe(true);
  });

  test('a body CloudWatch refuses fails non-retryably with its validation messages', async () => {
    cwMock.on(PutDashboardCommand).rejects(
      Object.assign(new DashboardInvalidInputError({ $metadata: $metadata(400), message: 'The dashboard body is invalid, there are 1 validation errors' }), {
        Code: 'InvalidParameterInput',
        dashboardValidationMessages: [{ DataPath: '/widgets/0/properties/metrics', Message: 'Should NOT have more than 500 items' }],
      }),
    );
    const failure = await failureOf(run(activities.putCellDashboard, input));
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('/widgets/0/properties/metrics: Should NOT have more than 500 items');
  });

  test('throttling is retried within the activity', async () => {
    cwMock.on(PutDashboardCommand).rejectsOnce(cloudWatchError({ name: 'Throttling', message: 'Rate exceeded' })).resolves({});
    await expect(run(activities.putCellDashboard, input)).resolves.toMatchObject({ dashboardName: 'cellops-cell-004' });
    expect(cwMock).toHaveReceivedCommandTimes(PutDashboardCommand, 2);
  });
});

describe('deleteCellMonitoring', () => {
  const input = { requestToken: 't-3', target: { region }, alarmNames: ['cellops-cell-004-error-rate'], dashboardNames: ['cellops-cell-004', 'cellops-cell-004-extra'] };

  test('deletes the alarms and the dashboards, one call each', async () => {
    cwMock.on(DeleteAlarmsCommand).resolves({});
    cwMock.on(DeleteDashboardsCommand).resolves({});
    const result = await run(activities.deleteCellMonitoring, input);
    expect(result).toEqual({ alarmNames: ['cellops-cell-004-error-rate'], dashboardsDeleted: ['cellops-cell-004', 'cellops-cell-004-extra'] });
    expect(cwMock).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: ['cellops-cell-004-error-rate'] });
    expect(cwMock).toHaveReceivedCommandWith(DeleteDashboardsCommand, { DashboardNames: ['cellops-cell-004', 'cellops-cell-004-extra'] });
  });

  test('one dashboard already gone fails the batch (none deleted): the others are deleted on their own', async () => {
    cwMock.on(DeleteAlarmsCommand).resolves({});
    cwMock.on(DeleteDashboardsCommand).rejectsOnce(dashboardMissing('cellops-cell-004-extra')).resolves({});
    cwMock.on(GetDashboardCommand, { DashboardName: 'cellops-cell-004' }).resolves({ DashboardName: 'cellops-cell-004', DashboardBody: '{"widgets":[]}' });
    cwMock.on(GetDashboardCommand, { DashboardName: 'cellops-cell-004-extra' }).rejects(dashboardMissing('cellops-cell-004-extra'));
    const result = await run(activities.deleteCellMonitoring, input);
    expect(result.dashboardsDeleted).toEqual(['cellops-cell-004']);
    expect(cwMock).toHaveReceivedCommandTimes(DeleteDashboardsCommand, 2);
    expect(cwMock).toHaveReceivedNthSpecificCommandWith(2, DeleteDashboardsCommand, { DashboardNames: ['cellops-cell-004'] });
  });

  test('a repeat after everything is gone succeeds (the query-protocol code ResourceNotFound too)', async () => {
    cwMock.on(DeleteAlarmsCommand).resolves({});
    cwMock.on(DeleteDashboardsCommand).rejects(cloudWatchError({ name: 'ResourceNotFound', message: 'Dashboard cellops-cell-004 does not exist', status: 404 }));
    cwMock.on(GetDashboardCommand).rejects(dashboardMissing('cellops-cell-004'));
    const result = await run(activities.deleteCellMonitoring, input);
    expect(result.dashboardsDeleted).toEqual([]);
    expect(cwMock).toHaveReceivedCommandTimes(DeleteDashboardsCommand, 1);
  });

  test('access denied is not treated as gone', async () => {
    cwMock.on(DeleteAlarmsCommand).resolves({});
    cwMock.on(DeleteDashboardsCommand).rejects(cloudWatchError({ name: 'AccessDenied', message: 'User is not authorized to perform: cloudwatch:DeleteDashboards', status: 403 }));
    const failure = await failureOf(run(activities.deleteCellMonitoring, input));
    expect(failure.type).toBe(ErrorType.AccessDenied);
  });
});

describe('getCellUtilization', () => {
  test('requests per second and their share of capacity over the window; CPU and memory when published, else null', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'requests', Values: [270_000], StatusCode: 'Complete' },
          { Id: 'cpu', Values: [71.24], StatusCode: 'Complete' },
          { Id: 'memory', Values: [40], StatusCode: 'Complete' },
        ],
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', Values: [], StatusCode: 'Complete' }, { Id: 'cpu', Values: [] }, { Id: 'memory', Values: [] }] });
    const result = await run(activities.getCellUtilization, {
      requestToken: 't-4',
      cells: [
        { cellId: 'cell-001', metrics, capacityRps: 1000 },
        { cellId: 'cell-002', metrics, capacityRps: 1000 },
      ],
      windowSeconds: 300,
      endTime: '2026-03-01T12:00:30Z',
    });
    expect(result.window).toEqual({ start: '2026-03-01T11:55:00.000Z', end: '2026-03-01T12:00:00.000Z', periodSeconds: 300 });
    expect(result.cells).toEqual([
      { cellId: 'cell-001', requestsPerSecond: 900, requestUtilizationPercent: 90, cpuPercent: 71.2, memoryPercent: 40 },
      { cellId: 'cell-002', requestsPerSecond: null, requestUtilizationPercent: null, cpuPercent: null, memoryPercent: null },
    ]);
  });
});
