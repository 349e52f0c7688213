import type { Registry } from '../domain/registry/schema';
import type { CallLog } from './calls';
import type { SimClock } from './clock';
import type { ActiveFault, FaultHandle, FaultSpec } from './faults';
import type { FleetModel } from './model/fleet-model';
import type { CellHealth, MinuteSample } from './model/metrics';
import type { SimStack } from './model/stacks';

/** A cell as it is now. Shares are percent of the fleet's requests. */
export interface CellView {
  id: string;
  source: 'registry' | 'discovered';
  stackName?: string;
  /** `NONE` when the cell has no stack. */
  stackStatus: string;
  health: CellHealth;
  /** The weight of its Route 53 record; undefined when the record is gone. */
  weight?: number;
  /** What the weights ask for now. */
  targetSharePercent: number;
  /** What clients actually do now (lags the weights after a change; frozen by traffic-stuck). */
  observedSharePercent: number;
  requestsPerSecond: number;
  capacity: number;
  customers: number;
  circuitBreaker: 'open' | 'closed';
  alarms: { name: string; state: string }[];
}

/** A member of the router's weighted group as it is now. Shares are percent of the router's requests. */
export interface RouterMemberView {
  setIdentifier: string;
  role: 'primary' | 'fallback';
  /** `NONE` for the fallback (static, no stack) or a primary without one. */
  stackStatus: string;
  health: CellHealth;
  weight?: number;
  targetSharePercent: number;
  observedSharePercent: number;
  alarms: { name: string; state: string }[];
}

/** A stack as it is now; times in ISO-8601. */
export interface StackView {
  stackName: string;
  stackId: string;
  status: string;
  statusReason?: string;
  /** The template's URL (absent for a template given as a body). */
  templateUrl?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  createdAt: string;
  lastUpdatedAt?: string;
  deletedAt?: string;
}

/** One stack event (DescribeStackEvents), newest first in lists. */
export interface StackEventView {
  eventId: string;
  at: string;
  logicalResourceId: string;
  resourceType: string;
  status: string;
  reason?: string;
  clientRequestToken?: string;
}

/** A Route 53 record as the zone holds it. */
export interface RecordView {
  hostedZoneId: string;
  name: string;
  type: string;
  setIdentifier?: string;
  weight?: number;
  ttl?: number;
  values: string[];
}

/** An alarm's state, with the cell it watches when known. */
export interface AlarmView {
  name: string;
  state: string;
  reason: string;
  updatedAt: string;
  cellId?: string;
}

/** What the simulated hooks did to the application: customers, backups, restores, shedding, breakers, notifications. */
export interface HooksView {
  customers: Record<string, number>;
  backups: { backupId: string; cellId: string; takenAt: string; customers: number }[];
  restores: { fromCellId: string; toCellId: string; backupId: string; backupTakenAt: string; restoredAt: string; restoredCustomers: number; dataLossMs: number }[];
  migrations: { fromCellId: string; toCellId: string; customers: number; at: string }[];
  notifications: { at: string; severity: string; subject: string; message: string; workflowId: string; requestToken: string }[];
  sheddingPercent: number;
  openCircuitBreakers: string[];
}

/** A minute of a cell's synthetic metrics, as GetMetricData would see it. */
export interface MinuteView extends MinuteSample {
  minute: string;
}

/** The end state of a run as plain JSON: two runs with the same seed and calls give equal snapshots. */
export interface FleetSnapshot {
  time: string;
  seed: number | string;
  cells: CellView[];
  stacks: (StackView & { events: StackEventView[] })[];
  records: RecordView[];
  changes: { id: string; hostedZoneId: string; status: string; submittedAt: string }[];
  alarms: AlarmView[];
  customMetrics: { namespace: string; metricName: string; dimensions: Record<string, string>; datapoints: number }[];
  hooks: HooksView;
  faults: { id: string; kind: string; spec: FaultSpec; remaining?: number }[];
  calls: Record<string, number>;
}

