import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildGateway, webhookSignature, type GatewayAnswer } from '../../client/gateway';
import { startProcedure } from '../../client/start-procedure';
import type { Registry } from '../../domain/registry';
import { capturingLogger, gatewayRegistry, silentLogger } from '../helpers/gateway';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

// Its own server: correlation reads every procedure alarms started in the namespace. No worker
// polls the queue, so started procedures stay running until a test closes them.
const TASK_QUEUE = 'gateway-correlation-test';
const WEBHOOK_SECRET = 'correlation-webhook-secret-0123456789';
const WINDOW_SECONDS = 300;

/**
 * Each test's own fleet (its name and its cells `<name>-1` …): correlation looks only at the
 * fleet's cells, and the cascade's id and cooldown are the fleet's.
 */
function fleet(name: string, cooldowns: Partial<Registry['policies']['cooldowns']> = {}): Registry {
  const reg = gatewayRegistry(name, 6, { perCellSeconds: 1800, maxAutomaticPerHour: 100, correlationWindowSeconds: WINDOW_SECONDS, ...cooldowns });
  return { ...reg, fleet: { ...reg.fleet, name } };
}
const cascadeId = (reg: Registry) => `cascade-recovery-${reg.fleet.name}`;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

/** Nothing a test started keeps running into the next. */
afterEach(async () => {
  for await (const execution of env.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await env.client.workflow.getHandle(execution.workflowId, execution.runId).terminate('test over');
  }
});

const gateway = (registry: Registry, options: { logger?: ReturnType<typeof silentLogger>; at?: () => Date } = {}) =>
  buildGateway({
    client: env.client,
    namespace: 'default',
    registry,
    taskQueue: TASK_QUEUE,
    logger: options.logger ?? silentLogger(),
    ...(options.at ? { clock: options.at } : {}),
    webhook: { secret: WEBHOOK_SECRET },
  });

/** Sends `alarmName` in ALARM, signed at `at` (the gateway's clock: it refuses stale timestamps). */
async function alarm(app: ReturnType<typeof gateway>, alarmName: string, at = new Date()): Promise<GatewayAnswer> {
  const body = JSON.stringify({ alarmName, state: 'ALARM' });
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const response = await app.inject({
    method: 'POST',
    url: '/alarms/webhook',
    headers: { 'content-type': 'application/json', 'x-cellops-timestamp': timestamp, 'x-cellops-signature': webhookSignature(WEBHOOK_SECRET, timestamp, body) },
    payload: body,
  });
  expect(response.statusCode).toBeLessThan(300);
  return response.json<GatewayAnswer>();
}

async function runs(query: string): Promise<{ workflowId: string; type: string }[]> {
  const found: { workflowId: string; type: string }[] = [];
  for await (const execution of env.client.workflow.list({ query })) found.push({ workflowId: execution.workflowId, type: execution.type });
  return found;
}

const CASCADE_WHY = 'several cells are failing at once: shed load, add emergency capacity, recover the cells one by one in priority order';
const running = (reg: Registry, cellId: string) => ({ outcome: 'already-running', cellId, workflowId: cascadeId(reg), procedure: 'cascadeRecovery' });

test("a second cell's alarm within the window starts cascade recovery for the fleet, once; later alarms of any cell find it running", async () => {
  const reg = fleet('corra');
  const lines: Record<string, unknown>[] = [];
  const app = gateway(reg, { logger: capturingLogger(lines) });

  expect(await alarm(app, 'corra-1-HighErrorRate')).toMatchObject({ outcome: 'started', cellId: 'corra-1', procedure: 'cellRestart', workflowId: 'cell-recovery-corra-1', severity: 'P2' });

  const cascade = await alarm(app, 'corra-2-HighLatency');
  expect(cascade).toMatchObject({
    outcome: 'started',
    cellId: 'corra-2',
    procedure: 'cascadeRecovery',
    workflowId: cascadeId(reg),
    severity: 'P1',
    affectedCells: ['corra-2', 'corra-1'],
    why: `${CASCADE_WHY} (alarms of corra-1 within ${WINDOW_SECONDS} s)`,
  });
  const described = await env.client.workflow.getHandle(cascadeId(reg)).describe();
  expect(described.memo?.alarm).toMatchObject({ name: 'corra-2-HighLatency', source: 'webhook' });

  // A third cell, the second cell again, and the first: the cascade covers them all.
  expect(await alarm(app, 'corra-3-HighErrorRate')).toEqual(running(reg, 'corra-3'));
  expect(await alarm(app, 'corra-2-HighErrorRate')).toEqual(running(reg, 'corra-2'));
  expect(await alarm(app, 'corra-1-HighLatency')).toEqual(running(reg, 'corra-1'));
  await app.close();

  expect(await runs('Procedure = "cascadeRecovery"')).toEqual([{ workflowId: cascadeId(reg), type: 'cascadeRecovery' }]);
  expect(await runs('CellId = "corra-3"')).toHaveLength(0);

  const cascadeLine = lines.find((l) => l.msg === 'alarm request' && l.alarm === 'corra-2-HighLatency');
  expect(cascadeLine).toMatchObject({ cell: 'corra-2', decision: 'cascadeRecovery', workflowId: cascadeId(reg), outcome: 'started', incident: { scope: 'multiple', severity: 'P1' } });
});

