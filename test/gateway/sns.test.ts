import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../client/gateway';
import type { SnsMessage } from '../../client/gateway/sns-signature';
import { gatewayRegistry, silentLogger } from '../helpers/gateway';
import { PROCEDURE_SEARCH_ATTRIBUTES } from '../helpers/procedures-environment';
import { cloudWatchAlarmMessage, createTestSns, type TestSns } from '../helpers/sns-signing';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

// No worker polls this queue: a started procedure stays running, which is all these tests look at.
const TASK_QUEUE = 'gateway-sns-test';
const registry = gatewayRegistry('sns', 8);

let env: TestWorkflowEnvironment;
let sns: TestSns;
let confirmed: string[];
let app: FastifyInstance;

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  sns = createTestSns();
  confirmed = [];
  app = buildGateway({
    client: env.client,
    namespace: env.namespace ?? 'default',
    registry,
    taskQueue: TASK_QUEUE,
    webUiBaseUrl: 'http://ui.example:8233/',
    logger: silentLogger(),
    sns: {
      fetchCertificate: (url) => sns.fetchCertificate(url),
      confirmSubscription: (url) => {
        confirmed.push(url);
        return Promise.resolve();
      },
    },
  });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

const post = (message: SnsMessage | string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/alarms/sns',
    // SNS posts JSON as text/plain.
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': typeof message === 'string' ? 'Notification' : message.Type, ...headers },
    payload: typeof message === 'string' ? message : JSON.stringify(message),
  });

async function recoveriesOf(cellId: string): Promise<number> {
  let count = 0;
  for await (const _ of env.client.workflow.list({ query: `CellId = "${cellId}"` })) count++;
  return count;
}

describe('SNS: genuine messages', () => {
  test.each(['1', '2'] as const)('a SignatureVersion %s notification of an ALARM starts the restart for its cell, answering with the workflow id and a Web UI link', async (version) => {
    const cellId = version === '1' ? 'sns-1' : 'sns-2';
    const response = await post(sns.notification(cloudWatchAlarmMessage(`${cellId}-HighErrorRate`), { version, subject: `ALARM: "${cellId}-HighErrorRate" in EU (Ireland)` }));
    expect(response.statusCode).toBe(202);
    const answer = response.json<{ runId: string }>();
    expect(answer).toMatchObject({
      outcome: 'started',
      cellId,
      procedure: 'cellRestart',
      workflowId: `cell-recovery-${cellId}`,
      severity: 'P2',
      webUiUrl: `http://ui.example:8233/namespaces/default/workflows/cell-recovery-${cellId}/${answer.runId}/history`,
    });
    const described = await env.client.workflow.getHandle(`cell-recovery-${cellId}`).describe();
    expect(described.type).toBe('cellRestart');
    expect(described.runId).toBe(answer.runId);
    expect(described.memo).toMatchObject({ alarm: { name: `${cellId}-HighErrorRate`, source: 'sns' } });

    // The same alarm again: the recovery already runs, nothing new starts.
    const again = await post(sns.notification(cloudWatchAlarmMessage(`${cellId}-HighErrorRate`), { version }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ outcome: 'already-running', cellId, workflowId: `cell-recovery-${cellId}`, procedure: 'cellRestart' });
    expect(await recoveriesOf(cellId)).toBe(1);
  });

  test('the signing certificate is fetched once and cached', () => {
    expect(sns.fetched.length).toBeGreaterThan(0);
    expect(new Set(sns.fetched)).toEqual(new Set([sns.certUrl]));
    expect(sns.fetched).toHaveLength(1);
  });

  test('an alarm found by its metric dimensions rather than its name', async () => {
    const response = await post(sns.notification(cloudWatchAlarmMessage('shop-latency-p99', { metricName: 'Latency', dimensions: { CellId: 'sns-3' } })));
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'sns-3', procedure: 'cellRestart' });
  });

  test('an OK transition starts nothing', async () => {
    const response = await post(sns.notification(cloudWatchAlarmMessage('sns-4-HighErrorRate', { state: 'OK', oldState: 'ALARM' })));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ outcome: 'not-actionable', cellId: 'sns-4', why: 'state changed to OK: only ALARM transitions start anything' });
    expect(await recoveriesOf('sns-4')).toBe(0);
  });
});

