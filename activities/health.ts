import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type Dimension,
  type MetricDataQuery,
  type MetricDataResult,
  type PutMetricAlarmInput,
} from '@aws-sdk/client-cloudwatch';
import { ApplicationFailure } from '@temporalio/common';
import type { MetricsSpec } from '../domain/registry/schema';
import { mapError } from './aws-call';
import type { AwsTarget, ResolvedDeps } from './deps';
import { ErrorType, activityFailure, isAwsError } from './errors';

export interface GetCellHealthInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  cellId: string;
  /** The cell's alarm names (`Cell.alarms`). */
  alarms: string[];
  metrics: MetricsSpec;
  /**
   * The signals the health criteria need (`healthSignals(policy)`); only their metrics are read.
   * Default: all three. Requests are always counted.
   */
  signals?: HealthSignal[];
  /** Length of the metrics window, rounded up to whole minutes. */
  windowSeconds: number;
  /** ISO-8601 end of the window, rounded down to the minute. Default: now. */
  endTime?: string;
}

export interface GetFleetHealthInput {
  requestToken: string;
  /** The cells to read, each with its region and account (`awsTarget(cell)`), alarm names and metrics. */
  cells: { cellId: string; target?: AwsTarget; alarms: string[]; metrics: MetricsSpec }[];
  /** As {@link GetCellHealthInput.signals}. */
  signals?: HealthSignal[];
  windowSeconds: number;
  endTime?: string;
}

/** What a health criterion looks at. */
export type HealthSignal = 'errorRate' | 'latencyP99' | 'availability';
const ALL_SIGNALS: readonly HealthSignal[] = ['errorRate', 'latencyP99', 'availability'];

export interface AlarmState {
  name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  state: string;
  reason?: string;
  updatedAt?: string;
}

/**
 * A cell's metrics over one window. Null where the window holds no data (or no requests, for
 * rates), or where the signal was not asked for: the caller's policy decides what no data means.
 */
export interface CellMetrics {
  requestCount: number;
  errorCount: number;
  errorRatePercent: number | null;
  latencyP99Ms: number | null;
  availabilityPercent: number | null;
}

export interface MetricsWindow {
  start: string;
  end: string;
  periodSeconds: number;
}

export interface CellHealth {
  cellId: string;
  window: MetricsWindow;
  alarms: AlarmState[];
  /** Names of the cell's alarms in state ALARM. */
  inAlarm: string[];
  /** Alarm names asked for that CloudWatch does not know. */
  missingAlarms: string[];
  metrics: CellMetrics;
  /** CloudWatch returned partial data for some metric (a longer window may help). */
  partialData: boolean;
  /** The signals asked for that have no data in the window (including rates of a cell without requests). */
  noData: HealthSignal[];
  /**
   * Signals CloudWatch refused to read (an account or emulator without extended statistics for
   * the metric), with its reason. They count as no data; the rest of the check still stands.
   */
  unreadable: { signal: HealthSignal; reason: string }[];
}

export interface GetTrafficSharesInput {
  requestToken: string;
  /** Each cell with its metrics and where they are read (its region and account). */
  cells: { cellId: string; metrics: MetricsSpec; target?: AwsTarget }[];
  windowSeconds: number;
  /** ISO-8601 end of the window. Default: now. */
  endTime?: string;
}

export interface TrafficShare {
  cellId: string;
  requestCount: number;
  /** This cell's share of all the given cells' requests, 0-100; null when there were none. */
  sharePercent: number | null;
}

export interface TrafficShares {
  window: MetricsWindow;
  totalRequests: number;
  shares: TrafficShare[];
  partialData: boolean;
}

export interface RecordProcedureEventInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  /** E.g. `cell-restart`. */
  procedure: string;
  /** E.g. `drained`, `restarted`, `restored`, `aborted`. */
  event: string;
  cellId?: string;
  /** ISO-8601 time of the event, chosen by the workflow so that a retry writes the same datum. */
  timestamp: string;
  /** Default 1. */
  value?: number;
}

export interface RecordProcedureEventResult {
  namespace: string;
  metricName: string;
  timestamp: string;
}

