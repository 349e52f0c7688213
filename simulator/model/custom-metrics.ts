import type { Dimension } from '@aws-sdk/client-cloudwatch';
import { statOfValues } from './metrics';

/** Namespace, name and dimensions (order-insensitive): what identifies a CloudWatch metric. */
export function metricKey(namespace: string, metricName: string, dimensions: readonly { Name?: string; Value?: string }[] | undefined): string {
  const dims = [...(dimensions ?? [])].map((d) => `${d.Name ?? ''}=${d.Value ?? ''}`).sort();
  return [namespace, metricName, ...dims].join('|');
}

interface Datapoint {
  at: number;
  values: number[];
  /** From StatisticValues: pre-aggregated, no raw values. */
  stats?: { sampleCount: number; sum: number; min: number; max: number };
}

/** One published metric and its datapoints. */
export interface StoredMetric {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  unit?: string;
  datapoints: Datapoint[];
}

/** Metrics published with PutMetricData, kept as sent. */
export class CustomMetricStore {
  private readonly metrics = new Map<string, StoredMetric>();

  put(namespace: string, metricName: string, dimensions: Dimension[], unit: string | undefined, datapoint: Datapoint): void {
    const key = metricKey(namespace, metricName, dimensions);
    const metric = this.metrics.get(key) ?? { namespace, metricName, dimensions, unit, datapoints: [] };
    metric.datapoints.push(datapoint);
    this.metrics.set(key, metric);
  }

  get(namespace: string, metricName: string, dimensions: readonly Dimension[] | undefined): StoredMetric | undefined {
    return this.metrics.get(metricKey(namespace, metricName, dimensions));
  }

  all(): StoredMetric[] {
    return [...this.metrics.values()];
  }

  /** A statistic of the datapoints in [start, end). */
  stat(metric: StoredMetric, start: number, end: number, stat: string): number | undefined {
    const points = metric.datapoints.filter((d) => d.at >= start && d.at < end);
    if (points.length === 0) return undefined;
    const raw = points.flatMap((p) => p.values);
    const aggregates = points.filter((p) => p.stats !== undefined).map((p) => p.stats as NonNullable<Datapoint['stats']>);
    if (aggregates.length === 0) return statOfValues(raw, stat);
    const count = raw.length + aggregates.reduce((n, a) => n + a.sampleCount, 0);
    const sum = raw.reduce((a, b) => a + b, 0) + aggregates.reduce((n, a) => n + a.sum, 0);
    switch (stat) {
      case 'Sum':
        return sum;
      case 'SampleCount':
        return count;
      case 'Average':
        return count > 0 ? sum / count : undefined;
      case 'Minimum':
        return Math.min(...raw, ...aggregates.map((a) => a.min));
      case 'Maximum':
        return Math.max(...raw, ...aggregates.map((a) => a.max));
      default:
        // Percentiles need raw values; CloudWatch cannot compute them from statistic sets either.
        return raw.length > 0 ? statOfValues(raw, stat) : undefined;
    }
  }
}
