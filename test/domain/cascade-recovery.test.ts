import { cascadeInputProblems, recoveryOrder, sheddingLiftSchedule } from '../../domain/procedures/cascade-recovery';

describe('cascade recovery, pure parts', () => {
  test('failed cells are recovered by priority (0 first), then by id', () => {
    const cells = [
      { id: 'cell-009', priority: 2 },
      { id: 'cell-003', priority: 1 },
      { id: 'cell-001', priority: 1 },
      { id: 'cell-004', priority: 0 },
    ];
    expect(recoveryOrder(cells, (c) => c).map((c) => c.id)).toEqual(['cell-004', 'cell-001', 'cell-003', 'cell-009']);
  });

  test.each([
    [50, [25, 0]],
    [60, [35, 10, 0]],
    [25, [0]],
    [10, [0]],
    [100, [75, 50, 25, 0]],
  ])('shedding at %d%% is lifted as %j', (from, schedule) => {
    expect(sheddingLiftSchedule(from)).toEqual(schedule);
  });

  test('bad inputs are named, good ones pass', () => {
    expect(cascadeInputProblems({})).toEqual([]);
    expect(cascadeInputProblems({ sheddingPercent: 50, emergencyCells: 0, fleetStabilityChecks: 2 })).toEqual([]);
    expect(cascadeInputProblems({ sheddingPercent: 0, emergencyCells: -1, fleetStabilityChecks: 1 })).toEqual([
      'sheddingPercent must be a whole number 1-100, got 0',
      'emergencyCells must be a whole number 0-10, got -1',
      'fleetStabilityChecks must be a whole number of at least 2, got 1',
    ]);
  });
});
