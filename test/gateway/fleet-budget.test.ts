import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildGateway, webhookSignature, type GatewayAnswer } from '../../client/gateway';
import { startProcedure } from '../../client/start-procedure';
import { gatewayRegistry, silentLogger } from '../helpers/gateway';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

// Its own server: the fleet-wide budget counts every procedure alarms started in the namespace.
const TASK_QUEUE = 'gateway-budget-test';
const WEBHOOK_SECRET = 'budget-webhook-secret-0123456789';
const registry = gatewayRegistry('fleet', 6, { perCellSeconds: 1800, maxAutomaticPerHour: 2 });

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

const gateway = () => buildGateway({ client: env.client, namespace: 'default', registry, taskQueue: TASK_QUEUE, logger: silentLogger(), webhook: { secret: WEBHOOK_SECRET } });

async function alarm(app: ReturnType<typeof gateway>, alarmName: string): Promise<GatewayAnswer> {
  const body = JSON.stringify({ alarmName, state: 'ALARM' });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await app.inject({
    method: 'POST',
    url: '/alarms/webhook',
    headers: { 'content-type': 'application/json', 'x-cellops-timestamp': timestamp, 'x-cellops-signature': webhookSignature(WEBHOOK_SECRET, timestamp, body) },
    payload: body,
  });
  return response.json<GatewayAnswer>();
}

test('at most K procedures started by alarms across the fleet per hour; operators are not counted; the limit holds after a restart', async () => {
  // An operator's start does not use the alarms' budget.
  await startProcedure(env.client, { procedure: 'cellRestart', taskQueue: TASK_QUEUE, input: { cellId: 'fleet-6', reason: 'operator', requestedBy: 'alice@example.com', registry } });

  const app = gateway();
  // Three cells alarm at once: two places in the budget, one gateway, so exactly two start.
  const answers = await Promise.all(['fleet-1', 'fleet-2', 'fleet-3'].map((cell) => alarm(app, `${cell}-HighErrorRate`)));
  const started = answers.filter((a): a is Extract<GatewayAnswer, { outcome: 'started' }> => a.outcome === 'started');
  expect(started).toHaveLength(2);
  const suppressed = answers.find((a) => a.outcome === 'suppressed');
  const oldestStart = (await Promise.all(started.map((a) => env.client.workflow.getHandle(a.workflowId).describe()))).map((d) => d.memo?.alarm as { requestedAt: string }).map((m) => Date.parse(m.requestedAt)).sort()[0];
  expect(suppressed).toEqual({
    outcome: 'suppressed',
    cellId: expect.stringMatching(/^fleet-[123]$/) as unknown,
    until: new Date(oldestStart + 3600_000).toISOString(),
    why: 'alarms already started 2 procedures across the fleet in the last hour (at most 2)',
  });
  await app.close();

  // The procedures ending does not give the budget back; a restarted gateway still refuses.
  for (const { workflowId } of started) await env.client.workflow.getHandle(workflowId).terminate('ended');
  const restarted = gateway();
  expect(await alarm(restarted, 'fleet-4-HighErrorRate')).toMatchObject({ outcome: 'suppressed', cellId: 'fleet-4', until: new Date(oldestStart + 3600_000).toISOString() });
  await restarted.close();
});

test('a budget of 0 turns automatic starts off', async () => {
  const off = gatewayRegistry('fleet', 6, { maxAutomaticPerHour: 0 });
  const app = buildGateway({ client: env.client, namespace: 'default', registry: off, taskQueue: TASK_QUEUE, logger: silentLogger(), webhook: { secret: WEBHOOK_SECRET } });
  expect(await alarm(app, 'fleet-5-HighErrorRate')).toEqual({
    outcome: 'not-actionable',
    cellId: 'fleet-5',
    severity: 'P2',
    why: 'automatic starts are off (policies.cooldowns.maxAutomaticPerHour is 0)',
  });
  await app.close();
});
