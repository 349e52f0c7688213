import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { applyLifecycleRecord, type CellLifecycleRecord } from '../domain/procedures/cell-lifecycle';
import { decidePermit, type DrainPermit, type DrainPermitRequest, type FleetGuardState } from '../domain/procedures/drain-permits';
import { cellStatesQuery, drainPermitsQuery, recordCellStateUpdate, releaseDrainPermitUpdate, requestDrainPermitUpdate } from './messages';

/** Requests handled by one run before it continues as new (each adds a few events). */
export const GUARD_REQUESTS_PER_RUN = 500;

/**
 * The fleet guard: one long-lived workflow (`cellops-fleet-guard`) that grants drain permits
 * so that no more cells, and no more capacity, are out of service at once than the blast
 * radius policy allows, across every procedure. Procedures ask with the `requestDrainPermit`
 * update and give the permit back with `releaseDrainPermit`; the permits held carry over
 * continue-as-new, which bounds the history. It also keeps every cell's lifecycle state
 * (`recordCellState`, `cellStates`), set by provisioning and decommissioning, so that other
 * procedures and `cellops fleet` see new and leaving cells without the registry file changing.
 */
export async function fleetGuard(state: FleetGuardState = { permits: [] }): Promise<void> {
  const permits: DrainPermit[] = [...state.permits];
  let cells: CellLifecycleRecord[] = [...(state.cells ?? [])];
  let handled = 0;

  setHandler(
    requestDrainPermitUpdate,
    (request) => {
      handled++;
      const verdict = decidePermit(request, permits, request.limits);
      if (verdict.granted && !verdict.alreadyHeld) {
        permits.push({ holder: request.holder, cellId: request.cellId, capacity: request.capacity, grantedAt: new Date().toISOString() });
      }
      return verdict;
    },
    {
      validator: (request: DrainPermitRequest) => {
        if (!request.holder || !request.cellId) throw new Error('a permit request needs holder and cellId');
        if (!(request.capacity >= 0)) throw new Error(`capacity must be >= 0, got ${request.capacity}`);
      },
    },
  );
  setHandler(releaseDrainPermitUpdate, (release) => {
    handled++;
    const index = permits.findIndex((p) => p.holder === release.holder && p.cellId === release.cellId);
    if (index >= 0) permits.splice(index, 1);
    return { released: index >= 0, held: permits.length };
  });
  setHandler(drainPermitsQuery, () => permits);
  setHandler(
    recordCellStateUpdate,
    (record) => {
      handled++;
      cells = applyLifecycleRecord(cells, record);
      return record;
    },
    {
      validator: (record: CellLifecycleRecord) => {
        if (!record.cellId || !record.state || !record.by) throw new Error('a lifecycle record needs cellId, state and by');
      },
    },
  );
  setHandler(cellStatesQuery, () => cells);

  await condition(() => handled >= GUARD_REQUESTS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof fleetGuard>({ permits, cells });
}
