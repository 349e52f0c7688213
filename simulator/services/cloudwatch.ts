import type {
  AlarmHistoryItem,
  DeleteAlarmsInput,
  DeleteDashboardsInput,
  GetDashboardInput,
  ListDashboardsInput,
  PutDashboardInput,
  DescribeAlarmHistoryInput,
  DescribeAlarmsInput,
  DisableAlarmActionsInput,
  EnableAlarmActionsInput,
  GetMetricDataInput,
  GetMetricStatisticsInput,
  ListMetricsInput,
  Metric,
  MetricDataQuery,
  MetricDataResult,
  PutMetricAlarmInput,
  PutMetricDataInput,
  SetAlarmStateInput,
} from '@aws-sdk/client-cloudwatch';
import { fail } from '../aws-errors';
import { describeAlarm } from '../model/alarms';
import { CELL_METRICS, isSupportedStatistic } from '../model/metrics';
import type { FleetModel } from '../model/fleet-model';
import { UnsupportedExpressionError, evaluateSeries, type Series } from '../model/metric-math';
import { operation, pageToken, readPageToken, type ServiceHandlers } from './handler';

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
/** CloudWatch keeps alarm history for two weeks. */
const ALARM_HISTORY_RETENTION_MS = 14 * 86_400_000;
const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function invalid(value: unknown, parameter: string): never {
  return fail('InvalidParameterValueException', `The value ${String(value)} for parameter ${parameter} is invalid.`);
}

function validPeriod(period: number | undefined, parameter: string): number {
  const p = period ?? 60;
  if (!([1, 5, 10, 20, 30].includes(p) || (p >= 60 && p % 60 === 0))) invalid(p, parameter);
  return p;
}

function timeRange(start: Date | undefined, end: Date | undefined): [number, number] {
  if (start === undefined) fail('MissingRequiredParameterException', 'The parameter StartTime is required.');
  if (end === undefined) fail('MissingRequiredParameterException', 'The parameter EndTime is required.');
  if (start.getTime() >= end.getTime()) fail('InvalidParameterValueException', 'The parameter StartTime must be less than the parameter EndTime.');
  return [start.getTime(), end.getTime()];
}

/**
 * The simulated CloudWatch API: GetMetricData over each cell's synthetic series (and metrics
 * published with PutMetricData), newest first, with a subset of metric math; alarms evaluated
 * over the same data, created or replaced by PutMetricAlarm, overridden for a while by
 * SetAlarmState, `ResourceNotFound` for unknown ones.
 */
