import { decideChangePermits, decidePermit, type BlastRadius, type DrainPermit } from '../../domain/procedures/drain-permits';

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

describe('change permits (a deployment updating cells in service)', () => {
  const limits = { maxCellsOut: 1, maxCapacityOutPercent: 34, fleetCapacity: 3000 };
  const drain = { holder: 'cell-recovery-cell-001', cellId: 'cell-001', capacity: 1000, grantedAt: '2026-01-01T00:00:00Z' };
  const change = { holder: 'wave-deployment-shop-eu', cellId: 'cell-002', capacity: 0, grantedAt: '2026-01-01T00:00:00Z', kind: 'change' as const };

  it('are not counted against the blast radius, but a drain of a cell being updated is refused, naming the deployment', () => {
    expect(decidePermit({ holder: 'cell-recovery-cell-003', cellId: 'cell-003', capacity: 1000 }, [change], limits)).toEqual({ granted: true, alreadyHeld: false });
    expect(decidePermit({ holder: 'cell-recovery-cell-002', cellId: 'cell-002', capacity: 1000 }, [change], limits)).toEqual({ granted: false, reason: 'cell cell-002 is being updated by wave-deployment-shop-eu' });
  });

  it('a batch gets all or none when asked; a rollback gets each cell it can', () => {
    const request = { holder: 'wave-deployment-shop-eu', cellIds: ['cell-001', 'cell-003'] };
    const refused = [{ cellId: 'cell-001', reason: 'cell cell-001 is already out of service for cell-recovery-cell-001' }];
    expect(decideChangePermits({ ...request, allOrNothing: true }, [drain])).toEqual({ granted: [], refused });
    expect(decideChangePermits({ ...request, allOrNothing: false }, [drain])).toEqual({ granted: ['cell-003'], refused });
    expect(decideChangePermits({ holder: change.holder, cellIds: ['cell-002'], allOrNothing: true }, [drain, change])).toEqual({ granted: ['cell-002'], refused: [] });
  });
});
