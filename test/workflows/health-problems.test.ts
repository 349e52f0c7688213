import type { CellHealth } from '../../activities';
import { policiesSchema } from '../../domain/registry/schema';
import { healthProblems } from '../../workflows/lib/health';

const quietCell: CellHealth = {
  cellId: 'cell-003',
  window: { start: '2026-03-01T03:00:00.000Z', end: '2026-03-01T03:05:00.000Z', periodSeconds: 300 },
  alarms: [],
  inAlarm: [],
  missingAlarms: [],
  metrics: { requestCount: 0, errorCount: 0, errorRatePercent: null, latencyP99Ms: null, availabilityPercent: 100 },
  partialData: false,
  noData: ['errorRate', 'latencyP99'],
  unreadable: [],
};

describe('healthProblems and metrics without data', () => {
  test('by default a signal without data is no evidence of a problem', () => {
    const policy = policiesSchema.parse({}).health;
    expect(policy.onNoData).toBe('pass');
    expect(healthProblems(quietCell, policy)).toEqual([]);
  });

  test('with onNoData: fail, each signal without data is a problem, named', () => {
    const policy = policiesSchema.parse({ health: { onNoData: 'fail' } }).health;
    expect(healthProblems(quietCell, policy)).toEqual(['no error rate (no requests) data in the window', 'no p99 latency data in the window']);
  });

  test('a result recorded before noData existed (a replayed history) is read as having none', () => {
    const { noData: _omitted, ...older } = quietCell;
    const policy = policiesSchema.parse({ health: { onNoData: 'fail' } }).health;
    expect(healthProblems(older as CellHealth, policy)).toEqual([]);
  });
});
