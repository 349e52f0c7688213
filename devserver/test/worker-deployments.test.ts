import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eventsOfType, uniqueId, useTestWorkflows, waitFor } from './helpers';
import { echoEachNote, echoesQuery, remarkSignal } from './workflows';

const Status = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
const TaskQueueType = temporal.api.enums.v1.TaskQueueType;
const NAMESPACE = 'default';

/** A worker running until stopped; its `echo` answers `<label>:<value>`, so results show who ran each step. */
interface RunningWorker {
  stop(): Promise<void>;
}

async function startWorker(
  address: string,
  workflowBundle: WorkflowBundleWithSourceMap,
  taskQueue: string,
  label: string,
  deployment?: { version: WorkerDeploymentVersion; behavior: 'PINNED' | 'AUTO_UPGRADE' },
): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    activities: { echo: (value: string) => Promise.resolve(`${label}:${value}`) },
    ...(deployment
      ? { workerDeploymentOptions: { useWorkerVersioning: true, version: deployment.version, defaultVersioningBehavior: deployment.behavior } }
      : {}),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 5;
}

/** Waits until the version's workers have polled the task queue for workflow and activity tasks (registration acknowledged by Describe). */
async function registered(client: Client, version: WorkerDeploymentVersion): Promise<temporal.api.workflowservice.v1.IDescribeWorkerDeploymentVersionResponse> {
  return await waitFor(
    async () => {
      try {
        const described = await client.workflowService.describeWorkerDeploymentVersion({ namespace: NAMESPACE, deploymentVersion: version });
        return described.versionTaskQueues?.length === 2 ? described : undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    30_000,
    `version ${version.deploymentName}.${version.buildId} to register`,
  );
}

async function describeDeployment(client: Client, deploymentName: string) {
  return await client.workflowService.describeWorkerDeployment({ namespace: NAMESPACE, deploymentName });
}

async function setCurrent(client: Client, deploymentName: string, buildId: string): Promise<void> {
  const { conflictToken } = await describeDeployment(client, deploymentName);
  await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: NAMESPACE, deploymentName, buildId, conflictToken });
}

/** Echoes `notes` in a new workflow, then finishes it; its result. */
async function runNotes(client: Client, taskQueue: string, notes: string[]): Promise<string[]> {
  const handle = await client.workflow.start(echoEachNote, { taskQueue, workflowId: uniqueId('versioning') });
  for (const note of [...notes, 'finish']) await handle.signal(remarkSignal, note);
  return await handle.result();
}

/** The build ids recorded by the run's completed workflow tasks (undefined: an unversioned worker), repeats collapsed. */
function completedVersions(history: temporal.api.history.v1.IHistory): (string | undefined)[] {
  const ids = eventsOfType(history, 'WORKFLOW_TASK_COMPLETED').map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId || undefined);
  return ids.filter((id, i) => i === 0 || id !== ids[i - 1]);
}