/** The inspection and fault-injection side of a simulated fleet. */
export interface SimulatedFleet {
  readonly registry: Registry;
  readonly clock: SimClock;
  /** The fleet clock's now, in ms. */
  now(): number;
  cells(): CellView[];
  /** The router's primary and fallback. */
  router(): { primary: RouterMemberView; fallback: RouterMemberView };
  /** @throws RangeError naming the known cells */
  cell(cellId: string): CellView;
  /** The live stack of that name, or the stack of that id; undefined if none. */
  stack(nameOrId: string): StackView | undefined;
  /** Every stack, deleted ones included. */
  stacks(): StackView[];
  /** A stack's events, newest first (as DescribeStackEvents). */
  stackEvents(nameOrId: string): StackEventView[];
  /** Every record of every hosted zone, in Route 53's order. */
  records(): RecordView[];
  /** Each cell's current weight (cells without a record are left out). */
  weights(): Record<string, number>;
  /** Each cell's target and observed share of the fleet's requests, in percent. */
  trafficShares(): Record<string, { targetPercent: number; observedPercent: number }>;
  alarms(): AlarmView[];
  /** The CloudWatch dashboards, by name, with their bodies parsed. */
  dashboards(): { name: string; body: unknown }[];
  /** The last `count` complete minutes of a cell's metrics, oldest first. */
  recentMinutes(cellId: string, count?: number): MinuteView[];
  customers(): Record<string, number>;
  hooks(): HooksView;
  /** Injects a fault now; it lasts until cleared or, with a `count`, used up. */
  inject(fault: FaultSpec): FaultHandle;
  clearFault(fault: string | FaultHandle): void;
  clearFaults(): void;
  activeFaults(): ActiveFault[];
  /** The fleet-wide offered request rate from now on. */
  setRequestRate(requestsPerSecond: number): void;
  snapshot(): FleetSnapshot;
}

// Hooks and the clients reach the model behind a fleet through this, keeping the public API small.
const models = new WeakMap<SimulatedFleet, { model: FleetModel; calls: CallLog }>();

/** The model and call log behind a fleet made by `createSimulatedFleet`. */
export function internalsOf(fleet: SimulatedFleet): { model: FleetModel; calls: CallLog } {
  const internals = models.get(fleet);
  if (internals === undefined) throw new TypeError('not a fleet made by createSimulatedFleet');
  return internals;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrUndefined = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));
const percent = (fraction: number | undefined): number => Math.round((fraction ?? 0) * 100_000) / 1000;

function stackView(stack: SimStack): StackView {
  return {
    stackName: stack.stackName,
    stackId: stack.stackId,
    status: stack.status,
    statusReason: stack.statusReason,
    templateUrl: stack.template.url,
    parameters: Object.fromEntries(stack.parameters.map((p) => [p.key, p.value])),
    tags: Object.fromEntries(stack.tags.map((t) => [t.Key, t.Value])),
    createdAt: iso(stack.createdAt),
    lastUpdatedAt: isoOrUndefined(stack.lastUpdatedAt),
    deletedAt: isoOrUndefined(stack.deletedAt),
  };
}

function eventViews(stack: SimStack): StackEventView[] {
  return [...stack.events].reverse().map((e) => ({
    eventId: e.EventId,
    at: iso(e.Timestamp),
    logicalResourceId: e.LogicalResourceId,
    resourceType: e.ResourceType,
    status: e.ResourceStatus,
    reason: e.ResourceStatusReason,
    clientRequestToken: e.ClientRequestToken,
  }));
}

