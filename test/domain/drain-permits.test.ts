import { decidePermit, type BlastRadius, type DrainPermit } from '../../domain/procedures/drain-permits';

const limits: BlastRadius = { maxCellsOut: 2, maxCapacityOutPercent: 40, fleetCapacity: 5000 };
const permit = (cellId: string, holder: string, capacity = 1000): DrainPermit => ({
  cellId,
  holder,
  capacity,
  grantedAt: '2026-01-01T00:00:00.000Z',
});

describe('decidePermit', () => {
  it('grants a first permit within the limits', () => {
    expect(decidePermit({ holder: 'wf-a', cellId: 'cell-001', capacity: 1000 }, [], limits)).toEqual({
      granted: true,
      alreadyHeld: false,
    });
  });

  it('grants again to the same holder of the same cell, so a retried request is harmless', () => {
    const held = [permit('cell-001', 'wf-a')];
    expect(decidePermit({ holder: 'wf-a', cellId: 'cell-001', capacity: 1000 }, held, limits)).toEqual({
      granted: true,
      alreadyHeld: true,
    });
  });

  it('refuses a cell another procedure already holds', () => {
    const held = [permit('cell-001', 'wf-a')];
    expect(decidePermit({ holder: 'wf-b', cellId: 'cell-001', capacity: 1000 }, held, limits)).toEqual({
      granted: false,
      reason: 'cell cell-001 is already out of service for wf-a',
    });
  });

  it('refuses past the maximum number of cells out', () => {
    const held = [permit('cell-001', 'wf-a', 100), permit('cell-002', 'wf-b', 100)];
    expect(decidePermit({ holder: 'wf-c', cellId: 'cell-003', capacity: 100 }, held, limits)).toEqual({
      granted: false,
      reason: '2 of at most 2 cells already out (cell-001, cell-002)',
    });
  });

  it('refuses past the capacity limit', () => {
    const held = [permit('cell-001', 'wf-a', 1500)];
    expect(decidePermit({ holder: 'wf-b', cellId: 'cell-002', capacity: 1000 }, held, limits)).toEqual({
      granted: false,
      reason: 'draining cell-002 would put 50.0% of capacity out, above the 40% limit',
    });
  });
});
