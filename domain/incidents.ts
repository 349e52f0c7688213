/**
 * What an alarm means for the fleet: which cell it belongs to, what kind of failure it reports,
 * how far it reaches and how urgent it is. Pure: the alarm gateway feeds it alarms it has already
 * verified, and the recovery decision matrix (`decision-matrix.ts`) turns the result into a procedure.
 */
import { ROUTER_ID } from './procedures/router-failover';
import type { Cell, Registry } from './registry/schema';

/** A CloudWatch alarm state, as every source reports it. */
export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** One alarm state change, whatever way it arrived (SNS, EventBridge, webhook). */
export interface AlarmNotification {
  alarmName: string;
  newState: AlarmState;
  oldState?: AlarmState;
  /** CloudWatch's NewStateReason, or the sender's words. */
  reason: string;
  /** When the state changed (ISO-8601), as the sender says. */
  changedAt?: string;
  region?: string;
  accountId?: string;
  /** The metric the alarm watches, when it watches one metric. */
  metric?: { namespace?: string; name?: string; dimensions: Record<string, string> };
}

/** Cell-level failures the procedures know, plus the fleet-level ones later procedures handle. */
export type FailureType =
  | 'elevated-errors'
  | 'high-latency'
  | 'unavailable'
  | 'infrastructure-lost'
  | 'router-failure'
  | 'data-corruption'
  | 'unknown';

/** What customers see. */
export type Impact = 'degraded' | 'outage';

/** Whether the cell's data can still be trusted. */
export type DataIntegrity = 'intact' | 'at-risk' | 'compromised';

/** How many cells the incident reaches: one, several, or the whole system (router, fleet-wide). */
export type IncidentScope = 'single' | 'multiple' | 'system';

/** P0 most urgent (page everyone), P3 least (look at it during the day). */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

/** An alarm read for what it means. */
export interface Incident {
  /** The cell, or `router` for the router's alarms. */
  cellId: string;
  alarmName: string;
  failureType: FailureType;
  impact: Impact;
  dataIntegrity: DataIntegrity;
  scope: IncidentScope;
  severity: Severity;
  /** The cells involved, this one first. */
  affectedCells: string[];
}

/** An alarm the registry does not tie to any cell. */
export class UnknownAlarmError extends Error {
  constructor(readonly alarmName: string) {
    super(`alarm "${alarmName}" belongs to no cell in the registry (neither by name in cells[].alarms nor by its metric's dimensions)`);
    this.name = 'UnknownAlarmError';
  }
}

/**
 * The cell an alarm belongs to: by name (`cells[].alarms`), else by its metric (the cell's
 * metrics namespace, and every dimension of the cell's metrics present with the same value).
 * @throws UnknownAlarmError when neither names a cell.
 */
export function cellForAlarm(registry: Registry, alarm: Pick<AlarmNotification, 'alarmName' | 'metric'>): Cell {
  const byName = registry.cells.find((cell) => cell.alarms.includes(alarm.alarmName));
  if (byName) return byName;
  const metric = alarm.metric;
  if (metric) {
    const byDimensions = registry.cells.find((cell) => {
      const wanted = Object.entries(cell.metrics.dimensions);
      if (wanted.length === 0) return false;
      if (metric.namespace !== undefined && metric.namespace !== cell.metrics.namespace) return false;
      return wanted.every(([name, value]) => metric.dimensions[name] === value);
    });
    if (byDimensions) return byDimensions;
  }
  throw new UnknownAlarmError(alarm.alarmName);
}

/** Words in an alarm or metric name and the failure they point to; the first that matches wins. */
const FAILURE_KEYWORDS: readonly { pattern: RegExp; failureType: FailureType }[] = [
  { pattern: /corrupt|integrity|checksum|data-?loss|replication-?lag/i, failureType: 'data-corruption' },
  { pattern: /router|routing/i, failureType: 'router-failure' },
  { pattern: /stack-?(failed|drift|deleted)|status-?check|instance-?(lost|terminated)|capacity-?lost/i, failureType: 'infrastructure-lost' },
  { pattern: /availab|unavailable|health-?check|unreachable|down\b/i, failureType: 'unavailable' },
  { pattern: /latency|p99|slow|duration/i, failureType: 'high-latency' },
  { pattern: /error|fault|5xx|exception/i, failureType: 'elevated-errors' },
];

/** The failure an alarm reports: from the cell's own metric names first, else from keywords in the metric and alarm names. */
export function failureTypeOf(alarm: Pick<AlarmNotification, 'alarmName' | 'metric'>, cell?: Cell): FailureType {
  const metricName = alarm.metric?.name;
  if (cell && metricName !== undefined) {
    if (metricName === cell.metrics.errorCount) return 'elevated-errors';
    if (metricName === cell.metrics.latency) return 'high-latency';
    if (metricName === cell.metrics.availability) return 'unavailable';
  }
  for (const text of [metricName, alarm.alarmName]) {
    if (text === undefined) continue;
    const found = FAILURE_KEYWORDS.find(({ pattern }) => pattern.test(text));
    if (found) return found.failureType;
  }
  return 'unknown';
}

