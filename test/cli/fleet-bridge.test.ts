/**
 * `cellops fleet` against a simulated fleet living in another process (as `npm start` runs it):
 * the process's own fleet reader (`CELLOPS_SIMULATOR_URL`) reads the live Route 53 weights and
 * alarm states through the fleet's read-only bridge, the same values as the fleet's own clients
 * give, and the bridge refuses everything that is not a read.
 */
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CliDeps } from '../../client/cli/context';
import { fleetReaderFor } from '../../client/cli/deps';
import { runCli } from '../../client/cli/program';
import { createAwsFleetReader } from '../../client/data/aws-fleet-reader';
import { getFleetView, type FleetView } from '../../client/data/fleet';
import { startProcedure } from '../../client/start-procedure';
import { createSimulatedHooks } from '../../simulator';
import { connectSimulatedFleet, serveSimulatedFleet, type FleetBridge } from '../../simulator/bridge';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { cellRecord, errorOf, registry, simulate, ZONE, type Simulation } from '../simulator/helpers';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

// No worker polls this queue: the procedure started below stays at its start.
const TASK_QUEUE = 'fleet-bridge-test';

let env: TestWorkflowEnvironment;
let sim: Simulation;
let bridge: FleetBridge;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  sim = simulate({ seed: 'fleet-bridge' });
  // cell-002 failing (its alarms go to ALARM) and drained, as a restart would leave it.
  sim.fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-002' });
  await sim.clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-002', 0) }] } }));
  sim.clock.advance(5 * 60_000);
  bridge = await serveSimulatedFleet({ clients: sim.clients, hooks: createSimulatedHooks(sim.fleet), clock: sim.clock, readOnly: true });
  await startProcedure(env.client, { procedure: 'cellRestart', taskQueue: TASK_QUEUE, input: { cellId: 'cell-002', reason: 'test', requestedBy: 'alice@example.com', registry: registry } });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await bridge?.close();
  await env?.client.workflow.getHandle('cell-recovery-cell-002').terminate('test over').catch(() => undefined);
  await env?.teardown();
});

/** `cellops <argv>` with the process's fleet reader over `environment` and the test server's client. */
async function cellops(environment: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const deps: CliDeps = {
    io: { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false, env: environment },
    connect: () => Promise.resolve({ client: env.client, close: () => Promise.resolve() }),
    loadRegistry: () => Promise.resolve(registry),
    fleetReader: (reg) => fleetReaderFor(environment, reg),
    sleep: () => Promise.resolve(),
  };
  const code = await runCli(argv, deps);
  return { code, stdout, stderr };
}

test('cellops fleet with CELLOPS_SIMULATOR_URL shows the live weights and alarm states of the fleet behind the bridge', async () => {
  const withBridge = { CELLOPS_SIMULATOR_URL: bridge.url };

  const json = await cellops(withBridge, 'fleet', '--json');
  expect(json.code).toBe(0);
  const view = JSON.parse(json.stdout) as FleetView;
  expect(view.liveSource).toBe(`the simulated fleet at ${bridge.url}`);
  expect(view.problems).toEqual([]);
  const cell = (id: string) => view.cells.find((c) => c.cellId === id);
  expect(cell('cell-002')).toMatchObject({ liveWeight: 0, health: 'alarm', procedure: { workflowId: 'cell-recovery-cell-002', procedure: 'cellRestart' } });
  // Drained, it serves no requests: its latency alarm fires, its error-rate alarm has nothing to count.
  expect(cell('cell-002')?.alarms).toEqual([
    { name: 'cell-002-HighErrorRate', state: 'OK' },
    { name: 'cell-002-HighLatency', state: 'ALARM' },
  ]);
  for (const id of ['cell-001', 'cell-003']) expect(cell(id)).toMatchObject({ liveWeight: 100, health: 'healthy' });

  // The same values as the fleet's own clients read in its process.
  const direct = await getFleetView(env.client, { registry: registry, reader: createAwsFleetReader(sim.clients, 'in process') });
  expect(view.cells).toEqual(JSON.parse(JSON.stringify(direct.cells)));

  const text = await cellops(withBridge, 'fleet');
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`shop-eu (eu-west-1), live values from the simulated fleet at ${bridge.url}`);
  expect(text.stdout).toMatch(/│ cell-002 │ eu-west-1 │ 0 \/ 100 +│ ALARM cell-002-HighLatency +│/);
  expect(text.stdout).toMatch(/│ cell-001 │ eu-west-1 │ 100 \/ 100 +│ ok /);
});

test('without CELLOPS_SIMULATOR_URL or AWS, fleet shows the registry and says where live values would come from', async () => {
  const { code, stdout } = await cellops({}, 'fleet', '--json');
  expect(code).toBe(0);
  const view = JSON.parse(stdout) as FleetView;
  expect(view.liveSource).toBeUndefined();
  expect(view.cells.every((c) => c.liveWeight === null && c.health === 'unknown')).toBe(true);
  expect(view.problems.join(' ')).toContain('set CELLOPS_SIMULATOR_URL');
});

test('the read-only bridge answers reads and refuses changes, hooks and clock moves: the fleet is untouched', async () => {
  const remote = await connectSimulatedFleet(bridge.url);
  const before = sim.fleet.weights();
  const now = sim.clock.now();

  const change = await errorOf(remote.clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-001', 0) }] } })));
  expect(change.message).toBe('bridge: read-only, ChangeResourceRecordSets is not a read');
  expect((await errorOf(remote.advanceTo(now + 3_600_000))).message).toBe('bridge: read-only, no /advance');
  expect((await errorOf(remote.hooks.notify({ requestToken: 't', severity: 'info', subject: 's', message: 'm' } as never))).message).toBe('bridge: read-only, no /hooks/notify');

  expect(sim.fleet.weights()).toEqual(before);
  expect(sim.clock.now()).toBe(now);
  expect(sim.fleet.hooks().notifications).toHaveLength(0);
});
