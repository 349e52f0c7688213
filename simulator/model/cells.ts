import type { Cell, MetricsSpec, Registry } from '../../domain/registry/schema';
import { bareZoneId, groupKeyOf, type RecordKey } from './zones';
import type { SimStack } from './stacks';

/** A cell the simulator knows: from the registry, or discovered from a new stack and weighted record. */
export interface SimCell {
  id: string;
  source: 'registry' | 'discovered';
  capacity: number;
  /** The registry's stack name; for a discovered cell, the stack found for it (if any yet). */
  stackName?: string;
  record: RecordKey & { setIdentifier: string };
  metrics: MetricsSpec;
  alarms: string[];
  /** The cell's metrics exist from this time on. */
  since: number;
}

/** Where a registry cell's weighted record lives. */
export const recordOf = (cell: Cell): SimCell['record'] => ({
  zoneId: bareZoneId(cell.route53.hostedZoneId),
  name: cell.route53.recordName,
  type: cell.route53.recordType,
  setIdentifier: cell.route53.setIdentifier,
});

/** A registry cell as the simulator keeps it; its metrics have existed forever. */
export function registryCell(cell: Cell): SimCell {
  return {
    id: cell.id,
    source: 'registry',
    capacity: cell.capacity,
    stackName: cell.stack.name,
    record: recordOf(cell),
    metrics: cell.metrics,
    alarms: [...cell.alarms],
    since: Number.NEGATIVE_INFINITY,
  };
}

/** The weighted groups (zone, name, type) whose members are cells: the registry cells' and the cell template's. */
export function cellGroupKeys(registry: Registry): Set<string> {
  const t = registry.cellTemplate.route53;
  return new Set([
    ...registry.cells.map((c) => groupKeyOf({ zoneId: c.route53.hostedZoneId, name: c.route53.recordName, type: c.route53.recordType })),
    groupKeyOf({ zoneId: t.hostedZoneId, name: t.recordName, type: t.recordType }),
  ]);
}

/** The dimension the registry names cells by (`CellId` in the example): used for discovered cells' metrics. */
function cellDimension(registry: Registry): string {
  for (const cell of registry.cells) {
    const key = Object.entries(cell.metrics.dimensions).find(([, value]) => value === cell.id)?.[0];
    if (key !== undefined) return key;
  }
  return 'CellId';
}

/** A new cell from a weighted record in a cell group: id = set identifier, the rest from the cell template. */
export function discoveredCell(registry: Registry, record: SimCell['record'], now: number): SimCell {
  const template = registry.cellTemplate;
  const id = record.setIdentifier;
  return {
    id,
    source: 'discovered',
    capacity: template.capacity,
    record,
    metrics: { ...template.metrics, dimensions: { [cellDimension(registry)]: id } },
    alarms: [],
    since: now,
  };
}

/**
 * Whether `stack` is the new cell's: tagged `cellops:cell=<id>`, a `CellId` parameter of the id,
 * or named `<prefix>-<id>`, `<prefix>-<last part of id>` (shop-cell-004 for cell-004), `<id>`, or `...-<id>`.
 */
export function isStackOfCell(stack: SimStack, cellId: string, stackNamePrefix: string): boolean {
  if (stack.tags.some((t) => t.Key === 'cellops:cell' && t.Value === cellId)) return true;
  if (stack.parameters.some((p) => p.key === 'CellId' && p.value === cellId)) return true;
  const last = cellId.split('-').pop() ?? cellId;
  const name = stack.stackName;
  return name === cellId || name === `${stackNamePrefix}-${cellId}` || name === `${stackNamePrefix}-${last}` || name.endsWith(`-${cellId}`);
}

/** The zone's name: the labels every record name in it ends with (at least two labels). */
export function zoneNameFor(recordNames: string[]): string {
  const split = recordNames.map((n) => n.toLowerCase().replace(/\.$/, '').split('.').reverse());
  const common: string[] = [];
  for (let i = 0; split.every((labels) => i < labels.length && labels[i] === split[0][i]); i += 1) common.push(split[0][i]);
  // A zone holding one name is its parent's (api.example.com. lives in example.com.).
  const fullName = split.some((labels) => labels.length === common.length);
  const labels = fullName && common.length > 2 ? common.slice(0, -1) : common;
  return `${(labels.length >= 2 ? labels : split[0].slice(0, 2)).reverse().join('.')}.`;
}

/** What a router member is: the cell-aware primary or the hash-based fallback. */
export type RouterRole = 'primary' | 'fallback';

/**
 * The router's members as the simulator keeps them: metrics (the registry's, or
 * `Cellops/Router` by set identifier) and alarms like a cell's, the primary with its stack.
 * They serve the whole fleet, so their capacity is never the limit.
 */
export function routerMembers(registry: Registry, fleetCapacity: number): (SimCell & { role: RouterRole })[] {
  const { router } = registry;
  const member = (role: RouterRole, record: Registry['router']['primary'], metrics: MetricsSpec | undefined, alarms: string[], stackName: string | undefined) => ({
    id: record.setIdentifier,
    role,
    source: 'registry' as const,
    capacity: 2 * fleetCapacity,
    stackName,
    record: { zoneId: bareZoneId(record.hostedZoneId), name: record.recordName, type: record.recordType, setIdentifier: record.setIdentifier },
    metrics: metrics ?? { namespace: 'Cellops/Router', dimensions: { Router: record.setIdentifier }, requestCount: 'RequestCount', errorCount: 'ErrorCount', latency: 'Latency', availability: 'Availability' },
    alarms: [...alarms],
    since: Number.NEGATIVE_INFINITY,
  });
  return [member('primary', router.primary, router.metrics, router.alarms, router.stack?.name), member('fallback', router.fallback, router.fallbackMetrics, [], undefined)];
}
