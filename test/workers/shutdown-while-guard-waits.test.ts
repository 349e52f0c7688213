import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startProcedure } from '../../client/start-procedure';
import { FLEET_GUARD_WORKFLOW_ID } from '../../domain/workflow-ids';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning } from '../helpers/procedures-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';
import { createLocalTestEnvironment } from '../helpers/test-environment';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await terminateRunning(env.client);
  await env?.teardown();
});

/** Resolves once `handle`'s run has a started `activityType` attempt (the attempt is on a worker). */
async function activityStarted(handle: WorkflowHandle, activityType: string): Promise<void> {
  for (;;) {
    const { raw } = await handle.describe();
    if (raw.pendingActivities?.some((a) => a.activityType?.name === activityType && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)) return;
    await delay(50);
  }
}

// A worker stopping (a deployment, Ctrl-C, the end of a test) stops polling workflow tasks, so
// the fleet guard, a workflow, answers no more. A procedure's activity waiting on the guard then
// must not keep the worker from stopping.
describe('a worker stopping while a procedure waits on the fleet guard', () => {
  test('stops: the waiting activity is cancelled after the grace period', async () => {
    // A guard that no worker serves, so the permit request waits on it for as long as it is let.
    await env.client.workflow.start('fleetGuard', { workflowId: FLEET_GUARD_WORKFLOW_ID, taskQueue: 'no-worker-polls-this', args: [{ permits: [] }] });
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    let procedure: WorkflowHandle | undefined;
    await workers.runUntil(async () => {
      procedure = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      await activityStarted(procedure, 'requestDrainPermit');
    });
    // The worker stopped; the attempt it cancelled is reported failed and retried later.
    const { raw } = await procedure!.describe();
    const permit = raw.pendingActivities?.find((a) => a.activityType?.name === 'requestDrainPermit');
    expect(permit?.lastFailure?.message).toBe('Worker is shutting down and this activity did not complete in time');
  });
});