const IMPACT: Record<FailureType, Impact> = {
  'elevated-errors': 'degraded',
  'high-latency': 'degraded',
  unavailable: 'outage',
  'infrastructure-lost': 'outage',
  'router-failure': 'outage',
  'data-corruption': 'degraded',
  unknown: 'degraded',
};

function dataIntegrityOf(alarm: Pick<AlarmNotification, 'alarmName' | 'metric'>, failureType: FailureType): DataIntegrity {
  if (failureType !== 'data-corruption') return 'intact';
  const names = `${alarm.metric?.name ?? ''} ${alarm.alarmName}`;
  return /replication-?lag/i.test(names) && !/corrupt|checksum|data-?loss|integrity/i.test(names) ? 'at-risk' : 'compromised';
}

/** The incident's reach: the router is the whole system; more than one cell affected is several. */
export function scopeOf(failureType: FailureType, affectedCells: number, fleetSize: number): IncidentScope {
  if (failureType === 'router-failure') return 'system';
  if (fleetSize > 1 && affectedCells >= fleetSize) return 'system';
  return affectedCells > 1 ? 'multiple' : 'single';
}

/**
 * P0: the whole system, or data compromised. P1: an outage, data at risk, or several cells.
 * P2: one cell degraded. P3: a failure nobody recognises on one cell (a person looks at it).
 */
export function severityOf(incident: Pick<Incident, 'failureType' | 'impact' | 'dataIntegrity' | 'scope'>): Severity {
  if (incident.scope === 'system' || incident.dataIntegrity === 'compromised') return 'P0';
  if (incident.impact === 'outage' || incident.dataIntegrity === 'at-risk' || incident.scope === 'multiple') return 'P1';
  if (incident.failureType === 'unknown') return 'P3';
  return 'P2';
}

/** What is known about the rest of the fleet when an alarm comes in. */
export interface FleetContext {
  /** Other cells already in trouble (for example with a recovery running), not counting this one. */
  otherAffectedCells?: readonly string[];
}

/** Whether the alarm is one of the router's (`router.alarms`, or a metric of the router's namespace and dimensions). */
export function isRouterAlarm(registry: Registry, alarm: Pick<AlarmNotification, 'alarmName' | 'metric'>): boolean {
  const router = registry.router;
  if (router.alarms.includes(alarm.alarmName)) return true;
  const wanted = Object.entries(router.metrics?.dimensions ?? {});
  const metric = alarm.metric;
  if (!metric || wanted.length === 0 || (metric.namespace !== undefined && metric.namespace !== router.metrics?.namespace)) return false;
  return wanted.every(([name, value]) => metric.dimensions[name] === value);
}

/**
 * Reads an alarm for the cell it belongs to, or for the router (cell id `router`): a router alarm
 * is a router failure of the whole system, unless it reports corrupt data.
 * @throws UnknownAlarmError when the registry ties the alarm to no cell and not to the router.
 */
export function classifyAlarm(registry: Registry, alarm: AlarmNotification, context: FleetContext = {}): Incident {
  if (!registry.cells.some((c) => c.alarms.includes(alarm.alarmName)) && isRouterAlarm(registry, alarm)) {
    const keyword = failureTypeOf(alarm);
    const failureType: FailureType = keyword === 'data-corruption' ? keyword : 'router-failure';
    const dataIntegrity = dataIntegrityOf(alarm, failureType);
    const impact = IMPACT[failureType];
    const scope: IncidentScope = 'system';
    return {
      cellId: ROUTER_ID,
      alarmName: alarm.alarmName,
      failureType,
      impact,
      dataIntegrity,
      scope,
      severity: severityOf({ failureType, impact, dataIntegrity, scope }),
      affectedCells: registry.cells.map((c) => c.id),
    };
  }
  const cell = cellForAlarm(registry, alarm);
  const failureType = failureTypeOf(alarm, cell);
  const others = (context.otherAffectedCells ?? []).filter((id) => id !== cell.id);
  const affectedCells = [cell.id, ...new Set(others)];
  const impact = IMPACT[failureType];
  const dataIntegrity = dataIntegrityOf(alarm, failureType);
  const scope = scopeOf(failureType, affectedCells.length, registry.cells.length);
  return {
    cellId: cell.id,
    alarmName: alarm.alarmName,
    failureType,
    impact,
    dataIntegrity,
    scope,
    severity: severityOf({ failureType, impact, dataIntegrity, scope }),
    affectedCells,
  };
}
