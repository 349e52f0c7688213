import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cellForAlarm,
  classifyAlarm,
  failureTypeOf,
  isRouterAlarm,
  scopeOf,
  severityOf,
  UnknownAlarmError,
  type AlarmNotification,
  type Incident,
} from '../../domain/incidents';
import { parseRegistryText, type Registry } from '../../domain/registry';

const registry: Registry = parseRegistryText(readFileSync(resolve(__dirname, '../../cells.example.yaml'), 'utf8'), 'cells.example.yaml');
const cell002 = registry.cells[1];

const alarm = (alarmName: string, extra: Partial<AlarmNotification> = {}): AlarmNotification => ({
  alarmName,
  newState: 'ALARM',
  reason: 'Threshold Crossed',
  ...extra,
});

describe('cellForAlarm', () => {
  test('finds the cell by the alarm name listed in cells[].alarms', () => {
    expect(cellForAlarm(registry, alarm('cell-002-HighLatency')).id).toBe('cell-002');
  });

  test("finds the cell by the metric's namespace and dimensions when the name is not listed", () => {
    const found = cellForAlarm(registry, alarm('shop-5xx-spike', { metric: { namespace: 'Shop/Cells', name: 'ErrorCount', dimensions: { CellId: 'cell-003', Stage: 'prod' } } }));
    expect(found.id).toBe('cell-003');
  });

  test.each([
    ['another namespace', { namespace: 'Other/Service', name: 'ErrorCount', dimensions: { CellId: 'cell-003' } }],
    ['a dimension value no cell has', { namespace: 'Shop/Cells', name: 'ErrorCount', dimensions: { CellId: 'cell-999' } }],
    ['no dimensions', { namespace: 'Shop/Cells', name: 'ErrorCount', dimensions: {} }],
  ])('an unlisted alarm on %s belongs to no cell', (_, metric) => {
    expect(() => cellForAlarm(registry, alarm('shop-5xx-spike', { metric }))).toThrow(UnknownAlarmError);
    expect(() => cellForAlarm(registry, alarm('shop-5xx-spike', { metric }))).toThrow('alarm "shop-5xx-spike" belongs to no cell in the registry');
  });
});

describe('failureTypeOf', () => {
  test.each([
    // The cell's own metric names decide first.
    ['any-name', 'ErrorCount', 'elevated-errors'],
    ['any-name', 'Latency', 'high-latency'],
    ['any-name', 'Availability', 'unavailable'],
    // Else keywords in the metric name, then in the alarm name.
    ['cell-002-HighErrorRate', undefined, 'elevated-errors'],
    ['cell-002-HighLatency', undefined, 'high-latency'],
    ['cell-002-p99-slow', undefined, 'high-latency'],
    ['cell-002-HealthCheckFailed', undefined, 'unavailable'],
    ['cell-002-Unavailable', undefined, 'unavailable'],
    ['cell-002-StatusCheckFailed', undefined, 'infrastructure-lost'],
    ['cell-002-StackFailed', undefined, 'infrastructure-lost'],
    ['cell-002-DataCorruption', undefined, 'data-corruption'],
    ['cell-002-ReplicationLag', undefined, 'data-corruption'],
    ['router-RoutingErrors', undefined, 'router-failure'],
    ['cell-002-DiskQueue', undefined, 'unknown'],
    ['cell-002-Whatever', 'ChecksumMismatch', 'data-corruption'],
  ])('%s (metric %s) is %s', (alarmName, metricName, expected) => {
    const metric = metricName === undefined ? undefined : { name: metricName, dimensions: {} };
    expect(failureTypeOf({ alarmName, metric }, cell002)).toBe(expected);
  });
});

