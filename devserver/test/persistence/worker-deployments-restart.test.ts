/**
 * Worker deployments across a SIGKILL and restart of the dev server on the same `--db-filename`:
 * Describe answers the same deployment, routing config, conflict token and version details, and
 * new workflows are still routed to the current version.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleTestWorkflows, SETUP_TIMEOUT_MS, uniqueId, waitFor } from '../helpers';
import { echoEachNote, remarkSignal } from '../workflows';
import { tempDir } from './helpers';
import { freePort, startServer, waitUntilServing, type ServerProcess } from './server-process';

const TASK_QUEUE = 'devserver-deployments-restart';
const NAMESPACE = 'default';
const Status = temporal.api.enums.v1.WorkerDeploymentVersionStatus;

describe('dev server persistence: worker deployments survive a restart', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const servers: ServerProcess[] = [];
  let cleanupDir: () => void = () => undefined;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: 'off' } } });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    for (const server of servers) await server.kill();
    cleanupDir();
  });

  /** Runs `fn` while an unversioned worker and a pinned worker of `version` poll the task queue (each `echo` prefixes its label). */
  async function session<T>(port: number, version: { deploymentName: string; buildId: string }, fn: (client: Client) => Promise<T>): Promise<T> {
    const address = `127.0.0.1:${port}`;
    const connection = await Connection.connect({ address });
    const connections = [await NativeConnection.connect({ address }), await NativeConnection.connect({ address })];
    try {
      const unversioned = await Worker.create({
        connection: connections[0],
        taskQueue: TASK_QUEUE,
        workflowBundle,
        activities: { echo: (v: string) => Promise.resolve(`unversioned:${v}`) },
      });
      const versioned = await Worker.create({
        connection: connections[1],
        taskQueue: TASK_QUEUE,
        workflowBundle,
        activities: { echo: (v: string) => Promise.resolve(`${version.buildId}:${v}`) },
        workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' },
      });
      return await unversioned.runUntil(versioned.runUntil(fn(new Client({ connection }))));
    } finally {
      for (const c of connections) await c.close();
      await connection.close();
    }
  }

  async function describe(client: Client, version: { deploymentName: string; buildId: string }) {
    const deployment = await client.workflowService.describeWorkerDeployment({ namespace: NAMESPACE, deploymentName: version.deploymentName });
    const described = await client.workflowService.describeWorkerDeploymentVersion({ namespace: NAMESPACE, deploymentVersion: version });
    return { deployment, version: described };
  }

  async function runNote(client: Client, note: string): Promise<string[]> {
    const handle = await client.workflow.start(echoEachNote, { taskQueue: TASK_QUEUE, workflowId: uniqueId('restart-routing') });
    await handle.signal(remarkSignal, note);
    await handle.signal(remarkSignal, 'finish');
    return await handle.result();
  }

  it('answers Describe as before and keeps routing new workflows to the current version', async () => {
    // GIVEN a persisted server where version v1 registered, became current and got metadata
    const { file, cleanup } = tempDir();
    cleanupDir = cleanup;
    const port = await freePort();
    const first = startServer(port, file);
    servers.push(first);
    await waitUntilServing(first, port);
    const v1 = { deploymentName: uniqueId('deployment'), buildId: 'v1' };
    const before = await session(port, v1, async (client) => {
      await waitFor(
        () =>
          client.workflowService.describeWorkerDeploymentVersion({ namespace: NAMESPACE, deploymentVersion: v1 }).then(
            (d) => (d.versionTaskQueues?.length === 2 ? true : undefined),
            () => undefined,
          ),
        30_000,
        'v1 to register',
      );
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: NAMESPACE,
        deploymentName: v1.deploymentName,
        buildId: 'v1',
        identity: 'operator',
      });
      await client.workflowService.updateWorkerDeploymentVersionMetadata({
        namespace: NAMESPACE,
        deploymentVersion: v1,
        upsertEntries: { owner: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"cells"') } },
      });
      return await describe(client, v1);
    });

    // WHEN the server is SIGKILLed and started again on the same file
    await first.kill();
    const second = startServer(port, file);
    servers.push(second);
    await waitUntilServing(second, port);

    // THEN Describe answers what it answered before, and a new workflow runs on v1
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    let after;
    try {
      after = await describe(new Client({ connection }), v1);
    } finally {
      await connection.close();
    }
    const routed = await session(port, v1, (client) => runNote(client, 'after-restart'));
    expect(after.deployment.workerDeploymentInfo?.routingConfig).toEqual(before.deployment.workerDeploymentInfo?.routingConfig);
    expect(Buffer.from(after.deployment.conflictToken ?? [])).toEqual(Buffer.from(before.deployment.conflictToken ?? []));
    expect(after.deployment.workerDeploymentInfo?.lastModifierIdentity).toBe('operator');
    expect(after.deployment.workerDeploymentInfo?.versionSummaries?.map((v) => [v.deploymentVersion?.buildId, v.status])).toEqual([
      ['v1', Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT],
    ]);
    expect(after.version.workerDeploymentVersionInfo).toEqual(before.version.workerDeploymentVersionInfo);
    expect(after.version.versionTaskQueues).toEqual(before.version.versionTaskQueues);
    expect(Buffer.from(after.version.workerDeploymentVersionInfo?.metadata?.entries?.owner?.data ?? []).toString()).toBe('"cells"');
    expect(routed).toEqual(['v1:after-restart']);
  });
});