describe('SNS: refused messages start nothing', () => {
  const alarmOf5 = () => cloudWatchAlarmMessage('sns-5-HighErrorRate');

  test('a tampered body (the alarm changed after signing) is refused', async () => {
    const genuine = sns.notification(cloudWatchAlarmMessage('sns-6-HighLatency'));
    const response = await post({ ...genuine, Message: alarmOf5() });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'bad-signature', message: 'signature does not match the message' });
    expect(await recoveriesOf('sns-5')).toBe(0);
    expect(await recoveriesOf('sns-6')).toBe(0);
  });

  test.each([
    ['another host', 'https://sns.eu-west-1.amazonaws.com.attacker.example/cert.pem'],
    ['another region', 'https://sns.us-east-1.amazonaws.com/cert.pem'],
    ['plain http', 'http://sns.eu-west-1.amazonaws.com/cert.pem'],
    ['a port', 'https://sns.eu-west-1.amazonaws.com:8443/cert.pem'],
    ['not a URL', 'sns.eu-west-1.amazonaws.com'],
  ])('a certificate URL on %s is refused without fetching it', async (_, url) => {
    const fetchedBefore = sns.fetched.length;
    const forged = sns.sign({ ...sns.notification(alarmOf5()), SigningCertURL: url });
    const response = await post(forged);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'bad-signature', message: "SigningCertURL must be https://sns.eu-west-1.amazonaws.com/… (the topic's region)" });
    expect(sns.fetched).toHaveLength(fetchedBefore);
    expect(await recoveriesOf('sns-5')).toBe(0);
  });

  test('a certificate from the China partition host is accepted as SNS', async () => {
    const china = createTestSns({ region: 'cn-north-1', topic: 'cn-alarms' });
    const message = china.sign({ ...china.notification(cloudWatchAlarmMessage('sns-7-HighErrorRate')), SigningCertURL: 'https://sns.cn-north-1.amazonaws.com.cn/cert.pem' });
    const local = buildGateway({ client: env.client, namespace: 'default', registry, taskQueue: TASK_QUEUE, logger: silentLogger(), sns: { fetchCertificate: (url) => china.fetchCertificate(url) } });
    const response = await local.inject({ method: 'POST', url: '/alarms/sns', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(message) });
    await local.close();
    expect(response.json()).toMatchObject({ outcome: 'started', cellId: 'sns-7' });
    expect(china.fetched).toEqual(['https://sns.cn-north-1.amazonaws.com.cn/cert.pem']);
  });

  test('a message signed by another key is refused', async () => {
    const impostor = createTestSns();
    const response = await post(impostor.notification(alarmOf5()));
    expect(response.statusCode).toBe(403);
    expect(await recoveriesOf('sns-5')).toBe(0);
  });

  test('a stale message, even correctly signed, is refused; so is one dated in the future', async () => {
    const stale = await post(sns.notification(alarmOf5(), { timestamp: new Date(Date.now() - 2 * 3600_000) }));
    expect(stale.statusCode).toBe(401);
    expect(stale.json<{ error: string; message: string }>()).toMatchObject({ error: 'expired' });
    expect(stale.json<{ message: string }>().message).toMatch(/^message is stale: sent .*, more than 3600 s ago$/);
    const future = await post(sns.notification(alarmOf5(), { timestamp: new Date(Date.now() + 3600_000) }));
    expect(future.statusCode).toBe(401);
    expect(await recoveriesOf('sns-5')).toBe(0);
  });

  test('a body that is a subscription confirmation but declared a notification is refused', async () => {
    const response = await post(sns.subscriptionConfirmation(), { 'x-amz-sns-message-type': 'Notification' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid-body', message: 'x-amz-sns-message-type says Notification but the body is a SubscriptionConfirmation' });
  });

  test('a notification whose Message is not a CloudWatch alarm is refused', async () => {
    const response = await post(sns.notification('hello'));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid-body', message: 'the SNS Message is not JSON: expected a CloudWatch alarm notification' });
  });
});

describe('SNS: subscription', () => {
  test('a genuine subscription confirmation is confirmed by fetching its SubscribeURL', async () => {
    const message = sns.subscriptionConfirmation();
    const response = await post(message);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ outcome: 'subscription-confirmed', topicArn: sns.topicArn });
    expect(confirmed).toEqual([message.SubscribeURL]);
  });

  test('a SubscribeURL outside SNS of the topic region is never fetched, even when signed', async () => {
    confirmed.length = 0;
    const response = await post(sns.subscriptionConfirmation({ subscribeUrl: 'https://attacker.example/?Action=ConfirmSubscription' }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid-body', message: "SubscribeURL must be https://sns.eu-west-1.amazonaws.com/… (the topic's region)" });
    expect(confirmed).toEqual([]);
  });

  test('a forged subscription confirmation is not confirmed', async () => {
    confirmed.length = 0;
    const genuine = sns.subscriptionConfirmation();
    const response = await post({ ...genuine, SubscribeURL: `${genuine.SubscribeURL ?? ''}&x=1` });
    expect(response.statusCode).toBe(403);
    expect(confirmed).toEqual([]);
  });
});