describe('dev server: worker deployments and versioned routing', () => {
  const fixture = useTestWorkflows('devserver-worker-deployments');

  it('keeps new workflows on unversioned workers until a current version is set, and again once it is set back to unversioned', async () => {
    // GIVEN an unversioned worker and an auto-upgrade worker of version v1 on one task queue, v1 registered but not current
    const { client } = fixture.env;
    const taskQueue = uniqueId('tq-unversioned');
    const v1 = { deploymentName: uniqueId('deployment'), buildId: 'v1' };
    const workers = [
      await startWorker(fixture.env.address, fixture.workflowBundle, taskQueue, 'unversioned'),
      await startWorker(fixture.env.address, fixture.workflowBundle, taskQueue, 'v1', { version: v1, behavior: 'AUTO_UPGRADE' }),
    ];
    try {
      const version = await registered(client, v1);

      // WHEN a workflow runs with no current version
      const beforeCurrent = await runNotes(client, taskQueue, ['a']);
      const inactive = await describeDeployment(client, v1.deploymentName);

      // AND a workflow runs with v1 current, one is started there, then current is set back to unversioned (empty build id)
      await setCurrent(client, v1.deploymentName, 'v1');
      const onV1 = await runNotes(client, taskQueue, ['b']);
      const upgrading = await client.workflow.start(echoEachNote, { taskQueue, workflowId: uniqueId('auto-upgrade') });
      await upgrading.signal(remarkSignal, 'c');
      await waitFor(async () => ((await upgrading.query(echoesQuery)).length === 1 ? true : undefined), 30_000, 'the first echo');
      await setCurrent(client, v1.deploymentName, '');
      await upgrading.signal(remarkSignal, 'd');
      await upgrading.signal(remarkSignal, 'finish');
      const upgraded = await upgrading.result();
      const afterReset = await runNotes(client, taskQueue, ['e']);
      const described = await describeDeployment(client, v1.deploymentName);

      // THEN unversioned workers ran everything but what started while v1 was current, and the auto-upgrade run followed the current version
      expect(beforeCurrent).toEqual(['unversioned:a']);
      expect(onV1).toEqual(['v1:b']);
      expect(upgraded).toEqual(['v1:c', 'unversioned:d']);
      expect(afterReset).toEqual(['unversioned:e']);
      // AND v1 registered inactive with the queue's two task types; the routing config went v1 and back
      expect(version.workerDeploymentVersionInfo?.status).toBe(Status.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE);
      expect(version.versionTaskQueues?.map((q) => [q.name, q.type]).sort()).toEqual(
        [
          [taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
          [taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
        ].sort(),
      );
      expect(inactive.workerDeploymentInfo?.routingConfig?.currentVersion).toBe('__unversioned__');
      expect(inactive.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion).toBeFalsy();
      expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion).toBeFalsy();
      expect(Number(described.workerDeploymentInfo?.routingConfig?.revisionNumber)).toBe(2);
      expect(described.workerDeploymentInfo?.versionSummaries?.map((v) => v.status)).toEqual([Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING]);
      expect(completedVersions(await upgrading.fetchHistory())).toEqual(['v1', undefined]);
    } finally {
      for (const worker of workers) await worker.stop();
    }
  });

  it('keeps a workflow pinned to v1 on v1 workers after v2 becomes current, while new workflows go to v2', async () => {
    // GIVEN pinned workers of versions v1 and v2 on one task queue, v1 current, and a workflow that ran a step on v1
    const { client } = fixture.env;
    const taskQueue = uniqueId('tq-pinned');
    const deploymentName = uniqueId('deployment');
    const v1 = { deploymentName, buildId: 'v1' };
    const v2 = { deploymentName, buildId: 'v2' };
    const workers = [await startWorker(fixture.env.address, fixture.workflowBundle, taskQueue, 'v1', { version: v1, behavior: 'PINNED' })];
    try {
      await registered(client, v1);
      await setCurrent(client, deploymentName, 'v1');
      const pinned = await client.workflow.start(echoEachNote, { taskQueue, workflowId: uniqueId('pinned') });
      await pinned.signal(remarkSignal, 'a');
      await waitFor(async () => ((await pinned.query(echoesQuery)).length === 1 ? true : undefined), 30_000, 'the first echo');
      workers.push(await startWorker(fixture.env.address, fixture.workflowBundle, taskQueue, 'v2', { version: v2, behavior: 'PINNED' }));
      await registered(client, v2);

      // WHEN v2 becomes current, a new workflow runs, and the pinned workflow takes more steps
      await setCurrent(client, deploymentName, 'v2');
      const fresh = await runNotes(client, taskQueue, ['x']);
      await pinned.signal(remarkSignal, 'b');
      await pinned.signal(remarkSignal, 'finish');
      const pinnedResult = await pinned.result();
      const described = await describeDeployment(client, deploymentName);
      const pinnedInfo = (await pinned.describe()).raw.workflowExecutionInfo?.versioningInfo;

      // THEN the pinned workflow ran every step and task on v1, the new one on v2
      expect(pinnedResult).toEqual(['v1:a', 'v1:b']);
      expect(fresh).toEqual(['v2:x']);
      expect(completedVersions(await pinned.fetchHistory())).toEqual(['v1']);
      expect(pinnedInfo?.behavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect(pinnedInfo?.deploymentVersion).toMatchObject(v1);
      // AND the deployment reports v2 current and v1 draining (within the grace period after it stopped being current)
      const info = described.workerDeploymentInfo;
      expect(info?.routingConfig?.currentDeploymentVersion).toMatchObject(v2);
      expect(info?.routingConfig?.currentVersion).toBe(`${deploymentName}.v2`);
      expect(info?.versionSummaries?.map((v) => [v.deploymentVersion?.buildId, v.status])).toEqual([
        ['v1', Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING],
        ['v2', Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT],
      ]);
    } finally {
      for (const worker of workers) await worker.stop();
    }
  });

  it('refuses a stale conflict token and a version no worker polled, as the real server does', async () => {
    // GIVEN a registered version
    const { client } = fixture.env;
    const taskQueue = uniqueId('tq-refusals');
    const v1 = { deploymentName: uniqueId('deployment'), buildId: 'v1' };
    const worker = await startWorker(fixture.env.address, fixture.workflowBundle, taskQueue, 'v1', { version: v1, behavior: 'PINNED' });
    try {
      await registered(client, v1);
      const { conflictToken } = await describeDeployment(client, v1.deploymentName);
      await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: NAMESPACE, deploymentName: v1.deploymentName, buildId: 'v1', conflictToken, identity: 'a' });

      // WHEN the old token is used again, an unknown build id is set, and an unknown deployment described
      const stale = client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: NAMESPACE,
        deploymentName: v1.deploymentName,
        buildId: '',
        conflictToken,
        identity: 'b',
      });
      const unknown = client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: NAMESPACE, deploymentName: v1.deploymentName, buildId: 'nope' });
      const missing = describeDeployment(client, uniqueId('no-such-deployment'));

      // THEN FAILED_PRECONDITION, NOT_FOUND, NOT_FOUND with the real server's messages
      await expect(stale).rejects.toMatchObject({ code: 9, details: 'conflict token mismatch' });
      await expect(unknown).rejects.toMatchObject({ code: 5, details: `build ID 'nope' not found in Worker Deployment '${v1.deploymentName}'` });
      await expect(missing).rejects.toMatchObject({ code: 5 });
    } finally {
      await worker.stop();
    }
  });
});