/** A stricter alarm watched for a while after a recovery. */
export interface PostRecoveryAlarm {
  alarmName: string;
  metrics: MetricsSpec;
  /**
   * What it watches: alarms above the threshold for error rate, p99 latency and utilisation
   * (requests per second as a share of `capacityRps`), below it for availability.
   */
  signal: 'errorRatePercent' | 'latencyP99Ms' | 'availabilityPercent' | 'utilizationPercent';
  threshold: number;
  /** Requests per second the cell can serve: the 100% of `utilizationPercent`. */
  capacityRps?: number;
  /** Default 60. */
  periodSeconds?: number;
  /** Default 3. */
  evaluationPeriods?: number;
  /** Default: `evaluationPeriods`. */
  datapointsToAlarm?: number;
  /** ARNs notified on ALARM (SNS topics, ...). */
  alarmActions?: string[];
  description?: string;
}

export interface PutPostRecoveryAlarmsInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  cellId: string;
  alarms: PostRecoveryAlarm[];
}

export interface DeletePostRecoveryAlarmsInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  alarmNames: string[];
}

export interface AlarmNamesResult {
  alarmNames: string[];
}

/** CloudWatch activities. */
export interface HealthActivities {
  /**
   * A cell's health in two calls: its alarms' states (DescribeAlarms by name, metric and
   * composite alarms) and the metrics of the signals asked for over the window (one
   * GetMetricData: request and error sums, latency p99, average availability). A signal without
   * data is reported as such, not as an error; should CloudWatch reject the percentile query,
   * the rest is read again without it and latency reported unreadable. A read: a repeat changes
   * nothing.
   */
  getCellHealth(input: GetCellHealthInput): Promise<CellHealth>;
  /**
   * Several cells' health, each exactly as {@link getCellHealth} reads it, in few calls: per
   * region and account, DescribeAlarms for all their alarms (100 names a call) and GetMetricData
   * for all their metrics (500 queries a call). In the order of `cells`. A read.
   */
  getFleetHealth(input: GetFleetHealthInput): Promise<CellHealth[]>;
  /** Each cell's share of the requests the given cells served over the window, from one GetMetricData. */
  getTrafficShares(input: GetTrafficSharesInput): Promise<TrafficShares>;
  /**
   * Records a procedure event as a custom metric: a gauge named `ProcedureEvent` with the
   * procedure, event and cell as dimensions, at the input's timestamp.
   */
  recordProcedureEvent(input: RecordProcedureEventInput): Promise<RecordProcedureEventResult>;
  /**
   * Creates or updates the stricter post-recovery alarms. PutMetricAlarm overwrites an alarm of
   * the same name, so a repeat leaves the same alarms.
   */
  putPostRecoveryAlarms(input: PutPostRecoveryAlarmsInput): Promise<AlarmNamesResult>;
  /** Deletes the post-recovery alarms. Alarms already gone are fine, so a repeat succeeds. */
  deletePostRecoveryAlarms(input: DeletePostRecoveryAlarmsInput): Promise<AlarmNamesResult>;
}

const MAX_QUERIES = 500;
const MAX_ALARM_NAMES = 100;

const dimensions = (spec: MetricsSpec): Dimension[] => Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value }));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function parseTime(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw activityFailure(ErrorType.ValidationFailed, `${field} is not an ISO-8601 time: ${iso}`);
  return ms;
}

/** Whole minutes, aligned to the minute: CloudWatch answers aligned windows from whole periods. */
function metricsWindow(windowSeconds: number, endTime: string | undefined, clock: () => number): MetricsWindow {
  if (!(windowSeconds > 0) || !Number.isFinite(windowSeconds)) {
    throw activityFailure(ErrorType.ValidationFailed, `windowSeconds must be positive, got ${windowSeconds}`);
  }
  const periodSeconds = Math.ceil(windowSeconds / 60) * 60;
  const endMs = Math.floor((endTime === undefined ? clock() : parseTime(endTime, 'endTime')) / 60_000) * 60_000;
  return { start: new Date(endMs - periodSeconds * 1000).toISOString(), end: new Date(endMs).toISOString(), periodSeconds };
}

function stat(id: string, spec: MetricsSpec, metricName: string, statistic: string, period: number): MetricDataQuery {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: spec.namespace, MetricName: metricName, Dimensions: dimensions(spec) }, Period: period, Stat: statistic },
    ReturnData: true,
  };
}

