import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildGateway, webhookSignature, type GatewayAnswer } from '../../client/gateway';
import type { Registry } from '../../domain/registry';
import { gatewayRegistry, silentLogger } from '../helpers/gateway';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { cloudWatchAlarmMessage, createTestSns } from '../helpers/sns-signing';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

// No worker polls this queue: started procedures stay running until a test closes them.
const TASK_QUEUE = 'gateway-storm-test';
const WEBHOOK_SECRET = 'storm-webhook-secret-0123456789';
const registry = gatewayRegistry('storm', 6, { perCellSeconds: 1800, maxAutomaticPerHour: 100 });
const sns = createTestSns();

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

/** A gateway process on the shared server; building another is what a restart or a second replica is. */
const gateway = (reg: Registry = registry) =>
  buildGateway({
    client: env.client,
    namespace: 'default',
    registry: reg,
    taskQueue: TASK_QUEUE,
    logger: silentLogger(),
    sns: { fetchCertificate: (url) => sns.fetchCertificate(url) },
    webhook: { secret: WEBHOOK_SECRET },
  });

async function alarm(app: ReturnType<typeof gateway>, alarmName: string): Promise<GatewayAnswer> {
  const body = JSON.stringify({ alarmName, state: 'ALARM' });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await app.inject({
    method: 'POST',
    url: '/alarms/webhook',
    headers: { 'content-type': 'application/json', 'x-cellops-timestamp': timestamp, 'x-cellops-signature': webhookSignature(WEBHOOK_SECRET, timestamp, body) },
    payload: body,
  });
  expect(response.statusCode).toBeLessThan(300);
  return response.json<GatewayAnswer>();
}

async function runsOf(cellId: string): Promise<{ runId: string; status: string }[]> {
  const runs: { runId: string; status: string }[] = [];
  for await (const execution of env.client.workflow.list({ query: `CellId = "${cellId}"` })) runs.push({ runId: execution.runId, status: execution.status.name });
  return runs;
}

test('a storm of 1,000 SNS notifications for one cell, from two gateway replicas at once, starts exactly one workflow', async () => {
  const replicas = [gateway(), gateway()];
  const notifications = Array.from({ length: 1000 }, (_, i) =>
    sns.notification(cloudWatchAlarmMessage(i % 2 === 0 ? 'storm-1-HighErrorRate' : 'storm-1-HighLatency'), { version: i % 3 === 0 ? '2' : '1' }),
  );
  const responses = await Promise.all(
    notifications.map((message, i) =>
      replicas[i % 2].inject({ method: 'POST', url: '/alarms/sns', headers: { 'content-type': 'text/plain; charset=UTF-8' }, payload: JSON.stringify(message) }),
    ),
  );
  await Promise.all(replicas.map((app) => app.close()));

  const outcomes = new Map<string, number>();
  for (const response of responses) {
    expect(response.statusCode).toBeLessThan(300);
    const { outcome } = response.json<GatewayAnswer>();
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  expect(Object.fromEntries(outcomes)).toEqual({ started: 1, 'already-running': 999 });
  const runs = await runsOf('storm-1');
  expect(runs).toHaveLength(1);
  const started = responses.map((r) => r.json<GatewayAnswer>()).find((a) => a.outcome === 'started');
  expect(started).toMatchObject({ workflowId: 'cell-recovery-storm-1', runId: runs[0]?.runId });
});

test('after a procedure ends, its cell is suppressed until the cooldown is over: also after a gateway restart and on another replica', async () => {
  const first = gateway();
  const started = await alarm(first, 'storm-2-HighErrorRate');
  expect(started).toMatchObject({ outcome: 'started', workflowId: 'cell-recovery-storm-2' });
  const handle = env.client.workflow.getHandle('cell-recovery-storm-2');
  await handle.terminate('the procedure ended');
  const { closeTime } = await handle.describe();
  const until = new Date((closeTime as Date).getTime() + 1800 * 1000).toISOString();
  const expected = {
    outcome: 'suppressed',
    cellId: 'storm-2',
    until,
    why: `cellRestart on this cell ended at ${(closeTime as Date).toISOString()}; the cell's cooldown is 1800 s`,
  };
  expect(await alarm(first, 'storm-2-HighLatency')).toEqual(expected);
  await first.close();

  // A restarted gateway (nothing kept in its memory) and a second replica give the same answer.
  const restarted = gateway();
  const replica = gateway();
  expect(await alarm(restarted, 'storm-2-HighErrorRate')).toEqual(expected);
  expect(await alarm(replica, 'storm-2-HighErrorRate')).toEqual(expected);
  await Promise.all([restarted.close(), replica.close()]);
  expect(await runsOf('storm-2')).toHaveLength(1);

  // Another cell is not held by this one's cooldown.
  const other = gateway();
  expect(await alarm(other, 'storm-3-HighErrorRate')).toMatchObject({ outcome: 'started', cellId: 'storm-3' });
  await other.close();
});

test('once the cooldown has passed, the cell can be recovered again under the same id', async () => {
  const shortCooldown = gatewayRegistry('storm', 6, { perCellSeconds: 0, maxAutomaticPerHour: 100 });
  const app = gateway(shortCooldown);
  const first = await alarm(app, 'storm-4-HighErrorRate');
  expect(first.outcome).toBe('started');
  await env.client.workflow.getHandle('cell-recovery-storm-4').terminate('the procedure ended');
  const second = await alarm(app, 'storm-4-HighErrorRate');
  await app.close();
  expect(second).toMatchObject({ outcome: 'started', workflowId: 'cell-recovery-storm-4' });
  expect(second.outcome === 'started' && first.outcome === 'started' && second.runId !== first.runId).toBe(true);
  expect(await runsOf('storm-4')).toHaveLength(2);
});
