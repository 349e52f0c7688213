/**
 * Rolling a version out across cells, in batches: one activity updates a batch of cell stacks,
 * one waits for them, one reads their health. A batch's calls are per cell, so the calls per
 * cell stay the same whatever the fleet's size, while a workflow's history grows per batch,
 * not per cell.
 */
import { createHash } from 'node:crypto';
import { DescribeStackEventsCommand, DescribeStacksCommand, GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { MetricsSpec, StackSpec } from '../domain/registry/schema';
import { mapError, pause } from './aws-call';
import type { AwsTarget, ResolvedDeps } from './deps';
import { ErrorType, NON_RETRYABLE_ERROR_TYPES, activityFailure, isStackMissingError } from './errors';
import { describeFailures, latestOperationFailures, type StackEventPager } from './stack-events';
import { StackStatus } from './stack-status';
import { createStackActivities } from './stacks';

export interface CellStackUpdate {
  cellId: string;
  target?: AwsTarget;
  /** The stack as it should be (template and parameters). */
  stack: StackSpec;
}

export interface ReadCellStacksInput {
  requestToken: string;
  cells: CellStackRef[];
  /** Digests of the template bodies the caller holds already: not returned again. */
  knownTemplates: string[];
}

/** A stack as it was before the rollout changed it. */
export interface CellStackBefore {
  cellId: string;
  /** Every parameter with its value, except the NoEcho ones (DescribeStacks shows them as `****`). */
  parameters: Record<string, string>;
  /** The NoEcho parameters, whose values cannot be read back. */
  hidden: string[];
  /** SHA-256 of the template body; absent when too large to give back inline. */
  templateDigest?: string;
  /** The stack did not exist. */
  missing?: boolean;
}

export interface ReadCellStacksResult {
  cells: CellStackBefore[];
  /** The template bodies not in `knownTemplates`, by digest (a fleet runs few distinct templates). */
  templates: Record<string, string>;
}

/** The largest TemplateBody UpdateStack takes inline; a larger template needs a URL. */
export const MAX_INLINE_TEMPLATE_BYTES = 51_200;
/** What DescribeStacks shows for a NoEcho parameter. */
const NO_ECHO_VALUE = '****';

export interface UpdateCellStacksInput {
  /** Each cell's request token is `<requestToken>-<cellId>`. */
  requestToken: string;
  cells: CellStackUpdate[];
}

/** One cell's update: started (or already started by an earlier attempt), nothing to do, or refused. */
export interface CellStackUpdateResult {
  cellId: string;
  stackName: string;
  outcome: 'started' | 'no-op' | 'failed';
  /** Why it failed (a stack that needs an operator, a template CloudFormation refused). */
  error?: { type: string; message: string };
}

export interface CellStackRef {
  cellId: string;
  target?: AwsTarget;
  stackName: string;
}

export interface WaitForCellStacksInput {
  requestToken: string;
  cells: CellStackRef[];
}

export interface CellStackWaitResult {
  cellId: string;
  stackName: string;
  /** The end state: `UPDATE_COMPLETE` and the like when it worked. */
  status: string;
  ok: boolean;
  /** For a failed update: the resources that failed and why. */
  reason?: string;
}

export interface CellHealthRef {
  cellId: string;
  target?: AwsTarget;
  alarms: string[];
  metrics: MetricsSpec;
}

export interface ReadCellsHealthInput {
  requestToken: string;
  cells: CellHealthRef[];
  windowSeconds: number;
  /** ISO-8601 end of the window (rounded down to the minute). Default: now. */
  endTime?: string;
}

/** One cell's readings; null where the window holds no data. */
export interface CellHealthReading {
  cellId: string;
  requestCount: number;
  errorRatePercent: number | null;
  latencyP95Ms: number | null;
  inAlarm: string[];
}

export interface DeploymentActivities {
  /**
   * Updates each cell's stack to the given template and parameters (as `deployCellStack`: a
   * repeat with the same token finds its own operation, "No updates" is `no-op`). A cell that
   * cannot be updated (a failure that needs an operator) is reported, not thrown; a retryable
   * failure (throttling, a busy stack) fails the batch, whose retry skips the cells done
   * (heartbeated).
   */
  updateCellStacks(input: UpdateCellStacksInput): Promise<CellStackUpdateResult[]>;
  /**
   * Polls the stacks until each is stable, heartbeating the ones done; a retry resumes from them.
   * A stack that rolled back is reported with the resources that failed, not thrown.
   */
  waitForCellStacks(input: WaitForCellStacksInput): Promise<CellStackWaitResult[]>;
  /**
   * The cells' alarms in ALARM (DescribeAlarms, 100 names a call) and their request and error
   * sums and p95 latency over the window (GetMetricData, 500 queries a call: 166 cells).
   */
  readCellsHealth(input: ReadCellsHealthInput): Promise<CellHealthReading[]>;
  /**
   * Each stack's parameters (DescribeStacks) and its template (GetTemplate, stage Original) as
   * they are now, so that a rollback puts back what the cell really ran. Bodies
   * are returned once per distinct template (by digest). Reads only; heartbeated per cell.
   */
  readCellStacks(input: ReadCellStacksInput): Promise<ReadCellStacksResult>;
}

const MAX_QUERIES = 500;
const MAX_ALARM_NAMES = 100;
const targetKey = (target: AwsTarget | undefined): string => (target === undefined ? '' : `${target.region}|${target.roleArn ?? ''}`);

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function groupByTarget<T extends { target?: AwsTarget }>(items: readonly T[]): { target: AwsTarget | undefined; items: T[] }[] {
  const groups = new Map<string, { target: AwsTarget | undefined; items: T[] }>();
  for (const item of items) {
    const key = targetKey(item.target);
    const group = groups.get(key) ?? { target: item.target, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Results heartbeated by an earlier attempt of this activity, by cell. */
function resumed<T extends { cellId: string }>(): Map<string, T> {
  const saved: unknown = activityInfo().heartbeatDetails;
  const done = new Map<string, T>();
  if (Array.isArray(saved)) for (const r of saved as T[]) if (typeof r?.cellId === 'string') done.set(r.cellId, r);
  return done;
}

/** Builds the deployment activities. */
export function createDeploymentActivities(deps: ResolvedDeps): DeploymentActivities {
  const stacks = createStackActivities(deps);
  const { cloudFormationCalls: cfnCalls, cloudWatchCalls: cwCalls } = deps;

  async function describe(cfn: CloudFormationClient, stackName: string): Promise<StackStatus> {
    try {
      const out = await cfnCalls.attempt((abortSignal) => cfn.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal }));
      const stack = out.Stacks?.[0];
      return stack === undefined ? StackStatus.NOT_FOUND : new StackStatus(stack.StackStatus ?? 'UNKNOWN', stack.StackStatusReason);
    } catch (err) {
      if (isStackMissingError(err)) return StackStatus.NOT_FOUND;
      throw mapError(err, { operation: 'DescribeStacks', resource: stackName });
    }
  }

  const pager =
    (cfn: CloudFormationClient, stackName: string): StackEventPager =>
    async (nextToken) => {
      const out = await cfnCalls.call({ operation: 'DescribeStackEvents', resource: stackName }, (abortSignal) =>
        cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: nextToken }), { abortSignal }),
      );
      return { events: out.StackEvents ?? [], nextToken: out.NextToken };
    };

  async function readTarget(cw: CloudWatchClient, cells: CellHealthRef[], window: { start: Date; end: Date; period: number }): Promise<CellHealthReading[]> {
    const inAlarm = new Map<string, string[]>();
    const owner = new Map(cells.flatMap((c) => c.alarms.map((a) => [a, c.cellId] as const)));
    for (const names of chunks([...owner.keys()], MAX_ALARM_NAMES)) {
      let nextToken: string | undefined;
      do {
        const out = await cwCalls.call({ operation: 'DescribeAlarms', resource: `${names.length} alarms` }, (abortSignal) =>
          cw.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }), { abortSignal }),
        );
        for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          const cellId = owner.get(alarm.AlarmName ?? '');
          if (cellId !== undefined && alarm.StateValue === 'ALARM') inAlarm.set(cellId, [...(inAlarm.get(cellId) ?? []), alarm.AlarmName ?? '']);
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    const values = new Map<string, number[]>();
    const perQuery = 3;
    for (const [batchIndex, batch] of chunks(cells, Math.floor(MAX_QUERIES / perQuery)).entries()) {
      const queries: MetricDataQuery[] = batch.flatMap((cell, i) => {
        const id = `c${batchIndex}_${i}`;
        const m = cell.metrics;
        const metric = (name: string) => ({ Namespace: m.namespace, MetricName: name, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) });
        return [
          { Id: `${id}_req`, MetricStat: { Metric: metric(m.requestCount), Period: window.period, Stat: 'Sum' }, ReturnData: true },
          { Id: `${id}_err`, MetricStat: { Metric: metric(m.errorCount), Period: window.period, Stat: 'Sum' }, ReturnData: true },
          { Id: `${id}_p95`, MetricStat: { Metric: metric(m.latency), Period: window.period, Stat: 'p95' }, ReturnData: true },
        ];
      });
      let nextToken: string | undefined;
      do {
        const out = await cwCalls.call({ operation: 'GetMetricData', resource: `health of ${batch.length} cells` }, (abortSignal) =>
          cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: window.start, EndTime: window.end, ScanBy: 'TimestampDescending', NextToken: nextToken }), { abortSignal }),
        );
        for (const result of out.MetricDataResults ?? []) {
          checkResult(result);
          const key = `${batchIndex}|${result.Id ?? ''}`;
          values.set(key, [...(values.get(key) ?? []), ...(result.Values ?? [])]);
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return cells.map((cell, index) => {
      const batchIndex = Math.floor(index / Math.floor(MAX_QUERIES / perQuery));
      const i = index % Math.floor(MAX_QUERIES / perQuery);
      const get = (suffix: string) => values.get(`${batchIndex}|c${batchIndex}_${i}_${suffix}`) ?? [];
      const requestCount = get('req').reduce((a, b) => a + b, 0);
      const errorCount = get('err').reduce((a, b) => a + b, 0);
      const p95 = get('p95');
      return {
        cellId: cell.cellId,
        requestCount,
        errorRatePercent: requestCount > 0 ? (100 * errorCount) / requestCount : null,
        latencyP95Ms: p95.length > 0 ? Math.max(...p95) : null,
        inAlarm: inAlarm.get(cell.cellId) ?? [],
      };
    });
  }

  async function readStack(cell: CellStackRef): Promise<{ before: CellStackBefore; body?: string }> {
    const cfn = deps.clients.cloudFormation(cell.target);
    let stack;
    try {
      const out = await cfnCalls.attempt((abortSignal) => cfn.send(new DescribeStacksCommand({ StackName: cell.stackName }), { abortSignal }));
      stack = out.Stacks?.[0];
    } catch (err) {
      if (!isStackMissingError(err)) throw mapError(err, { operation: 'DescribeStacks', resource: cell.stackName });
    }
    if (stack === undefined) return { before: { cellId: cell.cellId, parameters: {}, hidden: [], missing: true } };
    const shown = (stack.Parameters ?? []).filter((p) => p.ParameterKey !== undefined);
    const before: CellStackBefore = {
      cellId: cell.cellId,
      parameters: Object.fromEntries(shown.filter((p) => p.ParameterValue !== NO_ECHO_VALUE).map((p) => [p.ParameterKey as string, p.ParameterValue ?? ''])),
      hidden: shown.filter((p) => p.ParameterValue === NO_ECHO_VALUE).map((p) => p.ParameterKey as string),
    };
    const out = await cfnCalls.call({ operation: 'GetTemplate', resource: cell.stackName }, (abortSignal) => cfn.send(new GetTemplateCommand({ StackName: cell.stackName, TemplateStage: 'Original' }), { abortSignal }));
    const body = out.TemplateBody ?? '';
    if (body.length === 0 || Buffer.byteLength(body, 'utf8') > MAX_INLINE_TEMPLATE_BYTES) return { before };
    return { before: { ...before, templateDigest: createHash('sha256').update(body).digest('hex') }, body };
  }

  return {
    async readCellStacks(input) {
      const saved = resumed<CellStackBefore>();
      const templates: Record<string, string> = {};
      const known = new Set(input.knownTemplates);
      const cells: CellStackBefore[] = [];
      for (const cell of input.cells) {
        const earlier = saved.get(cell.cellId);
        // A body an earlier attempt read is not heartbeated (size): read again when still needed.
        if (earlier !== undefined && (earlier.templateDigest === undefined || known.has(earlier.templateDigest) || templates[earlier.templateDigest] !== undefined)) {
          cells.push(earlier);
          continue;
        }
        const { before, body } = await readStack(cell);
        if (before.templateDigest !== undefined && body !== undefined && !known.has(before.templateDigest)) templates[before.templateDigest] = body;
        cells.push(before);
        heartbeat(cells);
      }
      return { cells, templates };
    },

    async updateCellStacks(input) {
      const done = resumed<CellStackUpdateResult>();
      const results: CellStackUpdateResult[] = [];
      for (const cell of input.cells) {
        const previous = done.get(cell.cellId);
        if (previous !== undefined) {
          results.push(previous);
          continue;
        }
        let result: CellStackUpdateResult;
        try {
          const op = await stacks.deployCellStack({ requestToken: `${input.requestToken}-${cell.cellId}`, target: cell.target, stack: cell.stack });
          result = { cellId: cell.cellId, stackName: cell.stack.name, outcome: op.noOp ? 'no-op' : 'started' };
        } catch (err) {
          // Only what no retry can fix is this cell's failure; anything else retries the batch.
          if (!(err instanceof ApplicationFailure) || !(NON_RETRYABLE_ERROR_TYPES as readonly string[]).includes(err.type ?? '')) throw err;
          result = { cellId: cell.cellId, stackName: cell.stack.name, outcome: 'failed', error: { type: err.type ?? 'Unknown', message: err.message } };
        }
        results.push(result);
        heartbeat(results);
      }
      return results;
    },

    async waitForCellStacks(input) {
      const done = resumed<CellStackWaitResult>();
      const pending = input.cells.filter((c) => !done.has(c.cellId));
      while (pending.length > 0) {
        for (const cell of [...pending]) {
          const cfn = deps.clients.cloudFormation(cell.target);
          const status = await describe(cfn, cell.stackName);
          let result: CellStackWaitResult | undefined;
          if (status.isDeploySuccess) result = { cellId: cell.cellId, stackName: cell.stackName, status: status.name, ok: true };
          else if (status.isNotFound || status.isDeleted) result = { cellId: cell.cellId, stackName: cell.stackName, status: status.name, ok: false, reason: `stack ${cell.stackName} does not exist` };
          else if (status.isStable || status.isFailure) {
            const failures = await latestOperationFailures(pager(cfn, cell.stackName), cell.stackName);
            result = { cellId: cell.cellId, stackName: cell.stackName, status: status.name, ok: false, reason: failures.length > 0 ? describeFailures(failures) : (status.reason ?? status.name) };
          }
          if (result !== undefined) {
            done.set(cell.cellId, result);
            pending.splice(pending.indexOf(cell), 1);
          }
        }
        heartbeat([...done.values()]);
        if (pending.length > 0) await pause(deps.sleep, deps.stackPollIntervalMs);
      }
      return input.cells.map((c) => done.get(c.cellId) as CellStackWaitResult);
    },

    async readCellsHealth(input) {
      if (!(input.windowSeconds > 0)) throw activityFailure(ErrorType.ValidationFailed, `windowSeconds must be positive, got ${input.windowSeconds}`);
      const period = Math.ceil(input.windowSeconds / 60) * 60;
      const endRaw = input.endTime === undefined ? deps.clock() : Date.parse(input.endTime);
      if (Number.isNaN(endRaw)) throw activityFailure(ErrorType.ValidationFailed, `endTime is not an ISO-8601 time: ${input.endTime ?? ''}`);
      const endMs = Math.floor(endRaw / 60_000) * 60_000;
      const window = { start: new Date(endMs - period * 1000), end: new Date(endMs), period };
      const byCell = new Map<string, CellHealthReading>();
      for (const group of groupByTarget(input.cells)) {
        for (const reading of await readTarget(deps.clients.cloudWatch(group.target), group.items, window)) byCell.set(reading.cellId, reading);
        heartbeat(byCell.size);
      }
      return input.cells.map((c) => byCell.get(c.cellId) as CellHealthReading);
    },
  };
}

function checkResult(result: MetricDataResult): void {
  if (result.StatusCode === 'Forbidden') throw activityFailure(ErrorType.AccessDenied, `GetMetricData: no access to metric ${result.Label ?? result.Id ?? ''}`);
  if (result.StatusCode === 'InternalError') throw activityFailure(ErrorType.AwsUnavailable, `GetMetricData: CloudWatch reported an internal error for ${result.Label ?? result.Id ?? ''}`);
}