export function cloudWatchHandlers(model: FleetModel): ServiceHandlers {
  const requireAlarm = (name: string | undefined) => {
    const alarm = model.alarms.get(name ?? '');
    if (alarm === undefined) fail('ResourceNotFound', `Alarm ${name ?? ''} not found`);
    return alarm;
  };

  return {
    GetMetricData: operation<GetMetricDataInput>((input) => {
      const [start, end] = timeRange(input.StartTime, input.EndTime);
      const queries = input.MetricDataQueries ?? [];
      if (queries.length === 0 || queries.length > 500) invalid(queries.length, 'MetricDataQueries');
      const series: Record<string, Series> = {};
      queries.forEach((q, i) => {
        const where = `MetricDataQueries.member.${i + 1}`;
        if (q.Id === undefined || !QUERY_ID.test(q.Id)) invalid(q.Id, `${where}.Id`);
        if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
          fail('ValidationError', `Exactly one element of the metricStat or the expression must be set in ${where}.`);
        }
        if (q.MetricStat !== undefined) {
          validPeriod(q.MetricStat.Period, `${where}.MetricStat.Period`);
          if (!isSupportedStatistic(q.MetricStat.Stat ?? '')) invalid(q.MetricStat.Stat, `${where}.MetricStat.Stat`);
          series[q.Id] = model.readMetricStat(q, start, end);
        }
      });
      queries.forEach((q, i) => {
        if (q.Expression === undefined || q.Id === undefined) return;
        try {
          series[q.Id] = evaluateSeries(q.Expression, series);
        } catch (err) {
          if (!(err instanceof UnsupportedExpressionError)) throw err;
          fail('ValidationError', `The value ${q.Expression} for parameter MetricDataQueries.member.${i + 1}.Expression is not valid: ${err.message}`);
        }
      });
      const ascending = input.ScanBy === 'TimestampAscending';
      const results: MetricDataResult[] = queries
        .filter((q: MetricDataQuery) => q.ReturnData !== false)
        .map((q) => {
          const points = [...(series[q.Id ?? ''] ?? new Map<number, number>()).entries()].filter(([t]) => t >= Math.floor(start / 60_000) * 60_000 && t < end);
          points.sort(([a], [b]) => (ascending ? a - b : b - a));
          return {
            Id: q.Id,
            Label: q.Label ?? q.MetricStat?.Metric?.MetricName ?? q.Id,
            Timestamps: points.map(([t]) => new Date(t)),
            Values: points.map(([, v]) => v),
            StatusCode: 'Complete',
          };
        });
      return { MetricDataResults: results, Messages: [] };
    }),

    GetMetricStatistics: operation<GetMetricStatisticsInput>((input) => {
      const [start, end] = timeRange(input.StartTime, input.EndTime);
      const period = validPeriod(input.Period, 'Period');
      const statistics = [...(input.Statistics ?? []), ...(input.ExtendedStatistics ?? [])];
      if (statistics.length === 0) fail('MissingRequiredParameterException', 'The parameter Statistics or ExtendedStatistics is required.');
      const read = (stat: string) =>
        model.readMetricStat({ Id: 'm', MetricStat: { Metric: { Namespace: input.Namespace, MetricName: input.MetricName, Dimensions: input.Dimensions }, Period: period, Stat: stat } }, start, end);
      const byStat = Object.fromEntries(statistics.map((s) => [s, read(s)]));
      const timestamps = [...new Set(Object.values(byStat).flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
      return {
        Label: input.MetricName,
        Datapoints: timestamps.map((t) => ({
          Timestamp: new Date(t),
          ...Object.fromEntries((input.Statistics ?? []).map((s) => [s, byStat[s].get(t)])),
          ExtendedStatistics: input.ExtendedStatistics === undefined ? undefined : Object.fromEntries(input.ExtendedStatistics.map((s) => [s, byStat[s].get(t) ?? 0])),
          Unit: input.Unit ?? 'None',
        })),
      };
    }),

    PutMetricData: operation<PutMetricDataInput>((input) => {
      const namespace = input.Namespace ?? fail('MissingRequiredParameterException', 'The parameter Namespace is required.');
      if (namespace.startsWith('AWS/')) invalid(namespace, 'Namespace');
      const now = model.now();
      (input.MetricData ?? []).forEach((datum, i) => {
        const where = `MetricData.member.${i + 1}`;
        const values = datum.Value !== undefined ? [datum.Value] : (datum.Values ?? []).flatMap((v, j) => Array<number>(datum.Counts?.[j] ?? 1).fill(v));
        for (const v of values) if (!Number.isFinite(v)) invalid(v, `${where}.Value`);
        const s = datum.StatisticValues;
        const stats = s === undefined ? undefined : { sampleCount: s.SampleCount ?? 0, sum: s.Sum ?? 0, min: s.Minimum ?? 0, max: s.Maximum ?? 0 };
        model.customMetrics.put(namespace, datum.MetricName ?? invalid(datum.MetricName, `${where}.MetricName`), datum.Dimensions ?? [], datum.Unit, {
          at: datum.Timestamp?.getTime() ?? now,
          values,
          stats,
        });
      });
      model.touch();
      return {};
    }),

    ListMetrics: operation<ListMetricsInput>((input) => {
      const metrics: Metric[] = [];
      for (const cell of model.cells.values()) {
        const Dimensions = Object.entries(cell.metrics.dimensions).map(([Name, Value]) => ({ Name, Value }));
        for (const m of CELL_METRICS) metrics.push({ Namespace: cell.metrics.namespace, MetricName: cell.metrics[m], Dimensions });
      }
      for (const m of model.customMetrics.all()) metrics.push({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions });
      const wanted = (m: Metric) =>
        (input.Namespace === undefined || m.Namespace === input.Namespace) &&
        (input.MetricName === undefined || m.MetricName === input.MetricName) &&
        (input.Dimensions ?? []).every((f) => (m.Dimensions ?? []).some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)));
      return { Metrics: metrics.filter(wanted) };
    }),

    DescribeAlarms: operation<DescribeAlarmsInput>((input) => {
      model.evaluateAlarms();
      const types = input.AlarmTypes ?? ['MetricAlarm'];
      if (input.AlarmNames !== undefined && input.AlarmNamePrefix !== undefined) {
        fail('InvalidParameterCombinationException', 'AlarmNames and AlarmNamePrefix cannot be used together.');
      }
      const limit = input.MaxRecords ?? 50;
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) invalid(limit, 'MaxRecords');
      const matching = (types.includes('MetricAlarm') ? [...model.alarms.values()] : [])
        .filter((a) => input.AlarmNames === undefined || input.AlarmNames.includes(a.config.AlarmName ?? ''))
        .filter((a) => input.AlarmNamePrefix === undefined || (a.config.AlarmName ?? '').startsWith(input.AlarmNamePrefix))
        .filter((a) => input.StateValue === undefined || a.state === input.StateValue)
        .filter((a) => input.ActionPrefix === undefined || (a.config.AlarmActions ?? []).some((x) => x.startsWith(input.ActionPrefix ?? '')))
        .sort((a, b) => (a.config.AlarmName ?? '').localeCompare(b.config.AlarmName ?? ''));
      const offset = input.NextToken === undefined ? 0 : (readPageToken(input.NextToken, 'alarms') ?? fail('InvalidNextToken', 'The service cannot interpret the NextToken.'));
      return {
        MetricAlarms: matching.slice(offset, offset + limit).map(describeAlarm),
        CompositeAlarms: [],
        NextToken: offset + limit < matching.length ? pageToken('alarms', offset + limit) : undefined,
      };
    }),

    DescribeAlarmHistory: operation<DescribeAlarmHistoryInput>((input) => {
      const now = model.now();
      const end = Math.min(now, input.EndDate?.getTime() ?? now);
      const start = Math.max(now - ALARM_HISTORY_RETENTION_MS, input.StartDate?.getTime() ?? now - ALARM_HISTORY_RETENTION_MS);
      const limit = input.MaxRecords ?? 100;
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) invalid(limit, 'MaxRecords');
      const types = input.AlarmTypes ?? ['MetricAlarm'];
      const wanted = [...model.alarms.values()]
        .filter((a) => input.AlarmName === undefined || a.config.AlarmName === input.AlarmName)
        .filter(() => types.includes('MetricAlarm'));
      // Only state changes are simulated; configuration and action items are never recorded.
      const items: AlarmHistoryItem[] =
        input.HistoryItemType !== undefined && input.HistoryItemType !== 'StateUpdate'
          ? []
          : wanted.flatMap((alarm) =>
              model.alarmTransitions(alarm, start, end).map((t) => ({
                AlarmName: alarm.config.AlarmName,
                AlarmType: 'MetricAlarm',
                Timestamp: new Date(t.at),
                HistoryItemType: 'StateUpdate',
                HistorySummary: `Alarm updated from ${t.from} to ${t.to}`,
                HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: t.from }, newState: { stateValue: t.to, stateReason: t.reason } }),
              })),
            );
      const ascending = input.ScanBy === 'TimestampAscending';
      items.sort((a, b) => (ascending ? 1 : -1) * ((a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0)));
      const offset = input.NextToken === undefined ? 0 : (readPageToken(input.NextToken, 'history') ?? fail('InvalidNextToken', 'The service cannot interpret the NextToken.'));
      return { AlarmHistoryItems: items.slice(offset, offset + limit), NextToken: offset + limit < items.length ? pageToken('history', offset + limit) : undefined };
    }),

    PutMetricAlarm: operation<PutMetricAlarmInput>((input) => {
      const name = input.AlarmName ?? '';
      if (name.length < 1 || name.length > 255) invalid(name, 'AlarmName');
      if (input.EvaluationPeriods === undefined || input.EvaluationPeriods < 1) invalid(input.EvaluationPeriods, 'EvaluationPeriods');
      if (input.ComparisonOperator === undefined) fail('MissingRequiredParameterException', 'The parameter ComparisonOperator is required.');
      const single = input.MetricName !== undefined || input.Namespace !== undefined;
      const math = input.Metrics !== undefined && input.Metrics.length > 0;
      if (single === math) fail('ValidationError', 'Exactly one of MetricName and Metrics must be specified.');
      if (single && (input.Statistic === undefined) === (input.ExtendedStatistic === undefined)) {
        fail('ValidationError', 'Exactly one of Statistic and ExtendedStatistic must be specified.');
      }
      if (single) validPeriod(input.Period, 'Period');
      if ((input.DatapointsToAlarm ?? 1) > (input.EvaluationPeriods ?? 1)) invalid(input.DatapointsToAlarm, 'DatapointsToAlarm');
      model.putAlarm(input, model.now());
      return {};
    }),

    DeleteAlarms: operation<DeleteAlarmsInput>((input) => {
      const names = input.AlarmNames ?? [];
      const missing = names.filter((n) => !model.alarms.has(n));
      for (const name of names) model.alarms.delete(name);
      if (missing.length > 0) fail('ResourceNotFound', `Alarms not found: [${missing.join(', ')}]`);
      return {};
    }),

    PutDashboard: operation<PutDashboardInput>((input) => {
      const name = input.DashboardName ?? '';
      if (!DASHBOARD_NAME.test(name)) fail('DashboardInvalidInputError', 'The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).');
      let body: unknown;
      try {
        body = JSON.parse(input.DashboardBody ?? '');
      } catch {
        fail('DashboardInvalidInputError', 'The field DashboardBody must be a valid JSON object');
      }
      const widgets = (body as { widgets?: unknown } | null)?.widgets;
      if (typeof body !== 'object' || body === null || !Array.isArray(widgets)) {
        fail('DashboardInvalidInputError', 'The dashboard body is invalid, there are 1 validation errors: [ { "dataPath": "", "message": "Should have required property \'widgets\'" } ]');
      }
      model.dashboards.set(name, { body: input.DashboardBody ?? '', lastModified: model.now() });
      return { DashboardValidationMessages: [] };
    }),

    GetDashboard: operation<GetDashboardInput>((input) => {
      const name = input.DashboardName ?? '';
      const dashboard = model.dashboards.get(name) ?? fail('DashboardNotFoundError', `Dashboard ${name} does not exist`);
      return { DashboardName: name, DashboardBody: dashboard.body, DashboardArn: `arn:aws:cloudwatch::123456789012:dashboard/${name}` };
    }),

    ListDashboards: operation<ListDashboardsInput>((input) => ({
      DashboardEntries: [...model.dashboards.entries()]
        .filter(([name]) => input.DashboardNamePrefix === undefined || name.startsWith(input.DashboardNamePrefix))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, d]) => ({ DashboardName: name, LastModified: new Date(d.lastModified), Size: d.body.length })),
    })),

    DeleteDashboards: operation<DeleteDashboardsInput>((input) => {
      const names = input.DashboardNames ?? [];
      if (names.length === 0) fail('MissingRequiredParameterException', 'The parameter DashboardNames is required.');
      // One missing dashboard fails the call, and none is deleted.
      const missing = names.find((n) => !model.dashboards.has(n));
      if (missing !== undefined) fail('DashboardNotFoundError', `Dashboard ${missing} does not exist`);
      for (const name of names) model.dashboards.delete(name);
      return {};
    }),

    SetAlarmState: operation<SetAlarmStateInput>((input) => {
      const alarm = requireAlarm(input.AlarmName);
      if (!STATES.includes(input.StateValue ?? '')) {
        fail('ValidationError', `1 validation error detected: Value '${String(input.StateValue)}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`);
      }
      const reason = input.StateReason ?? '';
      if (reason.length > 1023) invalid(reason, 'StateReason');
      if (input.StateReasonData !== undefined) {
        try {
          JSON.parse(input.StateReasonData);
        } catch {
          fail('InvalidFormatFault', 'Unable to parse StateReasonData: not valid JSON.');
        }
      }
      const now = model.now();
      if (alarm.state !== input.StateValue) alarm.stateUpdatedAt = now;
      Object.assign(alarm, { state: input.StateValue, reason, reasonData: input.StateReasonData, overrideUntil: now + model.timing.alarmStateOverrideMs, evaluated: true });
      return {};
    }),

    EnableAlarmActions: operation<EnableAlarmActionsInput>((input) => {
      for (const name of input.AlarmNames ?? []) {
        const alarm = model.alarms.get(name);
        if (alarm !== undefined) alarm.config = { ...alarm.config, ActionsEnabled: true };
      }
      return {};
    }),

    DisableAlarmActions: operation<DisableAlarmActionsInput>((input) => {
      for (const name of input.AlarmNames ?? []) {
        const alarm = model.alarms.get(name);
        if (alarm !== undefined) alarm.config = { ...alarm.config, ActionsEnabled: false };
      }
      return {};
    }),
  };
}
