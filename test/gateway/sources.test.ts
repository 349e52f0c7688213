import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance, LightMyRequestResponse as LightResponse } from 'fastify';
import { buildGateway, webhookSignature } from '../../client/gateway';
import { capturingLogger, gatewayRegistry } from '../helpers/gateway';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

const TASK_QUEUE = 'gateway-sources-test';
const WEBHOOK_SECRET = 'webhook-secret-5d1c0e7f2b9a4c3d';
const EVENTBRIDGE_SECRET = 'eventbridge-key-8a7b6c5d4e3f2a1b';
const registry = gatewayRegistry('src', 12);

let env: TestWorkflowEnvironment;
let app: FastifyInstance;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  app = buildGateway({
    client: env.client,
    namespace: env.namespace ?? 'default',
    registry,
    taskQueue: TASK_QUEUE,
    logger: capturingLogger(logLines),
    bodyLimitBytes: 16 * 1024,
    eventBridge: { secret: EVENTBRIDGE_SECRET },
    webhook: { secret: WEBHOOK_SECRET, toleranceSeconds: 300 },
  });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

async function recoveriesOf(cellId: string): Promise<number> {
  let count = 0;
  for await (const _ of env.client.workflow.list({ query: `CellId = "${cellId}"` })) count++;
  return count;
}

const now = () => String(Math.floor(Date.now() / 1000));

function signedWebhook(body: string, options: { timestamp?: string; secret?: string; headers?: Record<string, string> } = {}) {
  const timestamp = options.timestamp ?? now();
  return app.inject({
    method: 'POST',
    url: '/alarms/webhook',
    headers: {
      'content-type': 'application/json',
      'x-cellops-timestamp': timestamp,
      'x-cellops-signature': webhookSignature(options.secret ?? WEBHOOK_SECRET, timestamp, body),
      ...options.headers,
    },
    payload: body,
  });
}

/** EventBridge's "CloudWatch Alarm State Change" event, as EventBridge delivers it. */
function alarmStateChange(alarmName: string, state = 'ALARM', detailType = 'CloudWatch Alarm State Change') {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': detailType,
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-12-02T14:04:40Z',
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      configuration: {
        description: 'errors above 5 a minute',
        metrics: [
          {
            id: '4f7a1c53-6d8b-4b35-8a8f-0b1a4b0f7d65',
            metricStat: { metric: { dimensions: { CellId: 'src-unused' }, name: 'ErrorCount', namespace: 'Shop/Cells' }, period: 60, stat: 'Sum' },
            returnData: true,
          },
        ],
      },
      previousState: { reason: 'Threshold Crossed: no datapoints were received', timestamp: '2026-12-02T13:59:40.985+0000', value: 'OK' },
      state: { reason: 'Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (5.0).', timestamp: '2026-12-02T14:04:40.985+0000', value: state },
    },
  };
}

const eventBridge = (body: unknown, headers: Record<string, string> = { 'x-cellops-api-key': EVENTBRIDGE_SECRET }) =>
  app.inject({ method: 'POST', url: '/alarms/eventbridge', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

describe('EventBridge API destination', () => {
  test('an ALARM state change with the right key starts the procedure; a second one finds it running', async () => {
    const response = await eventBridge(alarmStateChange('src-1-HighErrorRate'));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'src-1', procedure: 'cellRestart', workflowId: 'cell-recovery-src-1' });
    const again = await eventBridge(alarmStateChange('src-1-HighLatency'));
    expect(again.json()).toMatchObject({ outcome: 'already-running', workflowId: 'cell-recovery-src-1' });
    expect(await recoveriesOf('src-1')).toBe(1);
  });

  test('an OK state change starts nothing', async () => {
    const response = await eventBridge(alarmStateChange('src-2-HighErrorRate', 'OK'));
    expect(response.json()).toMatchObject({ outcome: 'not-actionable', cellId: 'src-2' });
    expect(await recoveriesOf('src-2')).toBe(0);
  });
});

describe('signed webhook', () => {
  test('a signed ALARM starts the procedure', async () => {
    const response = await signedWebhook(JSON.stringify({ alarmName: 'src-3-HighLatency', state: 'ALARM', reason: 'p99 1.2 s' }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'src-3', procedure: 'cellRestart' });
  });

  test('corrupt data in one cell starts point-in-time recovery', async () => {
    const body = JSON.stringify({ alarmName: 'corrupt-orders', state: 'ALARM', metric: { namespace: 'Shop/Cells', name: 'DataCorruption', dimensions: { CellId: 'src-4' } } });
    const response = await signedWebhook(body);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'src-4', procedure: 'pointInTimeRecovery', severity: 'P0' });
    expect(await recoveriesOf('src-4')).toBe(1);
  });

  test('an alarm the decision matrix leaves to a person is not actionable, with the reason', async () => {
    const body = JSON.stringify({ alarmName: 'lagging-orders', state: 'ALARM', metric: { namespace: 'Shop/Cells', name: 'ReplicationLag', dimensions: { CellId: 'src-5' } } });
    const response = await signedWebhook(body);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      outcome: 'not-actionable',
      cellId: 'src-5',
      why: 'data integrity at risk: manual intervention required',
    });
    expect(await recoveriesOf('src-5')).toBe(0);
  });
});

