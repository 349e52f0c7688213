/**
 * The capacity watch over a simulated day, on the dev server with time skipping: the fleet's
 * load rises in the morning and at noon, cells cross the threshold, and the watch takes each
 * option in turn (scale a cell up, move customers to a cell with room, provision a new cell
 * after approval), never two actions for one cell at once, continuing as new on the way; then an
 * operator stops it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startCapacityWatch } from '../../client/start-procedure';
import type { CapacityDecision, CapacityWatchInput, CapacityWatchStatus } from '../../domain/procedures/capacity-watch';
import type { CellProvisioningReport } from '../../domain/procedures/cell-lifecycle';
import type { CapacityWatchReport } from '../../workflows/capacity-watch';
import { abortSignal, capacityWatchQuery, pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { decide, saveHistoryIfAsked } from './cell-replacement.helpers';
import { cellStates } from './cell-lifecycle.helpers';

jest.setTimeout(600_000);

const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const HOUR = 3_600_000;
const CHECK = 15 * 60_000;

/** The example fleet with a small cell-001 (500 rps), sized by the watch's parameter. */
async function smallFirstCellFleet(): Promise<TestFleet> {
  const base = await createTestFleet(procedures.env);
  const registry = { ...base.registry, cells: base.registry.cells.map((c) => (c.id === 'cell-001' ? { ...c, capacity: 500 } : c)) };
  return await createTestFleet(procedures.env, { registry, requestsPerSecond: 1_500 });
}

function watchInput(fleet: TestFleet): CapacityWatchInput {
  return {
    registry: fleet.registry,
    requestedBy: 'alice@example.com',
    reason: 'test: watch the fleet for a day',
    options: { intervalSeconds: 900, checksPerRun: 24, roomPercent: 70, scaling: { maxPercent: 150 } },
  };
}

/** Every decision seen, in order, once each (the query keeps the last ones only). */
function collect(seen: CapacityDecision[], status: CapacityWatchStatus): void {
  const key = (d: CapacityDecision) => `${d.at}|${d.cellId}|${d.outcome}|${d.detail}`;
  const known = new Set(seen.map(key));
  for (const d of status.decisions) if (!known.has(key(d))) seen.push(d);
}

describe('capacityWatch', () => {
  test('a simulated day: scale up, move customers, provision a new cell on approval; one action per cell at a time; continues as new', async () => {
    const fleet = await smallFirstCellFleet();
    // The day's load: a quiet night, a busier morning, a peak at noon, quieter again in the evening.
    const schedule: [hour: number, rps: number][] = [
      [4, 1_950],
      [10, 3_600],
      [15, 2_400],
    ];
    const { decisions, final, report, runIds, states, newCell } = await withWorkers(fleet, async () => {
      const handle: WorkflowHandle = await startCapacityWatch(procedures.env.client, watchInput(fleet));
      const decisions: CapacityDecision[] = [];
      const runIds = new Set<string>();
      for (let elapsed = 0; elapsed < 24 * HOUR; elapsed += CHECK) {
        const due = schedule.find(([hour]) => hour * HOUR === elapsed);
        if (due) fleet.fleet.setRequestRate(due[1]);
        await procedures.env.sleep(CHECK);
        const progress = await handle.query(progressQuery);
        if (progress.pendingApproval?.step === 'emergency-capacity') await decide(handle, 'emergency-capacity', true);
        collect(decisions, await handle.query(capacityWatchQuery));
        runIds.add((await handle.describe()).runId);
      }
      // Paused, the watch takes no check; resumed, it carries on.
      await handle.signal(pauseSignal, { requestedBy: 'bob@example.com', reason: 'maintenance window' });
      const pausedAt = (await handle.query(capacityWatchQuery)).checks;
      await procedures.env.sleep(2 * HOUR);
      const whilePaused = await handle.query(capacityWatchQuery);
      expect(whilePaused.state).toBe('paused');
      expect(whilePaused.checks).toBeLessThanOrEqual(pausedAt + 1);
      await handle.signal(resumeSignal);
      await procedures.env.sleep(CHECK * 2);
      const final = await handle.query(capacityWatchQuery);
      collect(decisions, final);
      await handle.signal(abortSignal, { requestedBy: 'bob@example.com', reason: 'end of the test day' });
      const report = (await handle.result()) as CapacityWatchReport;
      await saveHistoryIfAsked(handle, 'capacityWatch-day');
      const newCell = (await procedures.env.client.workflow.getHandle('cell-recovery-cell-004').result()) as CellProvisioningReport;
      return { decisions, final, report, runIds, states: await cellStates(procedures.env), newCell };
    });

    const started = decisions.filter((d) => d.outcome === 'started');
    const kinds = (kind: string) => started.filter((d) => d.action?.kind === kind).map((d) => d.cellId);
    console.log(decisions.map((d) => `${d.at} #${d.check} ${d.cellId} ${d.outcome}: ${d.detail}`).join('\n'));
    // Each option was taken: cell-001 scaled first, then (at its largest) handing customers on, then a new cell
    expect(kinds('scale-up')[0]).toBe('cell-001');
    expect(kinds('move-customers')).toContain('cell-001');
    expect(started.find((d) => d.action?.kind === 'move-customers')?.action).toMatchObject({ toCellId: 'cell-002', customers: 105 });
    expect(started.filter((d) => d.action?.kind === 'provision-cell').map((d) => d.action?.kind === 'provision-cell' && d.action.newCellId)[0]).toBe('cell-004');
    expect(decisions.filter((d) => d.outcome === 'failed')).toEqual([]);
    // Never two actions for one cell at once
    const open = new Set<string>();
    for (const d of decisions) {
      if (d.outcome === 'started') {
        expect(open.has(d.cellId)).toBe(false);
        open.add(d.cellId);
      } else if (d.outcome !== 'skipped') open.delete(d.cellId);
    }
    // The new cell is in service, ready, and the watch knows it
    expect(newCell).toMatchObject({ outcome: 'completed', provisioning: { cellId: 'cell-004', ready: true } });
    expect(states['cell-004']).toBe('ready');
    expect(fleet.fleet.stack('shop-cell-004')?.status).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    expect(final.cells.map((c) => c.cellId)).toContain('cell-004');
    const cell001 = final.cells.find((c) => c.cellId === 'cell-001');
    expect(cell001).toMatchObject({ scalePercent: 150, capacityRps: 750 });
    expect(fleet.fleet.customers()['cell-001']).toBe(cell001?.customers);
    expect(fleet.fleet.stack('shop-cell-001')?.parameters).toMatchObject({ CapacityPercent: '150' });
    // A day of checks in runs of 24: it continued as new at least three times
    expect(final.checks).toBeGreaterThanOrEqual(96);
    expect(runIds.size).toBeGreaterThanOrEqual(4);
    // Stopped by the operator: the report says so
    expect(report).toMatchObject({ procedure: 'capacityWatch', outcome: 'aborted', watch: { fleet: 'shop-eu', state: 'stopped' } });
  });
});
