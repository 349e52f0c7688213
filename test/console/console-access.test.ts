/**
 * The console's doors, through Fastify's inject() on the gateway's app against the dev server: reading, who may
 * change a procedure, cross-site posts, and escaping. The procedure acted on is a real cell
 * restart started on the dev server with no worker polling, so it stays running and its history
 * shows exactly which signals reached it.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { startProcedure } from '../../client/start-procedure';
import { consolePlugin, type ConsoleOptions } from '../../client/console/plugin';
import { CSRF_COOKIE } from '../../client/console/access';
import { buildGateway } from '../../client/gateway/app';
import { exampleRegistry, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';

const BOB_TOKEN = 'bob-token-0123456789abcdef';
const PROXY = '10.0.0.5';

let env: TestWorkflowEnvironment;
let app: FastifyInstance;
const registry = exampleRegistry();

async function consoleApp(overrides: Partial<ConsoleOptions> = {}): Promise<FastifyInstance> {
  const instance = buildGateway({ client: env.client, namespace: env.namespace ?? 'default', registry, sns: false, logger: pino({ level: 'silent' }) });
  await instance.register(consolePlugin, {
    prefix: '/console',
    client: env.client,
    registry,
    access: { trustedProxies: [PROXY], tokens: { [BOB_TOKEN]: 'bob@example.com' } },
    ...overrides,
  });
  await instance.ready();
  return instance;
}

beforeAll(async () => {
  env = await createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  app = await consoleApp();
}, 120_000);
afterEach(async () => {
  await terminateRunning(env.client);
});
afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

/** A cell restart that stays running (no worker), requested by alice. */
async function runningRestart(cellId: string): Promise<WorkflowHandle> {
  return await startProcedure(env.client, { procedure: 'cellRestart', input: { cellId, reason: 'test: alarm', requestedBy: 'alice@example.com', registry } });
}

/** The signals the workflow received, by name with their payload. */
async function signalsReceived(handle: WorkflowHandle): Promise<{ name: string; input: unknown }[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => {
      const attrs = e.workflowExecutionSignaledEventAttributes!;
      const payload = attrs.input?.payloads?.[0];
      return { name: attrs.signalName ?? '', input: payload?.data ? (JSON.parse(Buffer.from(payload.data).toString()) as unknown) : undefined };
    });
}

