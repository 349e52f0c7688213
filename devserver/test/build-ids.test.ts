import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { eventsOfType, uniqueId, useTestWorkflows, waitFor } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import { remarkSignal, stepThenNotes } from './workflows';

const TASK_QUEUE = 'devserver-build-ids';
const activities: Partial<TestActivities> = { echo: (value) => Promise.resolve(`echo:${value}`) };

describe('dev server: build ids and worker versioning basics', () => {
  const fixture = useTestWorkflows(TASK_QUEUE);

  it('keeps the BuildIds search attribute (unversioned) of runs completed by an unversioned worker', async () => {
    // GIVEN a run completed by an unversioned worker
    const workflowId = uniqueId('build-ids');
    const { client } = fixture.env;
    const worker = await Worker.create({ connection: fixture.env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: fixture.workflowBundle, activities });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(stepThenNotes, { taskQueue: TASK_QUEUE, workflowId });
      await handle.signal(remarkSignal, 'finish');
      await handle.result();
    });

    // WHEN it is described and listed by build id
    const described = await client.workflow.getHandle(workflowId).describe();
    const listed: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}" AND BuildIds = "unversioned"` })) listed.push(wf.workflowId);

    // THEN the attribute holds the unversioned marker (this SDK's unversioned worker sends no build id with its completions)
    expect(described.searchAttributes.BuildIds).toEqual(['unversioned']);
    expect(listed).toEqual([workflowId]);
  });

  it('records the deployment version and versioning behavior a versioned worker sends in WorkflowTaskCompleted', async () => {
    // GIVEN a worker of deployment version cellops-test/b1 whose workflows are pinned
    const workflowId = uniqueId('pinned');
    const taskQueue = `${TASK_QUEUE}-versioned`;
    const { client } = fixture.env;
    const worker = await Worker.create({
      connection: fixture.env.nativeConnection,
      taskQueue,
      workflowBundle: fixture.workflowBundle,
      activities,
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: { deploymentName: 'cellops-test', buildId: 'b1' },
        defaultVersioningBehavior: 'PINNED',
      },
    });

    // WHEN it runs a workflow, once its version is current (before that a real server sends it no workflows)
    await worker.runUntil(async () => {
      const version = { deploymentName: 'cellops-test', buildId: 'b1' };
      await waitFor(
        () =>
          client.workflowService.describeWorkerDeploymentVersion({ namespace: 'default', deploymentVersion: version }).then(
            (d) => (d.versionTaskQueues?.length === 2 ? true : undefined),
            () => undefined,
          ),
        30_000,
        'the version to register',
      );
      await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName: 'cellops-test', buildId: 'b1' });
      const handle = await client.workflow.start(stepThenNotes, { taskQueue, workflowId });
      await handle.signal(remarkSignal, 'finish');
      await handle.result();
    });

    // THEN the completed tasks record the version and the pinned behavior
    const completed = eventsOfType(await fixture.history(workflowId), 'WORKFLOW_TASK_COMPLETED')[0]?.workflowTaskCompletedEventAttributes;
    expect(completed?.deploymentVersion).toMatchObject({ deploymentName: 'cellops-test', buildId: 'b1' });
    expect(completed?.workerDeploymentName).toBe('cellops-test');
    expect(completed?.versioningBehavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
  });
});