/** Builds the fleet API over a model. */
export function createFleetApi(model: FleetModel, calls: CallLog): SimulatedFleet {
  const handles = new Map<string, FaultHandle>();

  const cellViews = (): CellView[] => {
    const now = model.advance();
    model.evaluateAlarms();
    const target = model.sharesAt(now, 'target');
    const observed = model.sharesAt(now, 'observed');
    const rate = model.servedRateAt(now);
    return [...model.cells.values()].map((cell) => {
      const stackName = model.stackNameOf(cell);
      const stack = stackName === undefined ? undefined : model.stacks.find(stackName);
      const record = model.zones.group(cell.record.zoneId, cell.record.name, cell.record.type).find((r) => r.SetIdentifier === cell.record.setIdentifier);
      const breaker = [...model.hooks.breakers].reverse().find((b) => b.cellId === cell.id);
      return {
        id: cell.id,
        source: cell.source,
        stackName,
        stackStatus: stack?.status ?? 'NONE',
        health: model.conditionsAt(cell, now)?.health ?? 'down',
        weight: record?.Weight,
        targetSharePercent: percent(target[cell.id]),
        observedSharePercent: percent(observed[cell.id]),
        requestsPerSecond: Math.round(rate * (observed[cell.id] ?? 0) * 1000) / 1000,
        capacity: cell.capacity,
        customers: model.hooks.customers.get(cell.id) ?? 0,
        circuitBreaker: breaker?.open === true ? 'open' : 'closed',
        alarms: [...model.alarms.values()].filter((a) => model.cellOfAlarm(a)?.id === cell.id).map((a) => ({ name: a.config.AlarmName ?? '', state: a.state })),
      };
    });
  };

  const routerView = (): { primary: RouterMemberView; fallback: RouterMemberView } => {
    const now = model.advance();
    model.evaluateAlarms();
    const { primary, fallback } = model.registry.router;
    const group = model.zones.group(primary.hostedZoneId.replace(/^\/hostedzone\//, ''), primary.recordName, primary.recordType);
    const total = group.reduce((sum, r) => sum + (r.Weight ?? 0), 0);
    const view = (setIdentifier: string): RouterMemberView => {
      const member = model.requireRouter(setIdentifier);
      const record = group.find((r) => r.SetIdentifier === setIdentifier);
      const stack = member.stackName === undefined ? undefined : model.stacks.find(member.stackName);
      const observed = model.routerShareAt(setIdentifier, now);
      return {
        setIdentifier,
        role: member.role,
        stackStatus: stack?.status ?? 'NONE',
        health: model.conditionsAt(member, now)?.health ?? 'down',
        weight: record?.Weight,
        targetSharePercent: percent(total > 0 ? (record?.Weight ?? 0) / total : 1 / Math.max(1, group.length)),
        observedSharePercent: percent(observed),
        alarms: [...model.alarms.values()].filter((a) => member.alarms.includes(a.config.AlarmName ?? '')).map((a) => ({ name: a.config.AlarmName ?? '', state: a.state })),
      };
    };
    return { primary: view(primary.setIdentifier), fallback: view(fallback.setIdentifier) };
  };

  const alarmViews = (): AlarmView[] => {
    model.evaluateAlarms();
    return [...model.alarms.values()]
      .map((a) => ({ name: a.config.AlarmName ?? '', state: a.state, reason: a.reason, updatedAt: iso(a.stateUpdatedAt), cellId: model.cellOfAlarm(a)?.id }))
      .sort((a, b) => a.name.localeCompare(b.name));
  };

  const recordViews = (): RecordView[] =>
    model.zones.allZones().flatMap((zone) =>
      model.zones.records(zone.id).map((r) => ({
        hostedZoneId: zone.id,
        name: r.Name ?? '',
        type: r.Type ?? '',
        setIdentifier: r.SetIdentifier,
        weight: r.Weight,
        ttl: r.TTL,
        values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
      })),
    );

  const hooksView = (): HooksView => {
    const now = model.advance();
    const h = model.hooks;
    const open = new Map<string, boolean>();
    for (const b of h.breakers) open.set(b.cellId, b.open);
    return {
      customers: Object.fromEntries(h.customers),
      backups: h.backups.map((b) => ({ ...b, takenAt: iso(b.takenAt) })),
      restores: h.restores.map((r) => ({ ...r, backupTakenAt: iso(r.backupTakenAt), restoredAt: iso(r.restoredAt) })),
      migrations: h.migrations.map((m) => ({ ...m, at: iso(m.at) })),
      notifications: h.notifications.map((n) => ({ ...n, at: iso(n.at) })),
      sheddingPercent: [...h.shedding].reverse().find((s) => s.at <= now)?.percent ?? 0,
      openCircuitBreakers: [...open].filter(([, isOpen]) => isOpen).map(([id]) => id),
    };
  };

  const requireStack = (nameOrId: string): SimStack => {
    const stack = model.stacks.find(nameOrId);
    if (stack === undefined) throw new RangeError(`no stack ${nameOrId}`);
    return stack;
  };

  const fleet: SimulatedFleet = {
    registry: model.registry,
    clock: model.clock,
    now: () => model.now(),
    cells: cellViews,
    router: routerView,
    cell: (cellId) => {
      model.requireCell(cellId);
      const found = cellViews().find((c) => c.id === cellId);
      if (found === undefined) throw new RangeError(`unknown cell "${cellId}"`);
      return found;
    },
    stack: (nameOrId) => {
      model.advance();
      const stack = model.stacks.find(nameOrId);
      return stack === undefined ? undefined : stackView(stack);
    },
    stacks: () => {
      model.advance();
      return model.stacks.all().map(stackView);
    },
    stackEvents: (nameOrId) => {
      model.advance();
      return eventViews(requireStack(nameOrId));
    },
    records: recordViews,
    weights: () => Object.fromEntries(cellViews().flatMap((c) => (c.weight === undefined ? [] : [[c.id, c.weight]]))),
    trafficShares: () => Object.fromEntries(cellViews().map((c) => [c.id, { targetPercent: c.targetSharePercent, observedPercent: c.observedSharePercent }])),
    alarms: alarmViews,
    dashboards: () => [...model.dashboards.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, d]) => ({ name, body: JSON.parse(d.body) as unknown })),
    recentMinutes: (cellId, count = 5) => {
      const cell = model.requireCell(cellId);
      const now = model.advance();
      const last = Math.floor(now / 60_000) * 60_000 - 60_000;
      const views: MinuteView[] = [];
      for (let m = last - (count - 1) * 60_000; m <= last; m += 60_000) {
        const sample = model.minute(cell, m);
        if (sample !== undefined) views.push({ minute: iso(m), ...sample });
      }
      return views;
    },
    customers: () => Object.fromEntries(model.hooks.customers),
    hooks: hooksView,
    inject: (spec) => {
      const fault = model.inject(spec);
      const handle: FaultHandle = {
        id: fault.id,
        spec: fault.spec,
        clear: () => model.clearFault(fault.id),
        get active() {
          return model.faults.isActive(fault.id);
        },
      };
      handles.set(fault.id, handle);
      return handle;
    },
    clearFault: (fault) => model.clearFault(typeof fault === 'string' ? fault : fault.id),
    clearFaults: () => {
      for (const fault of model.faults.list()) model.clearFault(fault.id);
    },
    activeFaults: () => model.faults.list(),
    setRequestRate: (rps) => model.setRequestRate(rps),
    snapshot: () => {
      const now = model.advance();
      return {
        time: iso(now),
        seed: model.seed,
        cells: cellViews(),
        stacks: model.stacks.all().map((s) => ({ ...stackView(s), events: eventViews(s) })),
        records: recordViews(),
        changes: model.zones.allChanges().map((c) => ({ id: c.id, hostedZoneId: c.zoneId, status: now >= c.insyncAt ? 'INSYNC' : 'PENDING', submittedAt: iso(c.submittedAt) })),
        alarms: alarmViews(),
        customMetrics: model.customMetrics.all().map((m) => ({
          namespace: m.namespace,
          metricName: m.metricName,
          dimensions: Object.fromEntries(m.dimensions.map((d) => [d.Name ?? '', d.Value ?? ''])),
          datapoints: m.datapoints.length,
        })),
        hooks: hooksView(),
        faults: model.faults.list().map((f) => ({ id: f.id, kind: f.spec.kind, spec: f.spec, remaining: f.remaining })),
        calls: calls.summary(),
      };
    },
  };
  models.set(fleet, { model, calls });
  return fleet;
}
