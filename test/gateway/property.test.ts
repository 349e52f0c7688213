import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { buildGateway, webhookSignature } from '../../client/gateway';
import { GatewayError } from '../../client/gateway/answers';
import { stringToSign, type SnsMessage } from '../../client/gateway/sns-signature';
import type { startProcedure, startRouterFailover } from '../../client/start-procedure';
import { gatewayRegistry, silentLogger } from '../helpers/gateway';
import { cloudWatchAlarmMessage, createTestSns } from '../helpers/sns-signing';

// Random and mutated requests never reach Temporal: the client below fails on any use, and the
// start function only counts. (The start path itself is tested against the dev server elsewhere.)
const NOW = new Date('2026-12-02T14:00:00.000Z');
const WEBHOOK_SECRET = 'property-webhook-secret-01234567';
const EVENTBRIDGE_SECRET = 'property-eventbridge-key-89abcdef';
const registry = gatewayRegistry('prop', 3);
const sns = createTestSns({ now: () => NOW });

let starts = 0;
let confirmations = 0;
let temporalCalls = 0;
const unreachableClient = new Proxy({} as Client, {
  get() {
    temporalCalls++;
    throw new Error('Temporal was reached');
  },
});
const countingStart = (() => {
  starts++;
  return Promise.reject(new Error('nothing may start'));
}) as typeof startProcedure;

const app = buildGateway({
  client: unreachableClient,
  namespace: 'default',
  registry,
  logger: silentLogger(),
  clock: () => NOW,
  bodyLimitBytes: 16 * 1024,
  startProcedure: countingStart,
  startRouterFailover: countingStart as unknown as typeof startRouterFailover,
  sns: {
    fetchCertificate: (url) => (url === sns.certUrl ? sns.fetchCertificate(url) : Promise.reject(new GatewayError(403, 'bad-signature', `no signing certificate at ${url} (HTTP 404)`))),
    confirmSubscription: () => {
      confirmations++;
      return Promise.resolve();
    },
  },
  eventBridge: { secret: EVENTBRIDGE_SECRET },
  webhook: { secret: WEBHOOK_SECRET },
});
afterAll(async () => {
  await app.close();
});

