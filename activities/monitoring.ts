/**
 * A cell's own monitoring, as cell provisioning sets it up and decommissioning takes it away:
 * its alarms (PutMetricAlarm / DeleteAlarms) and its CloudWatch dashboard (PutDashboard /
 * DeleteDashboards); and the utilisation reads of the capacity watch (GetMetricData).
 */
import {
  type CloudWatchClient,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { MetricsSpec } from '../domain/registry/schema';
import { mapError } from './aws-call';
import type { AwsTarget, ResolvedDeps } from './deps';
import { ErrorType, activityFailure, awsErrorInfo, isAwsError } from './errors';
import { alarmInput, createHealthActivities, type AlarmNamesResult, type PostRecoveryAlarm } from './health';

export interface PutCellAlarmsInput {
  requestToken: string;
  /** The cell's region and account (`awsTarget(cell)`); default: the fleet's region and identity. */
  target?: AwsTarget;
  cellId: string;
  alarms: PostRecoveryAlarm[];
}

export interface PutCellDashboardInput {
  requestToken: string;
  target?: AwsTarget;
  cellId: string;
  dashboardName: string;
  metrics: MetricsSpec;
  /** Requests per second the cell can serve: drawn as the utilisation graph's 100%. */
  capacityRps: number;
}

export interface PutCellDashboardResult {
  dashboardName: string;
  /** CloudWatch's warnings about the body (the dashboard was saved anyway). */
  warnings: string[];
}

export interface DeleteCellMonitoringInput {
  requestToken: string;
  target?: AwsTarget;
  alarmNames: string[];
  dashboardNames: string[];
}

export interface DeleteCellMonitoringResult {
  alarmNames: string[];
  /** The dashboards that existed and were deleted (those already gone are not listed). */
  dashboardsDeleted: string[];
}

export interface GetCellUtilizationInput {
  requestToken: string;
  cells: { cellId: string; target?: AwsTarget; metrics: MetricsSpec; capacityRps: number }[];
  windowSeconds: number;
  /** ISO-8601 end of the window, chosen by the workflow (so a retry reads the same window). */
  endTime: string;
}

/** One cell's utilisation over the window; a figure without data is null. */
export interface CellUtilization {
  cellId: string;
  requestsPerSecond: number | null;
  /** `requestsPerSecond` as a share of the cell's capacity. */
  requestUtilizationPercent: number | null;
  /** Average `CPUUtilization` in the cell's namespace and dimensions, when the cell publishes it. */
  cpuPercent: number | null;
  /** Average `MemoryUtilization`, likewise. */
  memoryPercent: number | null;
}

export interface GetCellUtilizationResult {
  window: { start: string; end: string; periodSeconds: number };
  cells: CellUtilization[];
}

/** The metric names read for CPU and memory (the names ECS Container Insights and most agents publish). */
export const CPU_METRIC = 'CPUUtilization';
export const MEMORY_METRIC = 'MemoryUtilization';

/** Cell monitoring activities. */
export interface MonitoringActivities {
  /** Creates or updates the cell's alarms (tagged `cellops:purpose=cell-monitoring`). PutMetricAlarm overwrites, so a repeat leaves the same alarms. */
  putCellAlarms(input: PutCellAlarmsInput): Promise<AlarmNamesResult>;
  /** Creates or replaces the cell's dashboard. PutDashboard overwrites, so a repeat leaves the same dashboard. */
  putCellDashboard(input: PutCellDashboardInput): Promise<PutCellDashboardResult>;
  /** Deletes the cell's alarms and dashboards; those already gone are fine, so a repeat succeeds. */
  deleteCellMonitoring(input: DeleteCellMonitoringInput): Promise<DeleteCellMonitoringResult>;
  /** Each cell's requests per second (and its share of capacity), CPU and memory over the window. A read. */
  getCellUtilization(input: GetCellUtilizationInput): Promise<GetCellUtilizationResult>;
}

const MAX_DASHBOARDS_PER_DELETE = 100;
const dimensionsOf = (spec: MetricsSpec) => Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value }));
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The dashboard's body: requests, error rate, p99 latency, availability and utilisation, in the cell's region. */
export function cellDashboardBody(input: Pick<PutCellDashboardInput, 'cellId' | 'metrics' | 'capacityRps'>, region: string): string {
  const { metrics: spec, cellId, capacityRps } = input;
  const dims = Object.entries(spec.dimensions).flat();
  const metric = (name: string, options: Record<string, unknown>) => [spec.namespace, name, ...dims, options];
  const widget = (y: number, x: number, title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, period: 60, view: 'timeSeries', metrics, ...extra },
  });
  return JSON.stringify({
    widgets: [
      widget(0, 0, `${cellId} requests`, [metric(spec.requestCount, { stat: 'Sum', id: 'requests' })]),
      widget(0, 12, `${cellId} error rate (%)`, [
        metric(spec.errorCount, { stat: 'Sum', visible: false, id: 'errors' }),
        metric(spec.requestCount, { stat: 'Sum', visible: false, id: 'requests' }),
        [{ expression: 'IF(requests > 0, 100 * errors / requests, 0)', label: 'Error rate (%)', id: 'errorRate' }],
      ]),
      widget(6, 0, `${cellId} p99 latency (ms)`, [metric(spec.latency, { stat: 'p99', id: 'latency' })]),
      widget(6, 12, `${cellId} availability (%)`, [metric(spec.availability, { stat: 'Average', id: 'availability' })]),
      widget(12, 0, `${cellId} utilisation (% of ${capacityRps} rps)`, [
        metric(spec.requestCount, { stat: 'Sum', visible: false, id: 'requests' }),
        [{ expression: `requests / ${(60 * capacityRps) / 100}`, label: 'Utilisation (%)', id: 'utilization' }],
      ]),
      widget(12, 12, `${cellId} CPU and memory (%)`, [metric(CPU_METRIC, { stat: 'Average', id: 'cpu' }), metric(MEMORY_METRIC, { stat: 'Average', id: 'memory' })]),
    ],
  });
}