/** Opens the procedure page as someone the proxy vouches for and returns the form token and cookie it got. */
async function formFor(workflowId: string, user: string): Promise<{ token: string; cookie: string; page: LightMyRequestResponse }> {
  const page = await app.inject({ method: 'GET', url: `/console/procedures/${encodeURIComponent(workflowId)}`, remoteAddress: PROXY, headers: { 'x-forwarded-user': user } });
  expect(page.statusCode).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const cookie = (page.cookies as { name: string; value: string }[]).find((c) => c.name === CSRF_COOKIE);
  if (!token || !cookie) throw new Error(`the page gave no form token: ${page.body.slice(0, 300)}`);
  return { token, cookie: `${CSRF_COOKIE}=${cookie.value}`, page };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('reading', () => {
  test('open to a browser on this machine, refused elsewhere without an identity, allowed with one', async () => {
    const local = await app.inject({ method: 'GET', url: '/console/fleet' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toContain('read-only (no identity)');
    expect(local.body).toContain('data-cell="cell-002"');

    const remote = await app.inject({ method: 'GET', url: '/console/fleet', remoteAddress: '192.0.2.10' });
    expect(remote.statusCode).toBe(401);

    const withToken = await app.inject({ method: 'GET', url: '/console/fleet', remoteAddress: '192.0.2.10', headers: { authorization: `Bearer ${BOB_TOKEN}` } });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toContain('signed in as <strong id="identity">bob@example.com</strong>');
  });

  test('pages carry a content security policy that allows no inline script', async () => {
    const res = await app.inject({ method: 'GET', url: '/console/procedures' });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.body).not.toMatch(/<script>(?!<\/script>)/);
  });
});

describe('changes', () => {
  test('without an identity an abort is refused with 401 and the procedure receives nothing', async () => {
    const handle = await runningRestart('cell-002');
    const res = await app.inject({ method: 'POST', url: `/console/procedures/${handle.workflowId}/abort`, headers: { 'content-type': FORM, accept: 'application/json' }, payload: form({ reason: 'no' }) });
    expect(res.statusCode).toBe(401);
    const answer = res.json<{ ok: boolean; message: string }>();
    expect(answer.ok).toBe(false);
    expect(answer.message).toContain('need an identity');
    expect(await signalsReceived(handle)).toEqual([]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  test('an identity header from an address that is not a configured proxy is not believed', async () => {
    const handle = await runningRestart('cell-002');
    const res = await app.inject({
      method: 'POST',
      url: `/console/procedures/${handle.workflowId}/pause`,
      remoteAddress: '192.0.2.66',
      headers: { 'content-type': FORM, 'x-forwarded-user': 'mallory', 'x-auth-request-user': 'mallory' },
      payload: form({ reason: 'spoofed' }),
    });
    expect(res.statusCode).toBe(401);
    expect(await signalsReceived(handle)).toEqual([]);
  });

  test('a cross-site post is refused with 403 even with a valid identity and form token, and nothing is sent', async () => {
    const handle = await runningRestart('cell-002');
    const { token, cookie } = await formFor(handle.workflowId, 'bob@example.com');
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: `/console/procedures/${handle.workflowId}/abort`,
        remoteAddress: PROXY,
        headers: { 'content-type': FORM, 'x-forwarded-user': 'bob@example.com', cookie, host: 'console.example.com', ...headers },
        payload: form({ _csrf: token, reason: 'forged' }),
      });
    expect((await post({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await post({ origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post({ origin: 'null' })).statusCode).toBe(403);
    expect(await signalsReceived(handle)).toEqual([]);
  });

  test('a post without the form token, with another browser\'s cookie or another identity\'s token is refused with 403', async () => {
    const handle = await runningRestart('cell-002');
    const bob = await formFor(handle.workflowId, 'bob@example.com');
    const carol = await formFor(handle.workflowId, 'carol@example.com');
    const post = (user: string, cookie: string | undefined, token: string | undefined) =>
      app.inject({
        method: 'POST',
        url: `/console/procedures/${handle.workflowId}/pause`,
        remoteAddress: PROXY,
        headers: { 'content-type': FORM, 'x-forwarded-user': user, ...(cookie ? { cookie } : {}) },
        payload: form({ ...(token ? { _csrf: token } : {}), reason: 'test' }),
      });
    expect((await post('bob@example.com', bob.cookie, undefined)).statusCode).toBe(403);
    expect((await post('bob@example.com', undefined, bob.token)).statusCode).toBe(403);
    expect((await post('bob@example.com', carol.cookie, bob.token)).statusCode).toBe(403);
    expect((await post('bob@example.com', bob.cookie, carol.token)).statusCode).toBe(403);
    expect(await signalsReceived(handle)).toEqual([]);
  });

  test('the identity from the proxy (with its form token) or from a bearer token is who the procedure hears from', async () => {
    const handle = await runningRestart('cell-002');
    const { token, cookie } = await formFor(handle.workflowId, 'bob@example.com');
    const paused = await app.inject({
      method: 'POST',
      url: `/console/procedures/${handle.workflowId}/pause`,
      remoteAddress: PROXY,
      headers: { 'content-type': FORM, accept: 'application/json', 'x-forwarded-user': 'bob@example.com', cookie, 'sec-fetch-site': 'same-origin', origin: 'http://console.example.com:8080', host: 'console.example.com:8080' },
      payload: form({ _csrf: token, reason: 'look first' }),
    });
    expect(paused.statusCode).toBe(200);
    expect(paused.json<{ ok: boolean; message: string }>().message).toContain('Paused by bob@example.com');

    // A script with a bearer token needs no form token: a browser never sends the token by itself.
    const aborted = await app.inject({
      method: 'POST',
      url: `/console/procedures/${handle.workflowId}/abort`,
      remoteAddress: '192.0.2.10',
      headers: { 'content-type': FORM, authorization: `Bearer ${BOB_TOKEN}` },
      payload: form({ reason: 'drill over' }),
    });
    expect(aborted.statusCode).toBe(303);
    expect(aborted.headers.location).toBe(`/console/procedures/${handle.workflowId}`);

    expect(await signalsReceived(handle)).toEqual([
      { name: 'pause', input: { requestedBy: 'bob@example.com', reason: 'look first' } },
      { name: 'abort', input: { requestedBy: 'bob@example.com', reason: 'drill over' } },
    ]);
  });

  test('an abort without a reason is refused with 400 and sends nothing', async () => {
    const handle = await runningRestart('cell-002');
    const res = await app.inject({
      method: 'POST',
      url: `/console/procedures/${handle.workflowId}/abort`,
      headers: { 'content-type': FORM, accept: 'application/json', authorization: `Bearer ${BOB_TOKEN}` },
      payload: form({ reason: '  ' }),
    });
    expect(res.statusCode).toBe(400);
    expect(await signalsReceived(handle)).toEqual([]);
  });
});

describe('escaping', () => {
  const attack = '<script>alert("cell")</script><img src=x onerror=alert(1)>';

  test('a cell id with HTML in it, typed into the filter, is shown escaped', async () => {
    const res = await app.inject({ method: 'GET', url: `/console/procedures?cell=${encodeURIComponent(attack)}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).toContain('value="&lt;script&gt;alert(&quot;cell&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(res.body).toContain('id="list-error"');
  });

  test('a workflow id with HTML in it is shown escaped on the not-found page', async () => {
    const res = await app.inject({ method: 'GET', url: `/console/procedures/${encodeURIComponent(attack)}` });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toContain('&lt;script&gt;alert(&quot;cell&quot;)');
  });
});
