import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { applyLifecycleRecord, type CellLifecycleRecord } from '../domain/procedures/cell-lifecycle';
import { decideChangePermits, decidePermit, type ChangePermitsRequest, type DrainPermit, type DrainPermitRequest, type FleetGuardState } from '../domain/procedures/drain-permits';
import { cellStatesQuery, drainPermitsQuery, recordCellStateUpdate, releaseChangePermitsUpdate, releaseDrainPermitUpdate, requestChangePermitsUpdate, requestDrainPermitUpdate } from './messages';

/** Requests handled by one run before it continues as new (each adds a few events). */
export const GUARD_REQUESTS_PER_RUN = 500;

/**
 * The fleet guard: one long-lived workflow (`cellops-fleet-guard`) that grants drain permits
 * so that no more cells, and no more capacity, are out of service at once than the blast
 * radius policy allows, across every procedure. Procedures ask with the `requestDrainPermit`
 * update and give the permit back with `releaseDrainPermit`; a deployment takes `change` permits
 * for the cells it updates in service (`requestChangePermits`, `releaseChangePermits`): not
 * counted against the blast radius, but no other procedure takes those cells meanwhile. The
 * permits held carry over
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
  setHandler(
    requestChangePermitsUpdate,
    (request) => {
      handled++;
      const verdict = decideChangePermits(request, permits);
      const grantedAt = new Date().toISOString();
      for (const cellId of verdict.granted) {
        if (!permits.some((p) => p.holder === request.holder && p.cellId === cellId)) permits.push({ holder: request.holder, cellId, capacity: 0, grantedAt, kind: 'change' });
      }
      return verdict;
    },
    {
      validator: (request: ChangePermitsRequest) => {
        if (!request.holder || !Array.isArray(request.cellIds) || request.cellIds.some((id) => !id)) throw new Error('a change permits request needs holder and cellIds');
      },
    },
  );
  setHandler(releaseChangePermitsUpdate, (release) => {
    handled++;
    const before = permits.length;
    for (let i = permits.length - 1; i >= 0; i -= 1) if (permits[i].holder === release.holder && release.cellIds.includes(permits[i].cellId)) permits.splice(i, 1);
    return { released: permits.length < before, held: permits.length };
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