/** A dashboard that does not exist: `DashboardNotFoundError` (JSON protocol) or its query code `ResourceNotFound`. */
const isDashboardMissing = (err: unknown): boolean => isAwsError(err, 'DashboardNotFoundError', 'ResourceNotFound', 'ResourceNotFoundException');

/** Builds the monitoring activities. */
export function createMonitoringActivities(deps: ResolvedDeps): MonitoringActivities {
  const health = createHealthActivities(deps);
  const calls = deps.cloudWatchCalls;
  const cw = (target: AwsTarget | undefined): CloudWatchClient => deps.clients.cloudWatch(target);

  /** The dashboards of `names` that exist (GetDashboard each). */
  async function existingDashboards(client: CloudWatchClient, names: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const name of names) {
      try {
        await calls.attempt((abortSignal) => client.send(new GetDashboardCommand({ DashboardName: name }), { abortSignal }));
        found.push(name);
      } catch (err) {
        if (!isDashboardMissing(err)) throw mapError(err, { operation: 'GetDashboard', resource: name });
      }
    }
    return found;
  }

  return {
    async putCellAlarms(input) {
      const client = cw(input.target);
      for (const alarm of input.alarms) {
        await calls.call({ operation: 'PutMetricAlarm', resource: alarm.alarmName }, (abortSignal) =>
          client.send(new PutMetricAlarmCommand(alarmInput(input.cellId, input.requestToken, alarm, 'cell-monitoring')), { abortSignal }),
        );
      }
      return { alarmNames: input.alarms.map((a) => a.alarmName) };
    },

    async putCellDashboard(input) {
      const client = cw(input.target);
      const region = input.target?.region ?? (await client.config.region());
      try {
        const out = await calls.attempt((abortSignal) =>
          client.send(new PutDashboardCommand({ DashboardName: input.dashboardName, DashboardBody: cellDashboardBody(input, region) }), { abortSignal }),
        );
        return { dashboardName: input.dashboardName, warnings: (out.DashboardValidationMessages ?? []).map((m) => `${m.DataPath ?? ''}: ${m.Message ?? ''}`) };
      } catch (err) {
        if (isAwsError(err, 'DashboardInvalidInputError', 'InvalidParameterInput')) {
          const messages = (err as { dashboardValidationMessages?: { DataPath?: string; Message?: string }[] }).dashboardValidationMessages ?? [];
          const info = awsErrorInfo(err);
          throw activityFailure(ErrorType.ValidationFailed, `PutDashboard ${input.dashboardName} refused the body: ${[info?.message, ...messages.map((m) => `${m.DataPath ?? ''}: ${m.Message ?? ''}`)].filter(Boolean).join('; ')}`);
        }
        throw mapError(err, { operation: 'PutDashboard', resource: input.dashboardName });
      }
    },

    async deleteCellMonitoring(input) {
      if (input.alarmNames.length > 0) await health.deletePostRecoveryAlarms({ requestToken: input.requestToken, target: input.target, alarmNames: input.alarmNames });
      const client = cw(input.target);
      const deleted: string[] = [];
      for (let i = 0; i < input.dashboardNames.length; i += MAX_DASHBOARDS_PER_DELETE) {
        const batch = input.dashboardNames.slice(i, i + MAX_DASHBOARDS_PER_DELETE);
        const remove = (names: string[]) => calls.attempt((abortSignal) => client.send(new DeleteDashboardsCommand({ DashboardNames: names }), { abortSignal }));
        try {
          await remove(batch);
          deleted.push(...batch);
        } catch (err) {
          if (!isDashboardMissing(err)) throw mapError(err, { operation: 'DeleteDashboards', resource: batch.join(',') });
          // One missing dashboard fails the whole call and deletes none: delete those that exist.
          const remaining = await existingDashboards(client, batch);
          if (remaining.length > 0) {
            await calls.call({ operation: 'DeleteDashboards', resource: remaining.join(',') }, (abortSignal) =>
              client.send(new DeleteDashboardsCommand({ DashboardNames: remaining }), { abortSignal }),
            );
          }
          deleted.push(...remaining);
        }
      }
      return { alarmNames: input.alarmNames, dashboardsDeleted: deleted };
    },

    async getCellUtilization(input) {
      if (!(input.windowSeconds > 0)) throw activityFailure(ErrorType.ValidationFailed, `windowSeconds must be positive, got ${input.windowSeconds}`);
      const endParsed = Date.parse(input.endTime);
      if (Number.isNaN(endParsed)) throw activityFailure(ErrorType.ValidationFailed, `endTime is not an ISO-8601 time: ${input.endTime}`);
      const periodSeconds = Math.ceil(input.windowSeconds / 60) * 60;
      const end = Math.floor(endParsed / 60_000) * 60_000;
      const start = end - periodSeconds * 1000;
      const cells: CellUtilization[] = [];
      for (const cell of input.cells) {
        const stat = (id: string, name: string, statistic: string): MetricDataQuery => ({
          Id: id,
          MetricStat: { Metric: { Namespace: cell.metrics.namespace, MetricName: name, Dimensions: dimensionsOf(cell.metrics) }, Period: periodSeconds, Stat: statistic },
          ReturnData: true,
        });
        const queries = [stat('requests', cell.metrics.requestCount, 'Sum'), stat('cpu', CPU_METRIC, 'Average'), stat('memory', MEMORY_METRIC, 'Average')];
        const values = new Map<string, number[]>();
        let nextToken: string | undefined;
        do {
          const out = await calls.call({ operation: 'GetMetricData', resource: cell.cellId }, (abortSignal) =>
            cw(cell.target).send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(end), NextToken: nextToken }), { abortSignal }),
          );
          for (const r of out.MetricDataResults ?? []) values.set(r.Id ?? '', [...(values.get(r.Id ?? '') ?? []), ...(r.Values ?? [])]);
          nextToken = out.NextToken;
        } while (nextToken !== undefined);
        const first = (id: string): number | null => values.get(id)?.[0] ?? null;
        const requests = values.get('requests') ?? [];
        const rps = requests.length > 0 ? requests.reduce((a, b) => a + b, 0) / periodSeconds : null;
        cells.push({
          cellId: cell.cellId,
          requestsPerSecond: rps === null ? null : round1(rps),
          requestUtilizationPercent: rps === null || !(cell.capacityRps > 0) ? null : round1((100 * rps) / cell.capacityRps),
          cpuPercent: first('cpu') === null ? null : round1(first('cpu') ?? 0),
          memoryPercent: first('memory') === null ? null : round1(first('memory') ?? 0),
        });
      }
      return { window: { start: new Date(start).toISOString(), end: new Date(end).toISOString(), periodSeconds }, cells };
    },
  };
}
