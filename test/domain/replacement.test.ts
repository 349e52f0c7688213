import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cellMetricsDimension,
  dataLossWindow,
  writesStoppedAt,
  emergencyCellId,
  newCell,
  newCellStackName,
  newCellTags,
  planCapacity,
  replacementCellId,
  safeNewCellWeight,
} from '../../domain/procedures/replacement';
import { parseRegistryText } from '../../domain/registry';

const registry = parseRegistryText(readFileSync(resolve(__dirname, '../../cells.example.yaml'), 'utf8'));

describe('new cells', () => {
  it('names the replacement and emergency cells after the failed cell, so a repeat finds the same ones', () => {
    expect(replacementCellId('cell-002')).toBe('cell-002-r');
    expect(emergencyCellId('cell-002', 2)).toBe('cell-002-e2');
    expect(() => replacementCellId('c'.repeat(62))).toThrow(RangeError);
  });

  it('does not repeat the stack prefix’s last word in the stack name', () => {
    expect(newCellStackName('shop-cell', 'cell-002-r')).toBe('shop-cell-002-r');
    expect(newCellStackName('shop', 'cell-002-r')).toBe('shop-cell-002-r');
    expect(newCellStackName('cells', 'blue-7')).toBe('cells-blue-7');
  });

  it('builds a cell from the template, described like a registry cell: stack, record at the in-service weight, metrics dimension', () => {
    expect(cellMetricsDimension(registry.cells)).toBe('CellId');
    expect(newCell(registry, 'cell-002-r', 1)).toEqual({
      id: 'cell-002-r',
      region: 'eu-west-1',
      priority: 1,
      capacity: 1000,
      customers: 0,
      stack: {
        name: 'shop-cell-002-r',
        template: { templateUrl: 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell.yaml' },
        parameters: { InstanceType: 'm7g.large' },
        restartParameter: 'RestartNonce',
      },
      route53: {
        hostedZoneId: 'Z0CELLOPS00001',
        recordName: 'cells.shop.example.com.',
        recordType: 'CNAME',
        setIdentifier: 'cell-002-r',
        value: 'cell-002-r.shop.example.com',
        ttl: 60,
        weight: 100,
      },
      alarms: [],
      metrics: { namespace: 'Shop/Cells', dimensions: { CellId: 'cell-002-r' }, requestCount: 'RequestCount', errorCount: 'ErrorCount', latency: 'Latency', availability: 'Availability' },
    });
    expect(newCellTags('cell-002-r')).toEqual({ 'cellops:cell': 'cell-002-r' });
  });
});

describe('planCapacity', () => {
  it('asks for nothing while the remaining cells stay under the utilisation limit', () => {
    expect(planCapacity(1500, 2000, 1000)).toEqual({ loadRps: 1500, remainingCapacityRps: 2000, maxUtilizationPercent: 80, utilizationPercent: 75, emergencyCells: 0 });
  });

  it('asks for enough emergency cells to bring utilisation back under the limit', () => {
    // 2,500 rps on 2,000 usable at 80% = 1,600: 900 short, 800 usable per new cell: 2 cells.
    expect(planCapacity(2500, 2000, 1000).emergencyCells).toBe(2);
    expect(planCapacity(1601, 2000, 1000).emergencyCells).toBe(1);
    expect(planCapacity(1600, 2000, 1000).emergencyCells).toBe(0);
  });

  it('handles a fleet with no capacity left and rejects nonsense limits', () => {
    expect(planCapacity(100, 0, 1000)).toMatchObject({ emergencyCells: 1, utilizationPercent: null });
    expect(() => planCapacity(100, 0, 0)).toThrow(RangeError);
    expect(() => planCapacity(100, 100, 100, 0)).toThrow(RangeError);
  });
});

describe('safeNewCellWeight', () => {
  it('gives the in-service weight when the new cells can carry their share', () => {
    const plan = planCapacity(1500, 2000, 1000);
    expect(safeNewCellWeight(plan, 1, 1000, 200, 100)).toBe(100);
  });

  it('lowers the weight so a cold cell gets at most its usable capacity', () => {
    // 4,000 rps, two cells left at weight 100 each; one new cell may carry 800 rps:
    // w / (200 + w) * 4000 <= 800  ⇔  w <= 50.
    const plan = planCapacity(4000, 2000, 1000);
    const weight = safeNewCellWeight(plan, 1, 1000, 200, 100);
    expect(weight).toBe(50);
    expect((weight / (200 + weight)) * 4000).toBeLessThanOrEqual(800);
  });

  it('never goes below 1 or above the in-service weight', () => {
    const plan = planCapacity(1_000_000, 2000, 1000);
    expect(safeNewCellWeight(plan, 1, 1000, 200, 100)).toBe(1);
    expect(safeNewCellWeight(plan, 1, 1000, 0, 100)).toBe(100);
  });
});

it('dataLossWindow runs from the backup to when writes stopped, never negative', () => {
  expect(dataLossWindow('2026-01-01T00:00:00.000Z', '2026-01-01T01:30:30.000Z')).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:30:30.000Z', durationMs: 5_430_000 });
  expect(dataLossWindow('2026-01-01T02:00:00.000Z', '2026-01-01T01:00:00.000Z').durationMs).toBe(0);
});

it('writesStoppedAt takes the drain of the procedure that handed over, when there was one', () => {
  const step = (name: string, endedAt: string, status: 'done' | 'failed' = 'done') => ({ name, status, startedAt: endedAt, endedAt });
  const escalated = (steps: ReturnType<typeof step>[]) =>
    ({ workflowId: 'w', runId: 'r', procedure: 'cellRestart', step: 'restart-services', error: 'x', report: { steps } }) as unknown as Parameters<typeof writesStoppedAt>[0];
  expect(writesStoppedAt(undefined, '2026-01-01T01:00:00.000Z')).toBe('2026-01-01T01:00:00.000Z');
  expect(writesStoppedAt(escalated([step('drain-traffic', '2026-01-01T00:10:00.000Z')]), '2026-01-01T01:00:00.000Z')).toBe('2026-01-01T00:10:00.000Z');
  expect(writesStoppedAt(escalated([step('drain-traffic', '2026-01-01T00:10:00.000Z', 'failed')]), '2026-01-01T01:00:00.000Z')).toBe('2026-01-01T01:00:00.000Z');
});
