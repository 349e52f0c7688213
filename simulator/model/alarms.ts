import type { MetricAlarm, MetricDataQuery, PutMetricAlarmInput, StateValue } from '@aws-sdk/client-cloudwatch';
import { UnsupportedExpressionError, evaluateSeries, type Series } from './metric-math';

/** A stored metric alarm: its configuration as last put, and its state. */
export interface SimAlarm {
  config: PutMetricAlarmInput;
  arn: string;
  state: StateValue;
  reason: string;
  reasonData?: string;
  stateUpdatedAt: number;
  configUpdatedAt: number;
  createdAt: number;
  /** Until when a SetAlarmState holds. */
  overrideUntil?: number;
  evaluated: boolean;
}

/** Reads a metric's values per period, for alarms and GetMetricData alike. */
export type MetricStatReader = (query: Required<Pick<MetricDataQuery, 'Id'>> & MetricDataQuery, start: number, end: number) => Series;

const COMPARISONS: Record<string, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};

const two = (n: number): string => String(n).padStart(2, '0');
/** `05/01/26 00:04:00`: how alarm reasons print datapoint times (UTC). */
function reasonTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
const formatValue = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(Math.round(v * 1000) / 1000));

/** The period of an alarm: its own, or its metric queries'. */
export function alarmPeriodSeconds(config: PutMetricAlarmInput): number {
  if (config.Period !== undefined) return config.Period;
  const periods = (config.Metrics ?? []).map((m) => m.MetricStat?.Period ?? m.Period).filter((p): p is number => p !== undefined);
  return periods.length > 0 ? Math.max(...periods) : 60;
}

/** The alarm's values over [start, end): its metric and statistic, or its metric math. */
export function alarmSeries(config: PutMetricAlarmInput, read: MetricStatReader, start: number, end: number): Series {
  if (config.Metrics !== undefined && config.Metrics.length > 0) {
    const byId: Record<string, Series> = {};
    for (const query of config.Metrics) {
      if (query.Id !== undefined && query.MetricStat !== undefined) byId[query.Id] = read({ ...query, Id: query.Id }, start, end);
    }
    const returned = config.Metrics.find((q) => q.ReturnData !== false && q.Id !== undefined) ?? config.Metrics[config.Metrics.length - 1];
    if (returned.Expression !== undefined) return evaluateSeries(returned.Expression, byId);
    return byId[returned.Id ?? ''] ?? new Map();
  }
  return read(
    {
      Id: 'm1',
      MetricStat: {
        Metric: { Namespace: config.Namespace, MetricName: config.MetricName, Dimensions: config.Dimensions },
        Period: alarmPeriodSeconds(config),
        Stat: config.ExtendedStatistic ?? config.Statistic ?? 'Average',
      },
    },
    start,
    end,
  );
}

/**
 * The state the alarm should be in at `now`, from its last `EvaluationPeriods` complete
 * periods: ALARM when `DatapointsToAlarm` of them breach, missing data as `TreatMissingData`
 * says. Returns undefined to keep the current state (`ignore` with no data).
 */
export function evaluateAlarm(alarm: SimAlarm, read: MetricStatReader, now: number): { state: StateValue; reason: string; reasonData: string } | undefined {
  const config = alarm.config;
  const comparison = COMPARISONS[config.ComparisonOperator ?? ''];
  const threshold = config.Threshold ?? 0;
  const periods = Math.max(1, config.EvaluationPeriods ?? 1);
  const needed = Math.max(1, config.DatapointsToAlarm ?? periods);
  const periodMs = alarmPeriodSeconds(config) * 1000;
  const end = Math.floor(now / 60_000) * 60_000;
  const start = end - periods * periodMs;
  if (comparison === undefined) {
    return { state: 'INSUFFICIENT_DATA', reason: `Unchecked: the simulator does not evaluate ${String(config.ComparisonOperator)}`, reasonData: '{}' };
  }
  let series: Series;
  try {
    series = alarmSeries(config, read, start, end);
  } catch (err) {
    if (!(err instanceof UnsupportedExpressionError)) throw err;
    return { state: 'INSUFFICIENT_DATA', reason: `Unchecked: ${err.message}`, reasonData: '{}' };
  }
  const points = [...series.entries()].filter(([t]) => t >= start && t < end).sort(([a], [b]) => b - a);
  const missing = Math.max(0, periods - points.length);
  const treat = config.TreatMissingData ?? 'missing';
  let breaching = points.filter(([, v]) => comparison.test(v, threshold)).length;
  if (treat === 'breaching') breaching += missing;
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: new Date(now).toISOString(),
    startDate: new Date(start).toISOString(),
    period: periodMs / 1000,
    recentDatapoints: points.map(([, v]) => v),
    threshold,
    evaluatedDatapoints: points.map(([t, v]) => ({ timestamp: new Date(t).toISOString(), value: v })),
  });
  const listed = `[${points.map(([t, v]) => `${formatValue(v)} (${reasonTime(t)})`).join(', ')}]`;
  if (points.length === 0 && treat !== 'breaching') {
    if (treat === 'ignore') return undefined;
    if (treat === 'notBreaching') {
      return { state: 'OK', reason: `Threshold Crossed: no datapoints were received for ${periods} period${periods === 1 ? '' : 's'} and ${periods} missing datapoint${periods === 1 ? ' was' : 's were'} treated as [NonBreaching].`, reasonData };
    }
    return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${periods} datapoint${periods === 1 ? ' was' : 's were'} unknown.`, reasonData };
  }
  const verb = (n: number) => (n === 1 ? 'was' : 'were');
  if (breaching >= needed) {
    return {
      state: 'ALARM',
      reason: `Threshold Crossed: ${breaching} out of the last ${periods} datapoints ${listed} ${verb(breaching)} ${comparison.words} the threshold (${formatValue(threshold)}) (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`,
      reasonData,
    };
  }
  const fine = points.length - points.filter(([, v]) => comparison.test(v, threshold)).length;
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${fine} out of the last ${periods} datapoints ${listed} ${verb(fine)} not ${comparison.words} the threshold (${formatValue(threshold)}) (minimum 1 datapoint for ALARM -> OK transition).`,
    reasonData,
  };
}

/** DescribeAlarms' view of an alarm. */
export function describeAlarm(alarm: SimAlarm): MetricAlarm {
  const c = alarm.config;
  return {
    AlarmName: c.AlarmName,
    AlarmArn: alarm.arn,
    AlarmDescription: c.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(alarm.configUpdatedAt),
    ActionsEnabled: c.ActionsEnabled ?? true,
    OKActions: c.OKActions ?? [],
    AlarmActions: c.AlarmActions ?? [],
    InsufficientDataActions: c.InsufficientDataActions ?? [],
    StateValue: alarm.state,
    StateReason: alarm.reason,
    StateReasonData: alarm.reasonData,
    StateUpdatedTimestamp: new Date(alarm.stateUpdatedAt),
    StateTransitionedTimestamp: new Date(alarm.stateUpdatedAt),
    MetricName: c.MetricName,
    Namespace: c.Namespace,
    Statistic: c.Statistic,
    ExtendedStatistic: c.ExtendedStatistic,
    Dimensions: c.Dimensions ?? [],
    Period: c.Period,
    Unit: c.Unit,
    EvaluationPeriods: c.EvaluationPeriods,
    DatapointsToAlarm: c.DatapointsToAlarm,
    Threshold: c.Threshold,
    ComparisonOperator: c.ComparisonOperator,
    TreatMissingData: c.TreatMissingData,
    EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile,
    Metrics: c.Metrics,
    ThresholdMetricId: c.ThresholdMetricId,
  };
}
