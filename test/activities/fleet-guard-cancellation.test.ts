import { once } from 'node:events';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createFleetGuardActivities } from '../../activities/fleet-guard';
import type { BlastRadius } from '../../domain/procedures/drain-permits';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';
import { createLocalTestEnvironment } from '../helpers/test-environment';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

const limits: BlastRadius = { maxCellsOut: 1, maxCapacityOutPercent: 34, fleetCapacity: 3000 };

// The guard answers only once a worker runs its workflow task. A worker that is shutting down
// polls no more tasks, so an activity waiting on the guard then must still end when cancelled
// (the worker cancels its activities at shutdown), or the shutdown waits for ever.
describe('an activity waiting on a fleet guard that no worker serves', () => {
  test('heartbeats while it waits and ends with CancelledFailure when cancelled', async () => {
    const guard = createFleetGuardActivities({ client: env.client, taskQueue: 'no-worker-polls-this', workflowId: 'fleet-guard-unserved' });
    const activity = new MockActivityEnvironment();
    const request = activity.run(guard.requestDrainPermit, { requestToken: 't', holder: 'cell-recovery-cell-001', cellId: 'cell-001', capacity: 1000, limits });
    request.catch(() => undefined);

    await once(activity, 'heartbeat');
    // The guard was started for the request, which is still waiting for it.
    expect((await env.client.workflow.getHandle('fleet-guard-unserved').describe()).status.name).toBe('RUNNING');

    activity.cancel();
    await expect(request).rejects.toBeInstanceOf(CancelledFailure);
    await env.client.workflow.getHandle('fleet-guard-unserved').terminate('test cleanup');
  });
});