describe('scope and severity', () => {
  test.each([
    ['elevated-errors', 1, 3, 'single'],
    ['elevated-errors', 2, 3, 'multiple'],
    ['elevated-errors', 3, 3, 'system'],
    ['router-failure', 1, 3, 'system'],
    ['elevated-errors', 1, 1, 'single'],
  ] as const)('%s on %i of %i cells is %s', (failureType, affected, fleet, expected) => {
    expect(scopeOf(failureType, affected, fleet)).toBe(expected);
  });

  test.each<[Pick<Incident, 'failureType' | 'impact' | 'dataIntegrity' | 'scope'>, string]>([
    [{ failureType: 'router-failure', impact: 'outage', dataIntegrity: 'intact', scope: 'system' }, 'P0'],
    [{ failureType: 'data-corruption', impact: 'degraded', dataIntegrity: 'compromised', scope: 'single' }, 'P0'],
    [{ failureType: 'unavailable', impact: 'outage', dataIntegrity: 'intact', scope: 'single' }, 'P1'],
    [{ failureType: 'data-corruption', impact: 'degraded', dataIntegrity: 'at-risk', scope: 'single' }, 'P1'],
    [{ failureType: 'elevated-errors', impact: 'degraded', dataIntegrity: 'intact', scope: 'multiple' }, 'P1'],
    [{ failureType: 'elevated-errors', impact: 'degraded', dataIntegrity: 'intact', scope: 'single' }, 'P2'],
    [{ failureType: 'unknown', impact: 'degraded', dataIntegrity: 'intact', scope: 'single' }, 'P3'],
  ])('%o is %s', (incident, expected) => {
    expect(severityOf(incident)).toBe(expected);
  });
});

describe('classifyAlarm', () => {
  test('a high error rate on one cell: elevated errors, degraded, data intact, single, P2', () => {
    expect(classifyAlarm(registry, alarm('cell-002-HighErrorRate'))).toEqual({
      cellId: 'cell-002',
      alarmName: 'cell-002-HighErrorRate',
      failureType: 'elevated-errors',
      impact: 'degraded',
      dataIntegrity: 'intact',
      scope: 'single',
      severity: 'P2',
      affectedCells: ['cell-002'],
    });
  });

  test('other cells already in trouble make the incident multiple (this cell first, no duplicates)', () => {
    const incident = classifyAlarm(registry, alarm('cell-002-HighLatency'), { otherAffectedCells: ['cell-001', 'cell-002', 'cell-001'] });
    expect(incident).toMatchObject({ scope: 'multiple', severity: 'P1', affectedCells: ['cell-002', 'cell-001'] });
  });

  test('replication lag puts data at risk; corruption compromises it', () => {
    const lag = alarm('cell-002-lag', { metric: { namespace: 'Shop/Cells', name: 'ReplicationLag', dimensions: { CellId: 'cell-002' } } });
    expect(classifyAlarm(registry, lag)).toMatchObject({ cellId: 'cell-002', failureType: 'data-corruption', dataIntegrity: 'at-risk', severity: 'P1' });
    const corrupt = alarm('cell-002-corrupt', { metric: { namespace: 'Shop/Cells', name: 'DataCorruption', dimensions: { CellId: 'cell-002' } } });
    expect(classifyAlarm(registry, corrupt)).toMatchObject({ dataIntegrity: 'compromised', severity: 'P0' });
  });

  test("the router's alarms (by name or by its metric) are a router failure of the whole system, P0", () => {
    const expected = { cellId: 'router', failureType: 'router-failure', impact: 'outage', dataIntegrity: 'intact', scope: 'system', severity: 'P0', affectedCells: ['cell-001', 'cell-002', 'cell-003'] };
    expect(classifyAlarm(registry, alarm('router-HighErrorRate'))).toMatchObject(expected);
    expect(classifyAlarm(registry, alarm('router-5xx', { metric: { namespace: 'Shop/Router', name: 'ErrorCount', dimensions: { Router: 'primary' } } }))).toMatchObject(expected);
    expect(isRouterAlarm(registry, alarm('router-5xx', { metric: { namespace: 'Shop/Router', name: 'ErrorCount', dimensions: { Router: 'fallback' } } }))).toBe(false);
  });

  test('an alarm of no cell is refused', () => {
    expect(() => classifyAlarm(registry, alarm('nobody-HighErrorRate'))).toThrow(UnknownAlarmError);
  });
});