test('alarms of three cells at once, each many times: one restart and one cascade recovery, everything else finds them running', async () => {
  const reg = fleet('corrb');
  const app = gateway(reg);
  const names = ['corrb-1', 'corrb-2', 'corrb-3'].flatMap((cell) => Array.from({ length: 20 }, (_, i) => `${cell}-${i % 2 ? 'HighLatency' : 'HighErrorRate'}`));
  const answers = await Promise.all(names.map((name) => alarm(app, name)));
  await app.close();

  const count = (pick: (a: GatewayAnswer) => boolean) => answers.filter(pick).length;
  expect(count((a) => a.outcome === 'started' && a.procedure === 'cellRestart')).toBe(1);
  expect(count((a) => a.outcome === 'started' && a.procedure === 'cascadeRecovery')).toBe(1);
  expect(count((a) => a.outcome === 'already-running')).toBe(names.length - 2);
  expect(await runs(`WorkflowId = "${cascadeId(reg)}"`)).toHaveLength(1);
  expect((await runs('Procedure = "cellRestart"')).filter((r) => r.workflowId.startsWith('cell-recovery-corrb-'))).toHaveLength(1);
});

test('a cascade started by one gateway is seen by a restarted gateway and by another replica', async () => {
  const reg = fleet('corrc');
  const first = gateway(reg);
  await alarm(first, 'corrc-1-HighErrorRate');
  expect(await alarm(first, 'corrc-2-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cascadeRecovery' });
  await first.close();

  const [restarted, replica] = [gateway(reg), gateway(reg)];
  expect(await alarm(restarted, 'corrc-3-HighErrorRate')).toEqual(running(reg, 'corrc-3'));
  expect(await alarm(replica, 'corrc-1-HighLatency')).toEqual(running(reg, 'corrc-1'));
  await Promise.all([restarted.close(), replica.close()]);
});

test("another cell's alarm from before the window, or an operator's procedure on another cell, leaves an alarm to its own cell", async () => {
  const reg = fleet('corrd');
  let now = new Date();
  const app = gateway(reg, { at: () => now });
  expect(await alarm(app, 'corrd-1-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cellRestart' });

  // Past the window: corrd-2's alarm is its own incident.
  now = new Date(now.getTime() + (WINDOW_SECONDS + 1) * 1000);
  expect(await alarm(app, 'corrd-2-HighErrorRate', now)).toMatchObject({ outcome: 'started', procedure: 'cellRestart', workflowId: 'cell-recovery-corrd-2', severity: 'P2' });

  // An operator's restart of corrd-3 is no alarm: corrd-4's alarm, past the window of the others, is its own.
  await startProcedure(env.client, { procedure: 'cellRestart', taskQueue: TASK_QUEUE, input: { cellId: 'corrd-3', reason: 'planned', requestedBy: 'alice@example.com', registry: reg } });
  now = new Date(now.getTime() + (WINDOW_SECONDS + 1) * 1000);
  const answer = await alarm(app, 'corrd-4-HighErrorRate', now);
  await app.close();
  expect(answer).toMatchObject({ outcome: 'started', procedure: 'cellRestart', workflowId: 'cell-recovery-corrd-4' });
  expect(answer).not.toHaveProperty('affectedCells');
  expect(await runs(`WorkflowId = "${cascadeId(reg)}"`)).toHaveLength(0);
});

test("a router alarm among cell alarms starts router failover, as the matrix's router row says", async () => {
  const reg = fleet('corre');
  const app = gateway(reg);
  await alarm(app, 'corre-1-HighErrorRate');
  expect(await alarm(app, 'router-LowAvailability')).toMatchObject({ outcome: 'started', cellId: 'router', procedure: 'routerFailover', workflowId: 'router-recovery-corre', severity: 'P0' });
  // The router's failover is no cell's: the next cell is the second cell of the incident.
  expect(await alarm(app, 'corre-2-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cascadeRecovery', affectedCells: ['corre-2', 'corre-1'] });
  await app.close();
});

test('after a cascade ends, correlated alarms are held by its cooldown; with the window at 0 they are read one cell at a time', async () => {
  const reg = fleet('corrf');
  const app = gateway(reg);
  await alarm(app, 'corrf-1-HighErrorRate');
  expect(await alarm(app, 'corrf-2-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cascadeRecovery' });
  const handle = env.client.workflow.getHandle(cascadeId(reg));
  await handle.terminate('the cascade ended');
  await env.client.workflow.getHandle('cell-recovery-corrf-1').terminate('ended');
  const { closeTime } = await handle.describe();
  expect(await alarm(app, 'corrf-3-HighErrorRate')).toEqual({
    outcome: 'suppressed',
    cellId: 'corrf-3',
    until: new Date((closeTime as Date).getTime() + 1800 * 1000).toISOString(),
    why: `cascadeRecovery of the fleet ended at ${(closeTime as Date).toISOString()}; its cooldown is 1800 s`,
  });
  await app.close();

  const alone = gateway(fleet('corrf', { correlationWindowSeconds: 0 }));
  expect(await alarm(alone, 'corrf-4-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cellRestart', workflowId: 'cell-recovery-corrf-4' });
  expect(await alarm(alone, 'corrf-5-HighErrorRate')).toMatchObject({ outcome: 'started', procedure: 'cellRestart', workflowId: 'cell-recovery-corrf-5' });
  await alone.close();
});
