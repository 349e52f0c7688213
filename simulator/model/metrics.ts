import type { Random } from '../random';

/** The four metrics every cell publishes (names from its `MetricsSpec`). */
export type CellMetric = 'requestCount' | 'errorCount' | 'latency' | 'availability';
/** Every cell metric, in the order ListMetrics lists them. */
export const CELL_METRICS: readonly CellMetric[] = ['requestCount', 'errorCount', 'latency', 'availability'];

/** How a cell is doing at an instant. */
export type CellHealth = 'healthy' | 'restarting' | 'unhealthy' | 'down';

/** Everything a minute of a cell's metrics depends on. */
export interface CellConditions {
  health: CellHealth;
  /** The unhealthy fault's figures, when `health` is unhealthy. */
  errorRatePercent?: number;
  latencyP99Ms?: number;
  /** Requests per second reaching the cell. */
  requestsPerSecond: number;
  capacity: number;
}

/** One minute of a cell's metrics. Latency figures in ms, availability in percent. */
export interface MinuteSample {
  requests: number;
  errors: number;
  errorRatePercent: number;
  p50: number;
  p95: number;
  p99: number;
  meanLatency: number;
  minLatency: number;
  maxLatency: number;
  availability: number;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Latency past 80% of capacity grows steeply, as queues build. */
const loadFactor = (load: number): number => (load > 0.8 ? 1 + 4 * (load - 0.8) : 1);

/**
 * A deterministic minute of metrics: the same seed, cell, minute and conditions always give
 * the same numbers. `minuteOfFleet` counts minutes from the one the fleet was created in (0), so
 * the noise depends on the seed and the time since creation, never on the wall-clock date a run
 * starts at. Healthy cells err on about 0.1% of requests with a p99 near 210 ms;
 * a restart with traffic costs 5% errors and triples latency; overload (beyond capacity) adds errors.
 * Availability and latency come from a canary too, so a drained cell still reports them.
 */
export function sampleMinute(random: Random, cellId: string, minuteOfFleet: number, c: CellConditions): MinuteSample {
  const noise = (what: string) => random.noise(cellId, minuteOfFleet, what);
  const requests = Math.max(0, Math.round(c.requestsPerSecond * 60 * (1 + 0.03 * noise('requests'))));
  const load = c.capacity > 0 ? c.requestsPerSecond / c.capacity : 0;
  // A restart hurts the requests it interrupts; a drained cell restarts unnoticed.
  const health = c.health === 'restarting' && c.requestsPerSecond <= 0 ? 'healthy' : c.health;
  const base = {
    healthy: 0.1 * (1 + 0.5 * noise('errors')),
    restarting: 5 * (1 + 0.2 * noise('errors')),
    unhealthy: c.errorRatePercent ?? 25,
    down: 100,
  }[health];
  const overload = load > 1 ? Math.min(100, (load - 1) * 60) : 0;
  const errorRatePercent = Math.min(100, base + overload);
  const errors = Math.round((requests * errorRatePercent) / 100);

  let p99: number;
  if (health === 'down') p99 = 10_000;
  else if (health === 'unhealthy') p99 = c.latencyP99Ms ?? 3_000;
  else p99 = 210 * (1 + 0.08 * noise('p99')) * (health === 'restarting' ? 3 : 1);
  p99 *= loadFactor(load);
  const p95 = health === 'down' ? p99 : p99 * (health === 'unhealthy' ? 0.6 : 0.57 * (1 + 0.05 * noise('p95')));
  const p50 = health === 'down' ? p99 : p99 * 0.22;
  return {
    requests,
    errors,
    errorRatePercent: round3(errorRatePercent),
    p50: round3(p50),
    p95: round3(p95),
    p99: round3(p99),
    meanLatency: round3(p50 * 1.3),
    minLatency: round3(p50 * 0.2),
    maxLatency: round3(p99 * 1.8),
    availability: round3(100 - errorRatePercent),
  };
}

/** `p99`, `p99.9`: the percentile, or undefined for other statistics. */
export function percentileOf(stat: string): number | undefined {
  const match = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  return match === null ? undefined : Number(match[1]);
}

const SIMPLE_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;

/** A statistic the simulator computes: the five simple ones and percentiles `p0`-`p100`. */
export function isSupportedStatistic(stat: string): boolean {
  return (SIMPLE_STATISTICS as readonly string[]).includes(stat) || percentileOf(stat) !== undefined;
}

/** Nearest-rank percentile of plain values. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** A statistic of plain datapoint values. */
export function statOfValues(values: number[], stat: string): number | undefined {
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  switch (stat) {
    case 'Sum':
      return round3(sum);
    case 'Average':
      return round3(sum / values.length);
    case 'SampleCount':
      return values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    default: {
      const q = percentileOf(stat);
      return q === undefined ? undefined : percentile(values, q);
    }
  }
}

/** Piecewise-linear percentile through a minute's min, p50, p95, p99 and max. */
function latencyPercentile(s: MinuteSample, q: number): number {
  const points: [number, number][] = [
    [0, s.minLatency],
    [50, s.p50],
    [95, s.p95],
    [99, s.p99],
    [100, s.maxLatency],
  ];
  for (let i = 1; i < points.length; i += 1) {
    const [q1, v1] = points[i];
    const [q0, v0] = points[i - 1];
    if (q <= q1) return v0 + ((v1 - v0) * (q - q0)) / (q1 - q0);
  }
  return s.maxLatency;
}

/**
 * A statistic of one cell metric over some minutes. Counts and availability are one datapoint
 * a minute; latency is a distribution per minute, combined weighted by requests (plus the
 * canary's one), an approximation of CloudWatch's percentile over the raw values.
 */
export function aggregateCellMetric(metric: CellMetric, samples: MinuteSample[], stat: string): number | undefined {
  if (samples.length === 0) return undefined;
  if (metric !== 'latency') {
    const pick = { requestCount: (s: MinuteSample) => s.requests, errorCount: (s: MinuteSample) => s.errors, availability: (s: MinuteSample) => s.availability }[metric];
    return statOfValues(samples.map(pick), stat);
  }
  const weights = samples.map((s) => s.requests + 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const weighted = (value: (s: MinuteSample) => number) => round3(samples.reduce((sum, s, i) => sum + value(s) * weights[i], 0) / totalWeight);
  switch (stat) {
    case 'Average':
      return weighted((s) => s.meanLatency);
    case 'Sum':
      return round3(samples.reduce((sum, s, i) => sum + s.meanLatency * weights[i], 0));
    case 'SampleCount':
      return totalWeight;
    case 'Minimum':
      return Math.min(...samples.map((s) => s.minLatency));
    case 'Maximum':
      return Math.max(...samples.map((s) => s.maxLatency));
    default: {
      const q = percentileOf(stat);
      return q === undefined ? undefined : weighted((s) => latencyPercentile(s, q));
    }
  }
}