interface Request {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const genuineSns: SnsMessage[] = [
  sns.notification(cloudWatchAlarmMessage('prop-1-HighErrorRate'), { version: '1' }),
  sns.notification(cloudWatchAlarmMessage('prop-2-HighLatency'), { version: '2', subject: 'ALARM: "prop-2-HighLatency"' }),
  sns.subscriptionConfirmation(),
];
const webhookTimestamp = String(Math.floor(NOW.getTime() / 1000));
const webhookBody = JSON.stringify({ alarmName: 'prop-3-HighErrorRate', state: 'ALARM', reason: 'errors' });

const snsRequest = (message: SnsMessage): Request => ({
  url: '/alarms/sns',
  headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': message.Type },
  body: JSON.stringify(message),
});
const webhookRequest = (): Request => ({
  url: '/alarms/webhook',
  headers: { 'content-type': 'application/json', 'x-cellops-timestamp': webhookTimestamp, 'x-cellops-signature': webhookSignature(WEBHOOK_SECRET, webhookTimestamp, webhookBody) },
  body: webhookBody,
});
const eventBridgeRequest = (): Request => ({
  url: '/alarms/eventbridge',
  headers: { 'content-type': 'application/json', 'x-cellops-api-key': EVENTBRIDGE_SECRET },
  body: JSON.stringify({ 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', detail: { alarmName: 'prop-1-HighErrorRate', state: { value: 'ALARM', reason: 'r' } } }),
});

/** A text edit: flip, delete, insert or truncate at a position. */
const textEdit = fc.record({ kind: fc.constantFrom('replace', 'delete', 'insert', 'truncate'), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4 }) });
function applyEdit(value: string, edit: { kind: string; at: number; text: string }): string {
  const at = value.length === 0 ? 0 : edit.at % value.length;
  switch (edit.kind) {
    case 'replace':
      return value.slice(0, at) + edit.text + value.slice(at + edit.text.length);
    case 'delete':
      return value.slice(0, at) + value.slice(at + 1);
    case 'insert':
      return value.slice(0, at) + edit.text + value.slice(at);
    default:
      return value.slice(0, at);
  }
}

/** Whether a mutated SNS request still carries the genuine message (a change SNS does not sign, such as UnsubscribeURL). */
function stillGenuineSns(request: Request, original: SnsMessage): boolean {
  let parsed: SnsMessage;
  try {
    parsed = JSON.parse(request.body) as SnsMessage;
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const contentType = request.headers['content-type'] ?? '';
  const declared = request.headers['x-amz-sns-message-type'];
  return (
    /^(text\/plain|application\/json)\b/i.test(contentType) &&
    (declared === undefined || declared === parsed.Type) &&
    parsed.Type === original.Type &&
    stringToSign(parsed) === stringToSign(original) &&
    parsed.Signature === original.Signature &&
    parsed.SignatureVersion === original.SignatureVersion &&
    parsed.SigningCertURL === original.SigningCertURL
  );
}

const mutatedSns = fc
  .record({
    original: fc.constantFrom(...genuineSns),
    target: fc.constantFrom('body', 'field', 'drop-field', 'header'),
    field: fc.constantFrom<keyof SnsMessage>('Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'SubscribeURL', 'Token'),
    header: fc.constantFrom('content-type', 'x-amz-sns-message-type'),
    edit: textEdit,
  })
  .map(({ original, target, field, header, edit }) => {
    const request = snsRequest(original);
    if (target === 'body') return { request: { ...request, body: applyEdit(request.body, edit) }, original };
    if (target === 'header') return { request: { ...request, headers: { ...request.headers, [header]: applyEdit(request.headers[header] ?? '', edit) } }, original };
    const message: Record<string, unknown> = { ...original };
    if (target === 'drop-field') delete message[field];
    else message[field] = applyEdit(typeof message[field] === 'string' ? message[field] : '', edit);
    return { request: { ...request, body: JSON.stringify(message) }, original };
  })
  .filter(({ request, original }) => !stillGenuineSns(request, original))
  .map(({ request }) => request);

const mutatedWebhook = fc
  .record({ target: fc.constantFrom('body', 'x-cellops-timestamp', 'x-cellops-signature', 'content-type'), edit: textEdit, drop: fc.boolean() })
  .map(({ target, edit, drop }) => {
    const request = webhookRequest();
    if (target === 'body') return { ...request, body: applyEdit(request.body, edit) };
    const headers = { ...request.headers };
    if (drop) delete headers[target];
    else headers[target] = applyEdit(headers[target] ?? '', edit);
    return { ...request, headers };
  })
  .filter((request) => {
    const genuine = webhookRequest();
    const sameSigned = request.body === genuine.body && request.headers['x-cellops-timestamp'] === genuine.headers['x-cellops-timestamp'] && request.headers['x-cellops-signature'] === genuine.headers['x-cellops-signature'];
    return !(sameSigned && /^application\/json\b/i.test(request.headers['content-type'] ?? ''));
  });

const mutatedEventBridge = fc
  .record({ edit: textEdit, drop: fc.boolean() })
  .map(({ edit, drop }) => {
    const request = eventBridgeRequest();
    const headers = { ...request.headers };
    if (drop) delete headers['x-cellops-api-key'];
    else headers['x-cellops-api-key'] = applyEdit(EVENTBRIDGE_SECRET, edit);
    return { ...request, headers };
  })
  .filter((request) => request.headers['x-cellops-api-key'] !== EVENTBRIDGE_SECRET);

const randomRequest = fc.record({
  url: fc.constantFrom('/alarms/sns', '/alarms/webhook', '/alarms/eventbridge', '/alarms/other', '/healthz'),
  headers: fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'text/plain', 'text/plain; charset=UTF-8', 'application/xml', 'multipart/form-data', ''),
      'x-amz-sns-message-type': fc.constantFrom('Notification', 'SubscriptionConfirmation', 'x'),
      'x-cellops-timestamp': fc.oneof(fc.constant(webhookTimestamp), fc.string({ maxLength: 12 })),
      'x-cellops-signature': fc.string({ maxLength: 80 }),
      'x-cellops-api-key': fc.string({ maxLength: 40 }),
    },
    { requiredKeys: [] },
  ),
  body: fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ Type: 'Notification', Message: JSON.stringify(v), alarmName: 'prop-1-HighErrorRate', state: 'ALARM', detail: v })),
    fc.tuple(fc.nat({ max: 2000 }), fc.string({ minLength: 1, maxLength: 8 })).map(([extra, unit]) => unit.repeat(Math.ceil((16_000 + extra) / unit.length))),
  ),
});

test('10,000 random and mutated requests: always an answer below 500, nothing started, Temporal never reached', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(randomRequest, mutatedSns, mutatedWebhook, mutatedEventBridge), async (request) => {
      starts = confirmations = temporalCalls = 0;
      const response = await app.inject({ method: request.url === '/healthz' ? 'GET' : 'POST', url: request.url, headers: request.headers, payload: request.body });
      expect(response.statusCode).toBeLessThan(500);
      if (request.url !== '/healthz') {
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        const answer = response.json<{ error: string; message: string }>();
        expect(typeof answer.error).toBe('string');
        expect(typeof answer.message).toBe('string');
      }
      expect(starts).toBe(0);
      expect(confirmations).toBe(0);
      expect(temporalCalls).toBe(0);
    }),
    { numRuns: 10_000 },
  );
  // A guard against a hang, not a speed check: 20–60 s on a quiet machine, over 300 s on a busy one.
}, 1_200_000);

test('the genuine requests the mutations start from are accepted (so the property is not vacuous)', async () => {
  const answer = await app.inject({ method: 'POST', url: '/alarms/sns', headers: snsRequest(genuineSns[2]).headers, payload: snsRequest(genuineSns[2]).body });
  expect(answer.json()).toEqual({ outcome: 'subscription-confirmed', topicArn: sns.topicArn });
  expect(confirmations).toBe(1);
  for (const request of [snsRequest(genuineSns[0]), webhookRequest(), eventBridgeRequest()]) {
    // They pass every check and reach Temporal, which this app's client refuses.
    const response = await app.inject({ method: 'POST', url: request.url, headers: request.headers, payload: request.body });
    expect(response.statusCode).toBe(500);
  }
  expect(temporalCalls).toBeGreaterThanOrEqual(3);
});
