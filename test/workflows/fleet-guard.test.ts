import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createFleetGuardActivities } from '../../activities/fleet-guard';
import type { BlastRadius } from '../../domain/procedures/drain-permits';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { GUARD_REQUESTS_PER_RUN } from '../../workflows/fleet-guard';
import { drainPermitsQuery } from '../../workflows/messages';
import { saveHistoryIfAsked } from './cell-replacement.helpers';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

const limits: BlastRadius = { maxCellsOut: 1, maxCapacityOutPercent: 34, fleetCapacity: 3000 };
const request = (holder: string, cellId: string) => ({ requestToken: `${holder}-permit`, holder, cellId, capacity: 1000, limits });

describe('the fleet guard', () => {
  test('grants within the blast radius, refuses beyond it and for a cell out for someone else, re-grants to its holder, frees on release', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const guard = createFleetGuardActivities({ client: env.client });
    await workers.runUntil(async () => {
      // The first request starts the guard.
      expect(await guard.requestDrainPermit(request('cell-recovery-cell-001', 'cell-001'))).toEqual({ granted: true, alreadyHeld: false });
      expect(await guard.requestDrainPermit(request('cell-recovery-cell-001', 'cell-001'))).toEqual({ granted: true, alreadyHeld: true });
      expect(await guard.requestDrainPermit(request('wave-deployment-x', 'cell-001'))).toEqual({
        granted: false,
        reason: 'cell cell-001 is already out of service for cell-recovery-cell-001',
      });
      expect(await guard.requestDrainPermit(request('cell-recovery-cell-002', 'cell-002'))).toEqual({
        granted: false,
        reason: '1 of at most 1 cells already out (cell-001)',
      });
      const held = await env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).query(drainPermitsQuery);
      expect(held).toEqual([expect.objectContaining({ holder: 'cell-recovery-cell-001', cellId: 'cell-001', capacity: 1000 })]);

      expect(await guard.releaseDrainPermit({ requestToken: 'r', holder: 'cell-recovery-cell-001', cellId: 'cell-001' })).toEqual({ released: true, held: 0 });
      // A repeated release (a retried activity) is a no-op.
      expect(await guard.releaseDrainPermit({ requestToken: 'r', holder: 'cell-recovery-cell-001', cellId: 'cell-001' })).toEqual({ released: false, held: 0 });
      expect(await guard.requestDrainPermit(request('cell-recovery-cell-002', 'cell-002'))).toEqual({ granted: true, alreadyHeld: false });
      // Capacity is a limit of its own: two cells allowed, but not 2/3 of the capacity.
      const wider = { ...request('cell-recovery-cell-003', 'cell-003'), limits: { ...limits, maxCellsOut: 2 } };
      expect(await guard.requestDrainPermit(wider)).toEqual({
        granted: false,
        reason: 'draining cell-003 would put 66.7% of capacity out, above the 34% limit',
      });
      // One guard for the whole namespace, whoever asked first.
      const guards = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowType = "fleetGuard"` })) guards.push(w.workflowId);
      expect(guards).toEqual([FLEET_GUARD_WORKFLOW_ID]);
      await saveHistoryIfAsked(env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID), 'fleetGuard-permits');
      await env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID).terminate('test done');
    });
  });

  test('after 500 requests the guard continues as new, carrying the permits held; requests keep working across the hand-over', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    const guard = createFleetGuardActivities({ client: env.client });
    await workers.runUntil(async () => {
      const handle = env.client.workflow.getHandle(FLEET_GUARD_WORKFLOW_ID);
      expect(await guard.requestDrainPermit(request('cell-recovery-cell-001', 'cell-001'))).toEqual({ granted: true, alreadyHeld: false });
      const firstRun = (await handle.describe()).runId;
      // A holder re-asking (a retried activity) counts as a request too.
      for (let i = 1; i < GUARD_REQUESTS_PER_RUN; i++) await guard.requestDrainPermit(request('cell-recovery-cell-001', 'cell-001'));
      const after = await guard.requestDrainPermit(request('cell-recovery-cell-002', 'cell-002'));
      expect(after).toEqual({ granted: false, reason: '1 of at most 1 cells already out (cell-001)' });
      const described = await handle.describe();
      expect(described.runId).not.toBe(firstRun);
      expect(await handle.query(drainPermitsQuery)).toEqual([expect.objectContaining({ holder: 'cell-recovery-cell-001', cellId: 'cell-001' })]);
      await handle.terminate('test done');
    });
  }, 600_000); // 500 updates one after another: minutes on a busy machine (a guard against a hang)
});
