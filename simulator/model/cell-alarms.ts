import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type { MetricsSpec, Registry } from '../../domain/registry/schema';

/**
 * A registry alarm's configuration, guessed from its name: error rate (`...Error...`),
 * p99 latency (`...Latenc...`) or availability (`...Availab...`), with the registry's health
 * thresholds, two of three one-minute datapoints to alarm.
 */
export function cellAlarmConfig(name: string, metrics: MetricsSpec, registry: Registry): PutMetricAlarmInput {
  const health = registry.policies.health;
  const Dimensions = Object.entries(metrics.dimensions).map(([Name, Value]) => ({ Name, Value }));
  const common = { AlarmName: name, ActionsEnabled: true, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' };
  if (/latenc/i.test(name)) {
    return { ...common, Namespace: metrics.namespace, MetricName: metrics.latency, Dimensions, ExtendedStatistic: 'p99', Period: 60, Threshold: health.maxLatencyP99Ms, ComparisonOperator: 'GreaterThanThreshold' };
  }
  if (/availab/i.test(name)) {
    return { ...common, Namespace: metrics.namespace, MetricName: metrics.availability, Dimensions, Statistic: 'Average', Period: 60, Threshold: health.minAvailabilityPercent, ComparisonOperator: 'LessThanThreshold' };
  }
  const metric = (metricName: string) => ({ Namespace: metrics.namespace, MetricName: metricName, Dimensions });
  return {
    ...common,
    Threshold: health.maxErrorRatePercent,
    ComparisonOperator: 'GreaterThanThreshold',
    Metrics: [
      { Id: 'errors', MetricStat: { Metric: metric(metrics.errorCount), Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'requests', MetricStat: { Metric: metric(metrics.requestCount), Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'errorRate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', Label: 'Error rate (%)', ReturnData: true },
    ],
  };
}

