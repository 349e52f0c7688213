import type { MetricDataQuery, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type { Registry, WeightedRecord } from '../../domain/registry/schema';
import type { SimClock } from '../clock';
import { FaultBook, type ActiveFault, type FaultKind, type FaultOf, type FaultSpec } from '../faults';
import { Random } from '../random';
import type { SimulatorTiming } from '../timing';
import { evaluateAlarm, type SimAlarm } from './alarms';
import { cellAlarmConfig } from './cell-alarms';
import { cellGroupKeys, discoveredCell, isStackOfCell, registryCell, routerMembers, zoneNameFor, type RouterRole, type SimCell } from './cells';
import { CustomMetricStore, metricKey } from './custom-metrics';
import type { Series } from './metric-math';
import { CELL_METRICS, aggregateCellMetric, sampleMinute, type CellConditions, type CellMetric, type MinuteSample } from './metrics';
import { StackStore, isServingStatus, type OperationFailure, type SimStack } from './stacks';
import { createLedger, type HookLedger } from './ledger';
import { GroupTraffic, sharesFromWeights, type Shares } from './traffic';
import { bareZoneId, groupKeyOf, normalizeName, ZoneStore } from './zones';

/** What createSimulatedFleet passes to the model. */
export interface FleetModelOptions {
  registry: Registry;
  seed: number | string;
  clock: SimClock;
  timing: SimulatorTiming;
  /** Fleet-wide request rate. Default: half the registry's total capacity. */
  requestsPerSecond?: number;
  accountId?: string;
}

const DAY_MS = 86_400_000;
/** How far back alarm history is derived (evaluating every minute of two weeks would be slow). */
const ALARM_HISTORY_SIMULATED_MS = 2 * DAY_MS;
/** The stack parameter that sizes a cell, in percent of its registry capacity. */
export const CAPACITY_PARAMETER = 'CapacityPercent';

const capacity = (registry: Registry): number => registry.cells.reduce((sum, c) => sum + c.capacity, 0);
const DEFAULT_UPDATE_FAILURE = `Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'." (HandlerErrorCode: GeneralServiceException)`;
const DEFAULT_CREATE_FAILURE = `Resource handler returned message: "Error occurred during operation 'CreateService'." (HandlerErrorCode: GeneralServiceException)`;

/** A registry record as Route 53 holds it. */
const recordSet = (r: WeightedRecord) => ({
  Name: normalizeName(r.recordName),
  Type: r.recordType,
  SetIdentifier: r.setIdentifier,
  Weight: r.weight,
  TTL: r.ttl,
  ResourceRecords: [{ Value: r.value }],
});

/**
 * The whole simulated fleet: CloudFormation stacks, Route 53 zones, CloudWatch alarms and
 * metrics, the cells they make up and the application data the hooks move. State changes are
 * applied lazily: every read first calls {@link advance}, which plays the operations due by
 * the clock's now, so time (real or virtual) is the only driver.
 */
export class FleetModel {
  readonly registry: Registry;
  readonly clock: SimClock;
  readonly timing: SimulatorTiming;
  readonly random: Random;
  readonly seed: number | string;
  readonly region: string;
  readonly accountId: string;
  readonly startedAt: number;
  readonly faults = new FaultBook();
  readonly stacks: StackStore;
  readonly zones: ZoneStore;
  readonly customMetrics = new CustomMetricStore();
  readonly alarms = new Map<string, SimAlarm>();
  /** CloudWatch dashboards by name: the body as sent, and when it was last put. */
  readonly dashboards = new Map<string, { body: string; lastModified: number }>();
  readonly cells = new Map<string, SimCell>();
  /** The router's two members (primary and fallback), by set identifier: metrics and alarms like a cell's, not cells. */
  readonly routers = new Map<string, SimCell & { role: RouterRole }>();
  readonly hooks: HookLedger;
  private readonly traffic = new Map<string, GroupTraffic>();
  private readonly cellGroups: Set<string>;
  private readonly routerGroup: string;
  private readonly rates: { at: number; rps: number }[];
  private version = 0;
  private shareMemo = { version: -1, byTime: new Map<number, Record<string, number>>() };
  private readonly sampleMemo = new Map<string, MinuteSample>();
  private metricIndex = { cells: -1, byKey: new Map<string, { cellId: string; metric: CellMetric }>() };

  constructor(options: FleetModelOptions) {
    const { registry, clock, timing } = options;
    this.registry = registry;
    this.clock = clock;
    this.timing = timing;
    this.seed = options.seed;
    this.random = new Random(options.seed);
    this.region = registry.fleet.region;
    this.accountId = options.accountId ?? '123456789012';
    this.startedAt = clock.now();
    const bump = () => {
      this.version += 1;
    };
    this.stacks = new StackStore({ random: this.random, timing, region: this.region, accountId: this.accountId, onChange: bump });
    this.zones = new ZoneStore({ random: this.random, propagationMs: () => this.timing.changePropagationMs });
    this.cellGroups = cellGroupKeys(registry);
    const primary = registry.router.primary;
    this.routerGroup = groupKeyOf({ zoneId: primary.hostedZoneId, name: primary.recordName, type: primary.recordType });
    const capacity = registry.cells.reduce((sum, c) => sum + c.capacity, 0);
    this.rates = [{ at: Number.NEGATIVE_INFINITY, rps: options.requestsPerSecond ?? capacity / 2 }];
    this.hooks = createLedger(registry);
    this.seedFleet();
  }

  now(): number {
    return this.clock.now();
  }

  /** Plays every stack step due by now (stuck stacks hold). Returns now. */
  advance(): number {
    const now = this.now();
    this.stacks.advance(now, (stack) => this.isStuck(stack));
    return now;
  }

  /** Something changed that shares or samples may depend on. */
  touch(): void {
    this.version += 1;
  }

  // ---- faults -------------------------------------------------------------------------------

  inject(spec: FaultSpec): ActiveFault {
    const now = this.advance();
    // An integrity fault may name a cell a procedure is about to build (a recovery environment).
    if ('cellId' in spec && spec.cellId !== undefined && spec.kind !== 'integrity-failure') this.requireCell(spec.cellId);
    const fault = this.faults.add(spec, now);
    if (spec.kind === 'traffic-stuck') for (const group of this.stuckGroups(spec)) this.traffic.get(group)?.freeze(now);
    this.touch();
    return fault;
  }

  clearFault(id: string): void {
    const now = this.advance();
    const fault = this.faults.remove(id, now);
    if (fault === undefined) return;
    const spec = fault.spec;
    if (spec.kind === 'traffic-stuck') {
      for (const group of this.stuckGroups(spec)) if (!this.isGroupStuck(group)) this.moveTraffic(group, now);
    }
    if (spec.kind === 'stuck-stack-update') {
      for (const stack of this.stacks.all()) if (!this.isStuck(stack)) this.stacks.resume(stack, now);
    }
    this.touch();
  }

  /** The oldest active fault of `kind` matching `predicate`. */
  fault<K extends FaultKind>(kind: K, predicate?: (spec: FaultOf<K>) => boolean): ActiveFault<FaultOf<K>> | undefined {
    return this.faults.find(kind, predicate);
  }

  /** Counts one use of a counted fault. */
  useFault(fault: ActiveFault): void {
    this.faults.use(fault, this.now());
  }

  /** The stack a stack fault names: its `stackName`, its cell's stack, or undefined for any stack. */
  private faultStack(spec: { stackName?: string; cellId?: string }): string | undefined {
    if (spec.stackName !== undefined) return spec.stackName;
    if (spec.cellId === undefined) return undefined;
    const cell = this.requireCell(spec.cellId);
    return this.stackNameOf(cell) ?? `(no stack yet for ${cell.id})`;
  }

  private isStuck(stack: SimStack): boolean {
    return this.faults.find('stuck-stack-update', (spec) => {
      const name = this.faultStack(spec);
      return name === undefined || name === stack.stackName;
    }) !== undefined;
  }

  /** How an update of `stack` starting now ends: a failure if a fault says so (and uses it). */
  updateFailure(stack: SimStack): OperationFailure | undefined {
    const fault = this.faults.find('failing-stack-update', (spec) => {
      const name = this.faultStack(spec);
      return name === undefined || name === stack.stackName;
    });
    if (fault === undefined) return undefined;
    this.useFault(fault);
    return { logicalResourceId: fault.spec.logicalResourceId ?? 'CellService', reason: fault.spec.reason ?? DEFAULT_UPDATE_FAILURE };
  }

  /** How a create of `stackName` starting now ends. */
  createFailure(stackName: string): OperationFailure | undefined {
    const fault = this.faults.find('stack-create-failure', (spec) => spec.stackName === undefined || spec.stackName === stackName);
    if (fault === undefined) return undefined;
    this.useFault(fault);
    return { logicalResourceId: fault.spec.logicalResourceId ?? 'CellService', reason: fault.spec.reason ?? DEFAULT_CREATE_FAILURE };
  }

  private stuckGroups(spec: FaultOf<'traffic-stuck'>): string[] {
    if (spec.cellId === undefined) return [...this.traffic.keys()];
    return [groupKeyOf(this.requireCell(spec.cellId).record)];
  }

  private isGroupStuck(group: string): boolean {
    return this.faults.find('traffic-stuck', (spec) => spec.cellId === undefined || groupKeyOf(this.requireCell(spec.cellId).record) === group) !== undefined;
  }

  // ---- cells --------------------------------------------------------------------------------

  requireCell(cellId: string): SimCell {
    const cell = this.cells.get(cellId);
    if (cell === undefined) throw new RangeError(`unknown cell "${cellId}"; the fleet has ${[...this.cells.keys()].join(', ')}`);
    return cell;
  }

  /** The cell's stack name: the registry's, or the first stack that matches a discovered cell. */
  stackNameOf(cell: SimCell): string | undefined {
    if (cell.stackName !== undefined) return cell.stackName;
    const claimed = new Set([...this.cells.values()].map((c) => c.stackName));
    const stack = this.stacks.all().find((s) => !claimed.has(s.stackName) && isStackOfCell(s, cell.id, this.registry.cellTemplate.stackNamePrefix));
    if (stack !== undefined) cell.stackName = stack.stackName;
    return cell.stackName;
  }

  /** Which cell a stack belongs to, if any. */
  cellOfStack(stackName: string): SimCell | undefined {
    return [...this.cells.values()].find((c) => this.stackNameOf(c) === stackName);
  }

  /** New weighted records in a cell group become cells. */
  discoverCells(): void {
    const now = this.now();
    const known = new Set([...this.cells.values()].map((c) => groupKeyOf(c.record) + '|' + c.record.setIdentifier));
    for (const zone of this.zones.allZones()) {
      for (const r of zone.records) {
        if (r.Weight === undefined || r.SetIdentifier === undefined) continue;
        const record = { zoneId: zone.id, name: r.Name ?? '', type: r.Type ?? '', setIdentifier: r.SetIdentifier };
        const group = groupKeyOf(record);
        if (!this.cellGroups.has(group) || known.has(`${group}|${r.SetIdentifier}`) || this.cells.has(r.SetIdentifier)) continue;
        const cell = discoveredCell(this.registry, record, now);
        this.cells.set(cell.id, cell);
        this.hooks.customers.set(cell.id, 0);
        this.stackNameOf(cell);
      }
    }
    this.touch();
  }

  /** The cell's conditions at `t`, or undefined when it did not exist then (no metrics). */
  conditionsAt(cell: SimCell, t: number): CellConditions | undefined {
    const router = this.routers.get(cell.id);
    if (router !== undefined) return this.routerConditionsAt(router, t);
    if (t < cell.since) return undefined;
    const stackName = this.stackNameOf(cell);
    const stack = stackName === undefined ? undefined : this.stacks.incarnationAt(stackName, t);
    const entry = stack === undefined ? undefined : this.stacks.statusAt(stack, t);
    const unhealthy = this.faults
      .history('unhealthy-cell')
      .find((f) => f.spec.cellId === cell.id && f.injectedAt <= t && (f.endedAt === undefined || f.endedAt > t) && !(f.spec.curedByRestart && restartedBetween(stack, f.injectedAt, t)));
    const badVersion = stack === undefined ? undefined : this.badVersionAt(cell.id, stack, t);
    let health: CellConditions['health'] = 'healthy';
    if (entry === undefined || !isServingStatus(entry.status)) health = 'down';
    else if (unhealthy !== undefined || badVersion !== undefined) health = 'unhealthy';
    else if (entry.restarting) health = 'restarting';
    return {
      health,
      errorRatePercent: unhealthy?.spec.errorRatePercent ?? (badVersion === undefined ? undefined : (badVersion.errorRatePercent ?? 5)),
      latencyP99Ms: unhealthy?.spec.latencyP99Ms ?? (badVersion === undefined ? undefined : (badVersion.latencyP99Ms ?? 1_500)),
      requestsPerSecond: this.servedRateAt(t) * (this.sharesAt(t, 'observed')[cell.id] ?? 0),
      capacity: cell.capacity * (stack === undefined ? 1 : this.capacityScaleAt(stack, t)),
    };
  }

  /** A cell's size from its stack's `CapacityPercent` parameter at `t` (what the capacity watch scales), 1 without it. */
  private capacityScaleAt(stack: SimStack, t: number): number {
    const value = Number(this.stacks.configAt(stack, t).parameters.find((p) => p.key === CAPACITY_PARAMETER)?.value);
    return Number.isFinite(value) && value > 0 ? value / 100 : 1;
  }

  /** The `bad-version` fault the cell's stack ran into at `t`, if any (active then, and the stack on that version). */
  private badVersionAt(cellId: string, stack: SimStack, t: number): FaultOf<'bad-version'> | undefined {
    const faults = this.faults.history('bad-version').filter((f) => f.injectedAt <= t && (f.endedAt === undefined || f.endedAt > t) && (f.spec.cellIds === undefined || f.spec.cellIds.includes(cellId)));
    if (faults.length === 0) return undefined;
    const config = this.stacks.configAt(stack, t);
    return faults.find((f) => {
      const { parameter, value, templateUrl } = f.spec;
      if (templateUrl !== undefined && config.template.url === templateUrl) return true;
      return parameter !== undefined && config.parameters.some((p) => p.key === parameter && p.value === value);
    })?.spec;
  }

  /**
   * A router member's conditions at `t`: the primary is down without a serving stack, unhealthy
   * while a `router-failure` fault holds (until a restart of its stack completes, unless the
   * fault says it does not recover), restarting during a restart; the fallback (static, no
   * stack) is unhealthy only under its fault. Its requests are its share of the router's group.
   */
  private routerConditionsAt(router: SimCell & { role: RouterRole }, t: number): CellConditions {
    const stack = router.stackName === undefined ? undefined : this.stacks.incarnationAt(router.stackName, t);
    const entry = stack === undefined ? undefined : this.stacks.statusAt(stack, t);
    const fault = this.faults
      .history('router-failure')
      .find((f) => (f.spec.member ?? 'primary') === router.role && f.injectedAt <= t && (f.endedAt === undefined || f.endedAt > t));
    const restartedSince = (since: number): boolean =>
      stack !== undefined && stack.statusHistory.some((e) => e.status === 'UPDATE_COMPLETE' && e.at > since && e.at <= t);
    const failing = fault !== undefined && !(fault.spec.recoversOnRestart !== false && restartedSince(fault.injectedAt));
    let health: CellConditions['health'] = 'healthy';
    if (router.stackName !== undefined && (entry === undefined || !isServingStatus(entry.status))) health = 'down';
    else if (failing) health = 'unhealthy';
    else if (entry?.restarting === true) health = 'restarting';
    const share = this.routerShareAt(router.record.setIdentifier, t);
    return { health, errorRatePercent: fault?.spec.errorRatePercent ?? 40, latencyP99Ms: 2_500, requestsPerSecond: this.servedRateAt(t) * share, capacity: router.capacity };
  }

  /** The fraction (0-1) of the router's requests a member takes at `t`, as clients observe it. */
  routerShareAt(setIdentifier: string, t: number): number {
    return this.traffic.get(this.routerGroup)?.observedAt(t)[setIdentifier] ?? 0;
  }

  /** A router member by set identifier. */
  requireRouter(setIdentifier: string): SimCell & { role: RouterRole } {
    const router = this.routers.get(setIdentifier);
    if (router === undefined) throw new RangeError(`no router member "${setIdentifier}"`);
    return router;
  }

  // ---- traffic ------------------------------------------------------------------------------

  /** Current weights of a weighted group, by set identifier. */
  weightsOf(group: string): Record<string, number> {
    const [zoneId, name, type] = group.split('|');
    return Object.fromEntries(this.zones.group(zoneId, name, type).map((r) => [r.SetIdentifier ?? '', r.Weight ?? 0]));
  }

  /** After a change to `groups` was accepted: traffic follows once it is in sync, unless stuck. */
  recordsChanged(groups: Set<string>, insyncAt: number): void {
    this.discoverCells();
    for (const group of groups) {
      if (!this.traffic.has(group)) this.traffic.set(group, new GroupTraffic({}));
      if (!this.isGroupStuck(group)) this.moveTraffic(group, insyncAt);
    }
    this.touch();
  }

  private moveTraffic(group: string, at: number): void {
    const [zoneId, name, type] = group.split('|');
    const ttl = Math.max(0, ...this.zones.group(zoneId, name, type).map((r) => r.TTL ?? 0));
    const lag = this.timing.dnsLagMs === 'ttl' ? ttl * 1000 : this.timing.dnsLagMs;
    this.traffic.get(group)?.moveTo(sharesFromWeights(this.weightsOf(group)), at, lag);
  }

  /** Requests per second the fleet serves at `t`: the offered rate less what the application sheds. */
  servedRateAt(t: number): number {
    const rate = [...this.rates].reverse().find((r) => r.at <= t)?.rps ?? 0;
    const shed = [...this.hooks.shedding].reverse().find((s) => s.at <= t)?.percent ?? 0;
    return rate * (1 - shed / 100);
  }

  setRequestRate(rps: number): void {
    if (!(Number.isFinite(rps) && rps >= 0)) throw new RangeError(`requests per second must be >= 0, got ${rps}`);
    this.rates.push({ at: this.advance(), rps });
    this.touch();
  }

  private breakerOpenAt(cellId: string, t: number): boolean {
    return [...this.hooks.breakers].reverse().find((b) => b.cellId === cellId && b.at <= t)?.open ?? false;
  }

  /**
   * Each cell's fraction of the fleet's requests at `t`: its share of its weighted group
   * (observed, with the DNS lag, or the target the weights set now), mixed with an equal split
   * for the part the router's fallback record takes, with open circuit breakers' cells skipped.
   */
  sharesAt(t: number, mode: 'observed' | 'target'): Record<string, number> {
    if (mode === 'observed') {
      if (this.shareMemo.version !== this.version) this.shareMemo = { version: this.version, byTime: new Map() };
      const memo = this.shareMemo.byTime.get(t);
      if (memo !== undefined) return memo;
    }
    const groupShares = (group: string): Shares =>
      mode === 'observed' ? (this.traffic.get(group)?.observedAt(t) ?? {}) : sharesFromWeights(this.weightsOf(group));
    const fallback = this.registry.router.fallback.setIdentifier;
    const fallbackFraction = groupShares(this.routerGroup)[fallback] ?? 0;
    const result: Record<string, number> = {};
    let groupsServing = 0;
    for (const group of this.cellGroups) {
      const shares = groupShares(group);
      const members = [...this.cells.values()].filter((c) => groupKeyOf(c.record) === group && c.record.setIdentifier in shares);
      if (members.length === 0) continue;
      groupsServing += 1;
      const raw = members.map((c) => (this.breakerOpenAt(c.id, t) ? 0 : (1 - fallbackFraction) * shares[c.record.setIdentifier] + fallbackFraction / members.length));
      const total = raw.reduce((a, b) => a + b, 0);
      members.forEach((c, i) => {
        result[c.id] = total > 0 ? raw[i] / total : 0;
      });
    }
    for (const id of Object.keys(result)) result[id] /= Math.max(1, groupsServing);
    if (mode === 'observed') this.shareMemo.byTime.set(t, result);
    return result;
  }

  // ---- metrics ------------------------------------------------------------------------------

  /** One complete minute of a cell's metrics; undefined while incomplete or before the cell existed. */
  minute(cell: SimCell, minute: number): MinuteSample | undefined {
    if (minute + 60_000 > this.now()) return undefined;
    const key = `${cell.id}|${minute}`;
    const cached = this.sampleMemo.get(key);
    if (cached !== undefined) return cached;
    const conditions = this.conditionsAt(cell, minute + 30_000);
    if (conditions === undefined) return undefined;
    const minuteOfFleet = Math.floor(minute / 60_000) - Math.floor(this.startedAt / 60_000);
    const sample = sampleMinute(this.random, cell.id, minuteOfFleet, conditions);
    this.sampleMemo.set(key, sample);
    return sample;
  }

  /** Which cell metric a CloudWatch metric is, if any. */
  cellMetricOf(namespace: string, metricName: string, dimensions: readonly { Name?: string; Value?: string }[] | undefined): { cell: SimCell; metric: CellMetric } | undefined {
    if (this.metricIndex.cells !== this.cells.size) {
      const byKey = new Map<string, { cellId: string; metric: CellMetric }>();
      for (const cell of [...this.routers.values(), ...this.cells.values()]) {
        const dims = Object.entries(cell.metrics.dimensions).map(([Name, Value]) => ({ Name, Value }));
        for (const metric of CELL_METRICS) byKey.set(metricKey(cell.metrics.namespace, cell.metrics[metric], dims), { cellId: cell.id, metric });
      }
      this.metricIndex = { cells: this.cells.size, byKey };
    }
    const found = this.metricIndex.byKey.get(metricKey(namespace, metricName, dimensions));
    return found === undefined ? undefined : { cell: this.routers.get(found.cellId) ?? this.requireCell(found.cellId), metric: found.metric };
  }

  /**
   * One metric statistic per period over [start, end): a cell's synthetic metric or one
   * published with PutMetricData. Periods start at `start` rounded down to the minute.
   */
  readMetricStat = (query: MetricDataQuery, start: number, end: number): Series => {
    const stat = query.MetricStat;
    const out: Series = new Map();
    if (stat?.Metric === undefined) return out;
    const { Namespace = '', MetricName = '', Dimensions } = stat.Metric;
    const statistic = stat.Stat ?? 'Average';
    const cellMetric = this.cellMetricOf(Namespace, MetricName, Dimensions);
    const custom = cellMetric === undefined ? this.customMetrics.get(Namespace, MetricName, Dimensions) : undefined;
    // Cell metrics are standard resolution: one datum a minute.
    const periodMs = Math.max(cellMetric === undefined ? 1 : 60, stat.Period ?? 60) * 1000;
    for (let bucket = Math.floor(start / 60_000) * 60_000; bucket < end; bucket += periodMs) {
      const bucketEnd = Math.min(bucket + periodMs, end);
      let value: number | undefined;
      if (cellMetric !== undefined) {
        const samples: MinuteSample[] = [];
        for (let m = bucket; m < bucketEnd; m += 60_000) {
          const sample = this.minute(cellMetric.cell, m);
          if (sample !== undefined) samples.push(sample);
        }
        value = aggregateCellMetric(cellMetric.metric, samples, statistic);
      } else if (custom !== undefined) {
        value = this.customMetrics.stat(custom, bucket, bucketEnd, statistic);
      }
      if (value !== undefined) out.set(bucket, value);
    }
    return out;
  };

  // ---- alarms -------------------------------------------------------------------------------

  /** Creates or replaces an alarm; a replaced one keeps its state, as PutMetricAlarm does. */
  putAlarm(config: PutMetricAlarmInput, now: number): SimAlarm {
    const name = config.AlarmName ?? '';
    const existing = this.alarms.get(name);
    if (existing !== undefined) {
      // Tags belong to the first creation; an overwrite keeps them.
      existing.config = { ...config, Tags: existing.config.Tags };
      existing.configUpdatedAt = now;
      return existing;
    }
    const alarm: SimAlarm = {
      config: { ...config },
      arn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      stateUpdatedAt: now,
      configUpdatedAt: now,
      createdAt: now,
      evaluated: false,
    };
    this.alarms.set(name, alarm);
    return alarm;
  }

  /** Brings every alarm's state up to now. */
  evaluateAlarms(): void {
    const now = this.advance();
    for (const alarm of this.alarms.values()) {
      if (alarm.overrideUntil !== undefined && now < alarm.overrideUntil) continue;
      if (!alarm.evaluated && now < alarm.createdAt + this.timing.alarmFirstEvaluationMs) continue;
      alarm.evaluated = true;
      alarm.overrideUntil = undefined;
      const next = evaluateAlarm(alarm, this.readMetricStat, now);
      if (next === undefined || next.state === alarm.state) continue;
      Object.assign(alarm, { state: next.state, reason: next.reason, reasonData: next.reasonData, stateUpdatedAt: now });
    }
  }

  /**
   * The alarm's state changes in (start, end], derived from the data: the alarm evaluated at
   * every minute, as CloudWatch evaluates it (from its first evaluation on, at most
   * {@link ALARM_HISTORY_SIMULATED_MS} back from `end`). A state set by SetAlarmState is not replayed.
   */
  alarmTransitions(alarm: SimAlarm, start: number, end: number): { at: number; from: string; to: string; reason: string }[] {
    const first = Math.max(start, end - ALARM_HISTORY_SIMULATED_MS, alarm.createdAt + this.timing.alarmFirstEvaluationMs);
    let t = Math.ceil(first / 60_000) * 60_000;
    let state = evaluateAlarm(alarm, this.readMetricStat, t)?.state ?? 'INSUFFICIENT_DATA';
    const out: { at: number; from: string; to: string; reason: string }[] = [];
    for (t += 60_000; t <= end; t += 60_000) {
      const next = evaluateAlarm(alarm, this.readMetricStat, t);
      if (next === undefined || next.state === state) continue;
      out.push({ at: t, from: state, to: next.state, reason: next.reason });
      state = next.state;
    }
    return out;
  }

  /** The cell an alarm watches: listed in the registry, or by its metric's dimensions. */
  cellOfAlarm(alarm: SimAlarm): SimCell | undefined {
    const name = alarm.config.AlarmName ?? '';
    const listed = [...this.cells.values(), ...this.routers.values()].find((c) => c.alarms.includes(name));
    if (listed !== undefined) return listed;
    const c = alarm.config;
    const metrics = c.Metrics?.flatMap((m) => (m.MetricStat?.Metric === undefined ? [] : [m.MetricStat.Metric])) ?? [{ Namespace: c.Namespace, MetricName: c.MetricName, Dimensions: c.Dimensions }];
    for (const m of metrics) {
      const found = this.cellMetricOf(m.Namespace ?? '', m.MetricName ?? '', m.Dimensions);
      if (found !== undefined) return found.cell;
    }
    return undefined;
  }

  // ---- set-up -------------------------------------------------------------------------------

  private seedFleet(): void {
    const { registry } = this;
    const createdAt = this.startedAt - 30 * DAY_MS;
    for (const cell of registry.cells) this.cells.set(cell.id, registryCell(cell));

    // Zones from every record the registry names, each named after what its records share.
    const all = [registry.router.primary, registry.router.fallback, ...registry.cells.map((c) => c.route53), registry.cellTemplate.route53];
    const names = new Map<string, string[]>();
    for (const r of all) names.set(bareZoneId(r.hostedZoneId), [...(names.get(bareZoneId(r.hostedZoneId)) ?? []), r.recordName]);
    for (const [zoneId, recordNames] of names) this.zones.addZone(zoneId, zoneNameFor(recordNames));
    for (const r of [registry.router.primary, registry.router.fallback, ...registry.cells.map((c) => c.route53)]) {
      this.zones.zone(r.hostedZoneId)?.records.push(recordSet(r));
    }
    for (const r of all) {
      const group = groupKeyOf({ zoneId: r.hostedZoneId, name: r.recordName, type: r.recordType });
      if (!this.traffic.has(group)) this.traffic.set(group, new GroupTraffic(sharesFromWeights(this.weightsOf(group))));
    }

    for (const cell of registry.cells) {
      const parameters = { ...cell.stack.parameters };
      // The restart activity needs the parameter on the stack; a real cell template declares it.
      if (!(cell.stack.restartParameter in parameters)) parameters[cell.stack.restartParameter] = 'initial';
      this.stacks.seed({
        stackName: cell.stack.name,
        template: { url: cell.stack.template.templateUrl, body: cell.stack.template.templateBody },
        parameters: Object.entries(parameters).map(([key, value]) => ({ key, value })),
        restartParameter: cell.stack.restartParameter,
        capabilities: ['CAPABILITY_IAM'],
        createdAt,
      });
      for (const name of cell.alarms) this.putAlarm(cellAlarmConfig(name, cell.metrics, registry), createdAt);
    }
    // The router: its members' metrics and alarms, and the primary's stack when the registry names one.
    for (const member of routerMembers(registry, capacity(registry))) this.routers.set(member.id, member);
    const routerStack = registry.router.stack;
    if (routerStack !== undefined) {
      const parameters = { ...routerStack.parameters };
      if (!(routerStack.restartParameter in parameters)) parameters[routerStack.restartParameter] = 'initial';
      this.stacks.seed({
        stackName: routerStack.name,
        template: { url: routerStack.template.templateUrl, body: routerStack.template.templateBody },
        parameters: Object.entries(parameters).map(([key, value]) => ({ key, value })),
        restartParameter: routerStack.restartParameter,
        capabilities: ['CAPABILITY_IAM'],
        createdAt,
      });
    }
    for (const router of this.routers.values()) for (const name of router.alarms) this.putAlarm(cellAlarmConfig(name, router.metrics, registry), createdAt);
    // The registry's alarms have been evaluated for a long time already: start them in their state.
    for (const alarm of this.alarms.values()) {
      const first = evaluateAlarm(alarm, this.readMetricStat, this.startedAt);
      if (first !== undefined) Object.assign(alarm, { state: first.state, reason: first.reason, reasonData: first.reasonData });
      alarm.evaluated = true;
    }
  }
}

/** Whether an update restarting the stack's services started at or after `from` and completed by `to`. */
function restartedBetween(stack: SimStack | undefined, from: number, to: number): boolean {
  const history = stack?.statusHistory ?? [];
  const started = history.findIndex((e) => e.restarting && e.at >= from && e.at <= to);
  if (started < 0) return false;
  return history.slice(started + 1).some((e) => e.at <= to && e.status.startsWith('UPDATE_COMPLETE'));
}
