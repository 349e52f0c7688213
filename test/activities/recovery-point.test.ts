import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type AlarmHistoryItem } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { ErrorType } from '../../activities/errors';
import { createRecoveryPointActivities } from '../../activities/recovery-point';
import { cloudWatchError, failureOf, noSleep, run } from './helpers';

const region = 'eu-west-1';
const cloudWatch = new CloudWatchClient({ region });
const cwMock = mockClient(cloudWatch);
const NOW = Date.parse('2026-03-01T12:00:00Z');
const activities = createRecoveryPointActivities(
  resolveDeps({ cloudFormation: new CloudFormationClient({ region }), route53: new Route53Client({ region }), cloudWatch, sleep: noSleep, clock: () => NOW }),
);

const change = (alarmName: string, at: string, from: string, to: string): AlarmHistoryItem => ({
  AlarmName: alarmName,
  AlarmType: 'MetricAlarm',
  Timestamp: new Date(at),
  HistoryItemType: 'StateUpdate',
  HistorySummary: `Alarm updated from ${from} to ${to}`,
  HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from }, newState: { stateValue: to } }),
});
const input = { requestToken: 'pitr-1-recovery-point', cellId: 'cell-002', alarms: ['cell-002-HighErrorRate', 'cell-002-HighLatency'], lookbackSeconds: 86_400 };

beforeEach(() => {
  cwMock.reset();
  cwMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'cell-002-HighErrorRate', StateValue: 'ALARM', EvaluationPeriods: 3, Metrics: [{ Id: 'errors', MetricStat: { Metric: {}, Period: 60, Stat: 'Sum' } }] },
      { AlarmName: 'cell-002-HighLatency', StateValue: 'ALARM', EvaluationPeriods: 5, Period: 60 },
    ],
  });
});

describe('findRecoveryPoint', () => {
  test('the last time the alarms left "all OK", less the longest alarm look-back, read from DescribeAlarmHistory page by page', async () => {
    // GIVEN an earlier incident that ended, then the current one (the latency alarm first)
    cwMock
      .on(DescribeAlarmHistoryCommand, { AlarmName: 'cell-002-HighErrorRate' })
      .resolvesOnce({ AlarmHistoryItems: [change('cell-002-HighErrorRate', '2026-03-01T08:00:00Z', 'OK', 'ALARM'), change('cell-002-HighErrorRate', '2026-03-01T08:30:00Z', 'ALARM', 'OK')], NextToken: 'p2' })
      .resolvesOnce({ AlarmHistoryItems: [change('cell-002-HighErrorRate', '2026-03-01T11:20:00Z', 'OK', 'ALARM')] });
    cwMock.on(DescribeAlarmHistoryCommand, { AlarmName: 'cell-002-HighLatency' }).resolves({ AlarmHistoryItems: [change('cell-002-HighLatency', '2026-03-01T11:10:00Z', 'OK', 'ALARM')] });

    // WHEN the recovery point is looked for
    const found = await run(activities.findRecoveryPoint, input);

    // THEN it is 11:10 (the latency alarm going off) less its five one-minute periods
    expect(found).toEqual({
      found: true,
      incidentStartedAt: '2026-03-01T11:10:00.000Z',
      recoveryPoint: '2026-03-01T11:05:00.000Z',
      marginSeconds: 300,
      windowStart: '2026-02-28T12:00:00.000Z',
      windowEnd: '2026-03-01T12:00:00.000Z',
      transitions: 4,
    });
    expect(cwMock).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, { AlarmName: 'cell-002-HighErrorRate', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending', NextToken: 'p2' });
  });

  test('alarms in ALARM throughout the window: no known-good time', async () => {
    cwMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    const found = await run(activities.findRecoveryPoint, input);
    expect(found.found ? 'found' : found.reason).toMatch(/were never all OK since 2026-02-28T12:00:00.000Z: no known-good time/);
  });

  test('alarms OK throughout the window: they do not show when the data went bad', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'cell-002-HighErrorRate', StateValue: 'OK', EvaluationPeriods: 3, Period: 60 }, { AlarmName: 'cell-002-HighLatency', StateValue: 'OK', EvaluationPeriods: 3, Period: 60 }] });
    cwMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    const found = await run(activities.findRecoveryPoint, input);
    expect(found.found ? 'found' : found.reason).toMatch(/stayed OK since .*: they do not show when the data went bad/);
  });

  test('an alarm that does not exist is named; a look-back beyond the two weeks CloudWatch keeps is refused; AWS errors keep their type', async () => {
    cwMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    expect(await run(activities.findRecoveryPoint, { ...input, alarms: [...input.alarms, 'cell-002-Gone'] })).toMatchObject({ found: false, reason: 'alarms cell-002-Gone of cell-002 do not exist' });
    expect((await failureOf(run(activities.findRecoveryPoint, { ...input, lookbackSeconds: 15 * 86_400 }))).type).toBe(ErrorType.ValidationFailed);
    cwMock.on(DescribeAlarmsCommand).rejects(cloudWatchError({ name: 'AccessDenied', message: 'not authorized to perform: cloudwatch:DescribeAlarms', status: 403 }));
    expect((await failureOf(run(activities.findRecoveryPoint, input))).type).toBe(ErrorType.AccessDenied);
  });
});