/** GetMetricData refused the request as such (a statistic the metric or endpoint does not support). */
function isRejectedQuery(err: unknown): boolean {
  return err instanceof ApplicationFailure && (err.type === ErrorType.ValidationFailed || err.type === ErrorType.AwsRequestRejected);
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const maxOrNull = (values: number[]): number | null => (values.length > 0 ? Math.max(...values) : null);
const minOrNull = (values: number[]): number | null => (values.length > 0 ? Math.min(...values) : null);

/** PutMetricAlarm's input for `alarm` on `cellId`, tagged with the cell and `purpose` (`post-recovery`, `cell-monitoring`). */
export function alarmInput(cellId: string, requestToken: string, alarm: PostRecoveryAlarm, purpose = 'post-recovery'): PutMetricAlarmInput {
  const period = alarm.periodSeconds ?? 60;
  const evaluationPeriods = alarm.evaluationPeriods ?? 3;
  const common: PutMetricAlarmInput = {
    AlarmName: alarm.alarmName,
    AlarmDescription: alarm.description ?? `cellops ${purpose} alarm for ${cellId} (${requestToken})`,
    ActionsEnabled: true,
    AlarmActions: alarm.alarmActions,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm ?? evaluationPeriods,
    Threshold: alarm.threshold,
    // Tags apply only when the alarm is created; an overwrite keeps the first ones.
    Tags: [
      { Key: 'cellops:cell', Value: cellId },
      { Key: 'cellops:purpose', Value: purpose },
    ],
  };
  const spec = alarm.metrics;
  const metric = (metricName: string) => ({ Namespace: spec.namespace, MetricName: metricName, Dimensions: dimensions(spec) });
  switch (alarm.signal) {
    case 'errorRatePercent':
      return {
        ...common,
        ComparisonOperator: 'GreaterThanThreshold',
        // No requests means no errors, not missing health.
        TreatMissingData: 'notBreaching',
        Metrics: [
          { Id: 'errors', MetricStat: { Metric: metric(spec.errorCount), Period: period, Stat: 'Sum' }, ReturnData: false },
          { Id: 'requests', MetricStat: { Metric: metric(spec.requestCount), Period: period, Stat: 'Sum' }, ReturnData: false },
          { Id: 'errorRate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', Label: 'Error rate (%)', ReturnData: true },
        ],
      };
    case 'latencyP99Ms':
      return {
        ...common,
        ...metric(spec.latency),
        ExtendedStatistic: 'p99',
        Period: period,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      };
    case 'availabilityPercent':
      return {
        ...common,
        ...metric(spec.availability),
        Statistic: 'Average',
        Period: period,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'missing',
      };
    case 'utilizationPercent': {
      const capacity = alarm.capacityRps;
      if (capacity === undefined || !(capacity > 0)) throw activityFailure(ErrorType.ValidationFailed, `alarm ${alarm.alarmName} watches utilisation and needs a positive capacityRps`);
      return {
        ...common,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: [
          { Id: 'requests', MetricStat: { Metric: metric(spec.requestCount), Period: period, Stat: 'Sum' }, ReturnData: false },
          // Requests per second over the period, as a share of what the cell can serve.
          { Id: 'utilization', Expression: `requests / ${(period * capacity) / 100}`, Label: 'Utilisation (%)', ReturnData: true },
        ],
      };
    }
  }
}

/** Builds the CloudWatch activities. */
export function createHealthActivities(deps: ResolvedDeps): HealthActivities {
  const on = (target: AwsTarget | undefined): HealthActivities => healthActivitiesOn(deps.clients.cloudWatch(target), deps);
  return {
    getCellHealth: (input) => on(input.target).getCellHealth(input),
    // One batch per region and account, the answers put back in the cells' order.
    async getFleetHealth(input) {
      const groups = new Map<string, { target: AwsTarget | undefined; indexes: number[] }>();
      input.cells.forEach((cell, index) => {
        const key = JSON.stringify([cell.target?.region ?? null, cell.target?.roleArn ?? null]);
        const group = groups.get(key) ?? groups.set(key, { target: cell.target, indexes: [] }).get(key)!;
        group.indexes.push(index);
      });
      const out: CellHealth[] = new Array<CellHealth>(input.cells.length);
      for (const { target, indexes } of groups.values()) {
        const read = await on(target).getFleetHealth({ ...input, cells: indexes.map((i) => input.cells[i]) });
        read.forEach((health, k) => (out[indexes[k]] = health));
      }
      return out;
    },
    // Cells of several regions: one read per region, the shares computed over all of them.
    getTrafficShares: (input) => trafficSharesAcrossRegions(input, (target) => (part) => on(target).getTrafficShares(part)),
    recordProcedureEvent: (input) => on(input.target).recordProcedureEvent(input),
    putPostRecoveryAlarms: (input) => on(input.target).putPostRecoveryAlarms(input),
    deletePostRecoveryAlarms: (input) => on(input.target).deletePostRecoveryAlarms(input),
  };
}

const targetKey = (target: AwsTarget | undefined): string => (target === undefined ? '' : `${target.region}|${target.roleArn ?? ''}`);

/** Reads each target's cells with its own client and merges the counts into one set of shares. */
async function trafficSharesAcrossRegions(input: GetTrafficSharesInput, read: (target: AwsTarget | undefined) => HealthActivities['getTrafficShares']): Promise<TrafficShares> {
  const byTarget = new Map<string, { target: AwsTarget | undefined; cells: GetTrafficSharesInput['cells'] }>();
  for (const cell of input.cells) {
    const key = targetKey(cell.target);
    byTarget.set(key, { target: cell.target, cells: [...(byTarget.get(key)?.cells ?? []), cell] });
  }
  const parts: TrafficShares[] = [];
  for (const { target, cells } of byTarget.values()) parts.push(await read(target)({ ...input, cells }));
  if (parts.length === 1) return parts[0];
  const counts = new Map(parts.flatMap((p) => p.shares.map((s) => [s.cellId, s.requestCount] as const)));
  const totalRequests = sum([...counts.values()]);
  return {
    window: parts[0].window,
    totalRequests,
    shares: input.cells.map((cell) => {
      const requestCount = counts.get(cell.cellId) ?? 0;
      return { cellId: cell.cellId, requestCount, sharePercent: totalRequests > 0 ? (100 * requestCount) / totalRequests : null };
    }),
    partialData: parts.some((p) => p.partialData),
  };
}

/** The activities on one region's (and account's) CloudWatch client. */
function healthActivitiesOn(cw: CloudWatchClient, deps: ResolvedDeps): HealthActivities {
  const { cloudWatchCalls: calls } = deps;

  /** All results of one GetMetricData request (following NextToken), values merged by query id. */
  async function metricData(queries: MetricDataQuery[], window: MetricsWindow, resource: string): Promise<Map<string, MetricDataResult>> {
    const results = new Map<string, MetricDataResult>();
    let nextToken: string | undefined;
    do {
      const out = await calls.call({ operation: 'GetMetricData', resource }, (abortSignal) =>
        cw.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: new Date(window.start),
            EndTime: new Date(window.end),
            ScanBy: 'TimestampDescending',
            NextToken: nextToken,
          }),
          { abortSignal },
        ),
      );
      for (const result of out.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        const seen = results.get(id);
        results.set(id, seen ? { ...result, Values: [...(seen.Values ?? []), ...(result.Values ?? [])] } : result);
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    for (const result of results.values()) {
      if (result.StatusCode === 'Forbidden') {
        throw activityFailure(ErrorType.AccessDenied, `GetMetricData ${resource}: no access to metric ${result.Label ?? result.Id ?? ''}`);
      }
      if (result.StatusCode === 'InternalError') {
        throw activityFailure(ErrorType.AwsUnavailable, `GetMetricData ${resource}: CloudWatch reported an internal error for ${result.Label ?? result.Id ?? ''}`);
      }
    }
    return results;
  }

  const values = (results: Map<string, MetricDataResult>, id: string): number[] => results.get(id)?.Values ?? [];
  const isPartial = (results: Map<string, MetricDataResult>): boolean => [...results.values()].some((r) => r.StatusCode !== 'Complete');

  async function describeAlarms(names: string[]): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    for (const batch of chunks(names, MAX_ALARM_NAMES)) {
      let nextToken: string | undefined;
      do {
        const out = await calls.call({ operation: 'DescribeAlarms', resource: batch.join(',') }, (abortSignal) =>
          cw.send(new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }), { abortSignal }),
        );
        for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          states.push({
            name: alarm.AlarmName ?? '',
            state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
            reason: alarm.StateReason,
            updatedAt: alarm.StateUpdatedTimestamp?.toISOString(),
          });
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return states;
  }

  /**
   * The health of `cells` over one window: their alarms in DescribeAlarms batches, their metrics
   * in GetMetricData requests of at most 500 queries (query ids `c<i>_<signal>`). Should CloudWatch
   * reject the percentile queries, the rest is read again without them and latency reported unreadable.
   */
  async function healthOf(
    cells: readonly { cellId: string; alarms: string[]; metrics: MetricsSpec }[],
    options: { signals?: HealthSignal[]; windowSeconds: number; endTime?: string },
  ): Promise<CellHealth[]> {
    const window = metricsWindow(options.windowSeconds, options.endTime, deps.clock);
    const names = [...new Set(cells.flatMap((c) => c.alarms))];
    const states = names.length > 0 ? await describeAlarms(names) : [];
    const byName = new Map(states.map((a) => [a.name, a]));
    const period = window.periodSeconds;
    const signals = new Set(options.signals ?? ALL_SIGNALS);
    const single = cells.length === 1;
    // One cell keeps the ids (and the resource in errors) a single read always had.
    const id = (i: number, name: string): string => (single ? name : `c${i}_${name}`);
    const queries = cells.flatMap(({ metrics: spec }, i) => [
      stat(id(i, 'requests'), spec, spec.requestCount, 'Sum', period),
      ...(signals.has('errorRate') ? [stat(id(i, 'errors'), spec, spec.errorCount, 'Sum', period)] : []),
      ...(signals.has('latencyP99') ? [stat(id(i, 'p99'), spec, spec.latency, 'p99', period)] : []),
      ...(signals.has('availability') ? [stat(id(i, 'availability'), spec, spec.availability, 'Average', period)] : []),
    ]);
    const resource = single ? cells[0].cellId : `health of ${cells.length} cells`;
    const read = async (wanted: MetricDataQuery[]): Promise<Map<string, MetricDataResult>> => {
      const results = new Map<string, MetricDataResult>();
      for (const batch of chunks(wanted, MAX_QUERIES)) for (const [k, v] of await metricData(batch, window, resource)) results.set(k, v);
      return results;
    };
    const unreadable: CellHealth['unreadable'] = [];
    let results: Map<string, MetricDataResult>;
    try {
      results = await read(queries);
    } catch (err) {
      if (!signals.has('latencyP99') || !isRejectedQuery(err)) throw err;
      unreadable.push({ signal: 'latencyP99', reason: err instanceof Error ? err.message : String(err) });
      results = await read(queries.filter((q) => !(q.Id ?? '').endsWith('p99')));
    }
    return cells.map((cell, i) => {
      const mine = (name: string): number[] => values(results, id(i, name));
      const requestCount = sum(mine('requests'));
      const errorCount = sum(mine('errors'));
      const metrics: CellMetrics = {
        requestCount,
        errorCount,
        errorRatePercent: signals.has('errorRate') && requestCount > 0 ? (100 * errorCount) / requestCount : null,
        // Should a window straddle two periods, take the worse value rather than an invented mean.
        latencyP99Ms: maxOrNull(mine('p99')),
        availabilityPercent: minOrNull(mine('availability')),
      };
      const valueOf: Record<HealthSignal, number | null> = { errorRate: metrics.errorRatePercent, latencyP99: metrics.latencyP99Ms, availability: metrics.availabilityPercent };
      const own = new Set(cell.alarms);
      // In CloudWatch's order, as a read of the cell alone gives them.
      const alarms = states.filter((a) => own.has(a.name));
      const partialData = ['requests', 'errors', 'p99', 'availability'].some((name) => {
        const r = results.get(id(i, name));
        return r !== undefined && r.StatusCode !== 'Complete';
      });
      return {
        cellId: cell.cellId,
        window,
        alarms,
        inAlarm: alarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
        missingAlarms: cell.alarms.filter((name) => !byName.has(name)),
        metrics,
        partialData,
        noData: ALL_SIGNALS.filter((signal) => signals.has(signal) && valueOf[signal] === null),
        unreadable: [...unreadable],
      };
    });
  }

  return {
    async getCellHealth(input) {
      const [health] = await healthOf([input], input);
      return health;
    },

    async getFleetHealth(input) {
      return await healthOf(input.cells, input);
    },

    async getTrafficShares(input) {
      const window = metricsWindow(input.windowSeconds, input.endTime, deps.clock);
      const counts: number[] = [];
      let partialData = false;
      // One request unless there are more cells than GetMetricData takes queries.
      for (const [batchIndex, batch] of chunks(input.cells, MAX_QUERIES).entries()) {
        const ids = batch.map((_, i) => `cell${batchIndex * MAX_QUERIES + i}`);
        const queries = batch.map((cell, i) => ({ ...stat(ids[i], cell.metrics, cell.metrics.requestCount, 'Sum', window.periodSeconds), Label: cell.cellId }));
        const results = await metricData(queries, window, `traffic of ${batch.length} cells`);
        partialData ||= isPartial(results);
        for (const id of ids) counts.push(sum(values(results, id)));
      }
      const totalRequests = sum(counts);
      return {
        window,
        totalRequests,
        shares: input.cells.map((cell, i) => ({
          cellId: cell.cellId,
          requestCount: counts[i],
          sharePercent: totalRequests > 0 ? (100 * counts[i]) / totalRequests : null,
        })),
        partialData,
      };
    },

    async recordProcedureEvent(input) {
      const timestamp = new Date(parseTime(input.timestamp, 'timestamp'));
      const value = input.value ?? 1;
      if (!Number.isFinite(value)) throw activityFailure(ErrorType.ValidationFailed, `value must be a finite number, got ${value}`);
      const dims: Dimension[] = [
        { Name: 'Procedure', Value: input.procedure },
        { Name: 'Event', Value: input.event },
        ...(input.cellId === undefined ? [] : [{ Name: 'CellId', Value: input.cellId }]),
      ];
      // CloudWatch does not deduplicate datapoints. A repeat with the same token sends the same
      // value at the same timestamp (from the input, never the clock), which leaves Maximum,
      // Minimum and Average of the gauge unchanged, so a retried activity cannot distort a
      // dashboard that reads it with Maximum. Only SampleCount and Sum would see the duplicate.
      await calls.call({ operation: 'PutMetricData', resource: `${input.procedure}/${input.event}` }, (abortSignal) =>
        cw.send(
          new PutMetricDataCommand({
            Namespace: deps.metricsNamespace,
            MetricData: [{ MetricName: 'ProcedureEvent', Dimensions: dims, Timestamp: timestamp, Value: value, Unit: 'None' }],
          }),
          { abortSignal },
        ),
      );
      return { namespace: deps.metricsNamespace, metricName: 'ProcedureEvent', timestamp: timestamp.toISOString() };
    },

    async putPostRecoveryAlarms(input) {
      for (const alarm of input.alarms) {
        await calls.call({ operation: 'PutMetricAlarm', resource: alarm.alarmName }, (abortSignal) =>
          cw.send(new PutMetricAlarmCommand(alarmInput(input.cellId, input.requestToken, alarm)), { abortSignal }),
        );
      }
      return { alarmNames: input.alarms.map((a) => a.alarmName) };
    },

    async deletePostRecoveryAlarms(input) {
      for (const batch of chunks(input.alarmNames, MAX_ALARM_NAMES)) {
        const resource = batch.join(',');
        const remove = (names: string[]) =>
          calls.attempt((abortSignal) => cw.send(new DeleteAlarmsCommand({ AlarmNames: names }), { abortSignal }));
        try {
          await remove(batch);
        } catch (err) {
          if (!isAwsError(err, 'ResourceNotFound', 'ResourceNotFoundException')) throw mapError(err, { operation: 'DeleteAlarms', resource });
          // Current docs: the existing alarms are deleted anyway. Older docs: none are. Delete
          // whatever still exists so both behaviours end with the alarms gone.
          const remaining = (await describeAlarms(batch)).map((a) => a.name);
          if (remaining.length > 0) {
            try {
              await remove(remaining);
            } catch (retryErr) {
              throw mapError(retryErr, { operation: 'DeleteAlarms', resource });
            }
          }
        }
      }
      return { alarmNames: input.alarmNames };
    },
  };
}