describe('the router', () => {
  test("a router alarm starts router failover for the fleet under the router's recovery id", async () => {
    const response = await signedWebhook(JSON.stringify({ alarmName: 'router-LowAvailability', state: 'ALARM' }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'router', procedure: 'routerFailover', workflowId: 'router-recovery-shop-eu', severity: 'P0' });
    const again = await signedWebhook(JSON.stringify({ alarmName: 'router-HighErrorRate', state: 'ALARM' }));
    expect(again.json()).toEqual({ outcome: 'already-running', cellId: 'router', workflowId: 'router-recovery-shop-eu', procedure: 'routerFailover' });
    expect(await recoveriesOf('router')).toBe(1);
  });
});

describe('bad input: a clear 4xx, nothing started, nothing secret logged', () => {
  const alarm5 = JSON.stringify({ alarmName: 'src-5-HighErrorRate', state: 'ALARM' });
  const big = JSON.stringify({ alarmName: 'src-5-HighErrorRate', state: 'ALARM', reason: 'x'.repeat(20_000) });
  const stale = () => String(Math.floor(Date.now() / 1000) - 400);

  test.each<[string, number, string, () => Promise<LightResponse>, string | RegExp]>([
    ['malformed JSON', 400, 'malformed-json', () => signedWebhook('{"alarmName": "src-5-HighErrorRate", '), 'body is not valid JSON'],
    ['a JSON array', 400, 'invalid-body', () => signedWebhook('[1,2]'), 'invalid body: body must be object'],
    ['wrong content type', 415, 'unsupported-media-type', () => app.inject({ method: 'POST', url: '/alarms/webhook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'alarmName=src-5' }), 'expected Content-Type application/json (or text/plain, as SNS sends)'],
    ['an oversized body', 413, 'payload-too-large', () => signedWebhook(big), 'body larger than the gateway accepts'],
    ['no signature', 401, 'missing-signature', () => app.inject({ method: 'POST', url: '/alarms/webhook', headers: { 'content-type': 'application/json', 'x-cellops-timestamp': now() }, payload: alarm5 }), /^missing x-cellops-signature header/],
    ['no timestamp', 401, 'missing-signature', () => app.inject({ method: 'POST', url: '/alarms/webhook', headers: { 'content-type': 'application/json', 'x-cellops-signature': 'sha256=00' }, payload: alarm5 }), 'missing x-cellops-timestamp header (Unix seconds)'],
    ['a signature made with another secret', 401, 'bad-signature', () => signedWebhook(alarm5, { secret: 'not-the-secret-0000000' }), 'signature does not match the body'],
    ['a signature of another timestamp', 401, 'bad-signature', () => signedWebhook(alarm5, { headers: { 'x-cellops-timestamp': String(Number(now()) - 1) } }), 'signature does not match the body'],
    ['an expired timestamp', 401, 'expired', () => signedWebhook(alarm5, { timestamp: stale() }), /^timestamp expired: \d+ s from now, more than 300 s$/],
    ['a timestamp that is not a number', 401, 'expired', () => signedWebhook(alarm5, { timestamp: 'yesterday' }), 'x-cellops-timestamp must be Unix seconds'],
    ['an unknown alarm', 422, 'unknown-alarm', () => signedWebhook(JSON.stringify({ alarmName: 'nobody-HighErrorRate', state: 'ALARM' })), /^alarm "nobody-HighErrorRate" belongs to no cell in the registry/],
    ['an unknown cell in the dimensions', 422, 'unknown-alarm', () => signedWebhook(JSON.stringify({ alarmName: 'x', state: 'ALARM', metric: { namespace: 'Shop/Cells', dimensions: { CellId: 'src-99' } } })), /^alarm "x" belongs to no cell/],
    ['a body of the wrong shape', 400, 'invalid-body', () => signedWebhook(JSON.stringify({ alarm: 'src-5-HighErrorRate', state: 'FIRING' })), /^not a webhook alarm .*alarmName: .*state: /],
    ['EventBridge without its key', 401, 'missing-signature', () => eventBridge(alarmStateChange('src-5-HighErrorRate'), {}), 'missing x-cellops-api-key header'],
    ['EventBridge with a wrong key', 401, 'bad-signature', () => eventBridge(alarmStateChange('src-5-HighErrorRate'), { 'x-cellops-api-key': 'guess' }), 'wrong x-cellops-api-key header'],
    ['EventBridge with another event', 400, 'invalid-body', () => eventBridge(alarmStateChange('src-5-HighErrorRate', 'ALARM', 'EC2 Instance State-change Notification')), /^not an EventBridge "CloudWatch Alarm State Change" event: detail-type: expected detail-type/],
    ['SNS without its fields', 400, 'invalid-body', () => app.inject({ method: 'POST', url: '/alarms/sns', headers: { 'content-type': 'text/plain' }, payload: '{"Type":"Notification"}' }), /^invalid body: body must have required property/],
    ['SNS with an unknown type', 400, 'invalid-body', () => app.inject({ method: 'POST', url: '/alarms/sns', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ Type: 'Other', MessageId: 'm', TopicArn: 't', Message: 'm', Timestamp: 't', SignatureVersion: '1', Signature: 's', SigningCertURL: 'u' }) }), /^invalid body: body\/Type must be equal to one of the allowed values/],
    ['SNS with an empty body', 400, 'malformed-json', () => app.inject({ method: 'POST', url: '/alarms/sns', headers: { 'content-type': 'text/plain' }, payload: '' }), 'body is not valid JSON'],
    ['an unknown route', 404, 'not-found', () => app.inject({ method: 'POST', url: '/alarms/pagerduty', headers: { 'content-type': 'application/json' }, payload: '{}' }), 'no route POST /alarms/pagerduty'],
  ])('%s → %i %s', async (_, status, error, send, message) => {
    const response = await send();
    expect(response.statusCode).toBe(status);
    const body = response.json<{ error: string; message: string }>();
    expect(body.error).toBe(error);
    if (typeof message === 'string') expect(body.message).toBe(message);
    else expect(body.message).toMatch(message);
    expect(await recoveriesOf('src-5')).toBe(0);
  });

  test('no log line holds a secret or a signature', () => {
    const text = JSON.stringify(logLines);
    expect(text).not.toContain(WEBHOOK_SECRET);
    expect(text).not.toContain(EVENTBRIDGE_SECRET);
    expect(text).not.toContain('sha256=');
  });
});

describe('observability', () => {
  test('one JSON line per alarm request: alarm, cell, decision, workflow id, outcome, latency', async () => {
    logLines.length = 0;
    await signedWebhook(JSON.stringify({ alarmName: 'src-6-HighErrorRate', state: 'ALARM' }));
    await signedWebhook('not json');
    const requestLines = logLines.filter((line) => line.msg === 'alarm request');
    expect(requestLines).toHaveLength(2);
    expect(requestLines[0]).toMatchObject({
      source: 'webhook',
      alarm: 'src-6-HighErrorRate',
      cell: 'src-6',
      decision: 'cellRestart',
      workflowId: 'cell-recovery-src-6',
      outcome: 'started',
      statusCode: 202,
      incident: { failureType: 'elevated-errors', severity: 'P2' },
      reqId: expect.any(String) as unknown,
    });
    expect(typeof requestLines[0]?.latencyMs).toBe('number');
    expect(requestLines[1]).toMatchObject({ source: 'webhook', outcome: 'malformed-json', statusCode: 400 });
  });

  test('healthz answers; readyz checks the Temporal namespace', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', namespace: 'default' });
    const elsewhere = buildGateway({ client: env.client, namespace: 'no-such-namespace', registry, logger: capturingLogger([]) });
    const notReady = await elsewhere.inject({ method: 'GET', url: '/readyz' });
    await elsewhere.close();
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json<{ status: string }>().status).toBe('unavailable');
  });

  test('metrics count requests by outcome and time decisions, on a registry of this app only', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/cellops_gateway_requests_total\{source="webhook",outcome="started"\} [1-9]/);
    expect(metrics).toMatch(/cellops_gateway_requests_total\{source="webhook",outcome="malformed-json"\} [1-9]/);
    expect(metrics).toMatch(/cellops_gateway_decision_seconds_count\{source="webhook",outcome="started"\} [1-9]/);
    const another = buildGateway({ client: env.client, namespace: 'default', registry, logger: capturingLogger([]) });
    const fresh = (await another.inject({ method: 'GET', url: '/metrics' })).body;
    await another.close();
    expect(fresh).not.toMatch(/cellops_gateway_requests_total\{/);
  });

  test('other plugins register on the same app and keep the usual JSON body parsing', async () => {
    const shared = buildGateway({ client: env.client, namespace: 'default', registry, logger: capturingLogger([]) });
    await shared.register((instance, _options, done) => {
      instance.post('/console/echo', (request) => ({ got: request.body }));
      done();
    });
    const response = await shared.inject({ method: 'POST', url: '/console/echo', payload: { a: 1 } });
    await shared.close();
    expect(response.json()).toEqual({ got: { a: 1 } });
  });
});
