import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createWebhookHooks, HookErrorType, hookActivities, type ApplicationHooks, type MigrateCustomersInput } from '../../activities/hooks';
import { retryAfterMs } from '../../activities/hooks/webhook';

/** What the application's server saw. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let received: Received[];
let handler: Handler;
const inFlight = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      inFlight.add(res);
      res.on('close', () => inFlight.delete(res));
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  received = [];
  handler = reply(500, { error: 'no handler set for this test' });
});

// Requests a test left hanging must not outlive it. Only those: closing idle keep-alive
// connections here would race the client, which may already be reusing one for the next test.
afterEach(() => {
  for (const res of inFlight) res.destroy();
  inFlight.clear();
});

afterAll(async () => {
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  server.closeAllConnections();
  await closed;
});

/** A handler answering `status` with `body` (JSON unless a string) and `headers`. */
function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(text);
  };
}

/** The `ApplicationFailure` a hook call rejects with; fails the test if it resolves or rejects otherwise. */
async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await call.then(
    (result) => {
      throw new Error(`expected the hook to fail, but it returned ${JSON.stringify(result)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** An activity environment that keeps the SDK's "Activity failed" warnings out of the test output. */
const activityEnvironment = (heartbeatTimeoutMs?: number) =>
  new MockActivityEnvironment({ heartbeatTimeoutMs }, { logger: new DefaultLogger('ERROR') });

const migrateInput: MigrateCustomersInput = { requestToken: 'cell-replacement-cell-002/migrate', fromCellId: 'cell-002', toCellId: 'cell-004' };

describe('createWebhookHooks: the request', () => {
  it('POSTs the input as JSON with the idempotency key and bearer token, and returns the result', async () => {
    // GIVEN
    handler = reply(200, { migratedCustomers: 380 });
    const hooks = createWebhookHooks({ baseUrl, authToken: 's3cret' });

    // WHEN (outside any activity)
    const result = await hooks.migrateCustomers(migrateInput);

    // THEN
    expect(result).toEqual({ migratedCustomers: 380 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/migrateCustomers');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': 'cell-replacement-cell-002/migrate',
      authorization: 'Bearer s3cret',
    });
    expect(JSON.parse(request.body)).toEqual(migrateInput);
  });

  it('sends no Authorization header without a token', async () => {
    handler = reply(200, { migratedCustomers: 0 });
    await createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput);
    expect(received[0].headers).not.toHaveProperty('authorization');
  });

  it('keeps the base URL path and drops its trailing slash', async () => {
    handler = reply(200, { delivered: true });
    await createWebhookHooks({ baseUrl: `${baseUrl}/cellops/hooks/` }).notify({
      requestToken: 't',
      severity: 'info',
      subject: 's',
      message: 'm',
      workflowId: 'w',
    });
    expect(received[0].path).toBe('/cellops/hooks/notify');
  });

  it.each<[keyof ApplicationHooks, object, object]>([
    ['checkDataAccessible', { cellId: 'cell-001' }, { accessible: false, reason: 'replica lag' }],
    ['backupCellData', { cellId: 'cell-001' }, { backupId: 'bk-1', takenAt: '2025-03-01T12:00:00Z' }],
    ['migrateCustomers', { fromCellId: 'cell-001', toCellId: 'cell-002' }, { migratedCustomers: 12 }],
    ['restoreCustomersFromBackup', { fromCellId: 'cell-001', toCellId: 'cell-004' }, { restoredCustomers: 3, backupId: 'bk-1', backupTakenAt: '2025-03-01T12:00:00+01:00' }],
    ['shedLoad', { percent: 30 }, { sheddingPercent: 30 }],
    ['setCircuitBreakers', { cellIds: ['cell-001', 'cell-002'], state: 'open' }, { cellIds: ['cell-001', 'cell-002'], state: 'open' }],
    ['validateDataIntegrity', { cellId: 'cell-001' }, { ok: false, checkedCustomers: 420, problems: ['customer 7: orphaned order'] }],
    ['notify', { severity: 'critical', subject: 'cell-002 drained', message: 'waiting for approval', workflowId: 'cell-restart-cell-002' }, { delivered: true }],
  ])('%s posts to its own path and returns its result', async (hook, fields, result) => {
    // GIVEN
    handler = reply(200, result);
    const input = { requestToken: `wf/${hook}`, ...fields };

    // WHEN
    const call = createWebhookHooks({ baseUrl })[hook] as (input: object) => Promise<unknown>;
    const returned = await call(input);

    // THEN
    expect(returned).toEqual(result);
    expect(received.map((r): unknown[] => [r.path, r.headers['idempotency-key'], JSON.parse(r.body)])).toEqual([[`/${hook}`, `wf/${hook}`, input]]);
  });

  it('ignores fields of the response it does not know', async () => {
    handler = reply(200, { migratedCustomers: 5, jobId: 'j-1' });
    await expect(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput)).resolves.toEqual({ migratedCustomers: 5 });
  });

  it('uses the fetch it is given', async () => {
    // GIVEN
    const fakeFetch = jest.fn<Promise<Response>, Parameters<typeof fetch>>(() => Promise.resolve(new Response('{"delivered":true}', { status: 200 })));
    const hooks = createWebhookHooks({ baseUrl: 'https://hooks.example.com/v1', fetch: fakeFetch });

    // WHEN
    const result = await hooks.notify({ requestToken: 't', severity: 'info', subject: 's', message: 'm', workflowId: 'w' });

    // THEN
    expect(result).toEqual({ delivered: true });
    expect(fakeFetch).toHaveBeenCalledWith('https://hooks.example.com/v1/notify', expect.objectContaining({ method: 'POST' }));
    expect(received).toHaveLength(0);
  });

  it.each([['not a url'], ['ftp://hooks.example.com'], ['']])('refuses the base URL %j at construction', (bad) => {
    expect(() => createWebhookHooks({ baseUrl: bad })).toThrow(`webhook hooks: baseUrl must be an http(s) URL, got "${bad}"`);
  });

  it('refuses a base URL with credentials, which would end up in failure messages', () => {
    expect(() => createWebhookHooks({ baseUrl: 'https://user:pw@hooks.example.com' })).toThrow(
      'webhook hooks: baseUrl must not carry credentials; use authToken',
    );
  });

  it('refuses a base URL with a query', () => {
    expect(() => createWebhookHooks({ baseUrl: 'https://hooks.example.com/?v=1' })).toThrow('webhook hooks: baseUrl must not have a query or fragment');
  });

  it('percent-encodes a request token that is not a valid header value, and keeps it as is in the body', async () => {
    // GIVEN a workflow id with a non-ASCII character and a space
    handler = reply(200, { migratedCustomers: 0 });
    const requestToken = 'cell-restart-zelle-ö 2/migrate';

    // WHEN
    await createWebhookHooks({ baseUrl }).migrateCustomers({ ...migrateInput, requestToken });

    // THEN
    expect(received[0].headers['idempotency-key']).toBe('cell-restart-zelle-%C3%B6%202%2Fmigrate');
    expect(JSON.parse(received[0].body)).toMatchObject({ requestToken });
  });

  it('refuses a timeout that is not a positive number at construction', () => {
    expect(() => createWebhookHooks({ baseUrl, timeoutMs: 0 })).toThrow('webhook hooks: timeoutMs must be a positive number of ms, got 0');
    expect(() => createWebhookHooks({ baseUrl, hookTimeoutsMs: { migrateCustomers: -1 } })).toThrow(
      'webhook hooks: hookTimeoutsMs.migrateCustomers must be a positive number of ms, got -1',
    );
  });
});

describe('createWebhookHooks: outcomes', () => {
  it('treats a 409 that carries the result as already done', async () => {
    handler = reply(409, { migratedCustomers: 380 });
    await expect(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput)).resolves.toEqual({ migratedCustomers: 380 });
  });

  it.each([
    ['an error body', { error: 'migration already running for another token' }],
    ['an empty body', undefined],
  ])('rejects a 409 with %s, not retryable', async (_what, body) => {
    // GIVEN
    handler = reply(409, body);

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput));

    // THEN
    expect(failure).toMatchObject({ type: HookErrorType.HookRejected, nonRetryable: true });
    expect(failure.message).toContain(`hook migrateCustomers: POST ${baseUrl}/migrateCustomers answered HTTP 409 without a result`);
    expect(failure.details).toEqual([{ hook: 'migrateCustomers', url: `${baseUrl}/migrateCustomers`, status: 409, body: body === undefined ? '' : JSON.stringify(body) }]);
  });

  it.each([400, 401, 403, 404, 422])('rejects HTTP %i as HookRejected, not retryable, with status and body in the details', async (status) => {
    // GIVEN
    handler = reply(status, { error: 'toCellId cell-004 does not exist' });

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl, authToken: 's3cret' }).migrateCustomers(migrateInput));

    // THEN
    expect(failure.type).toBe(HookErrorType.HookRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`hook migrateCustomers: POST ${baseUrl}/migrateCustomers answered HTTP ${status}: {"error":"toCellId cell-004 does not exist"}`);
    expect(failure.details).toEqual([
      { hook: 'migrateCustomers', url: `${baseUrl}/migrateCustomers`, status, body: '{"error":"toCellId cell-004 does not exist"}' },
    ]);
    expect(JSON.stringify([failure.message, failure.details])).not.toContain('s3cret'); // failures land in workflow histories
  });

  it('keeps only an excerpt of a long error body', async () => {
    handler = reply(400, 'x'.repeat(5000));
    const failure = await failureOf(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput));
    expect(failure.details).toEqual([expect.objectContaining({ body: `${'x'.repeat(500)}...` })]);
    expect(failure.message).toMatch(/answered HTTP 400: x{200}\.\.\.$/);
  });

  it.each([408, 429, 500, 502, 503, 504])('reports HTTP %i as HookUnavailable, retryable', async (status) => {
    // GIVEN
    handler = reply(status, 'busy');

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput));

    // THEN
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false });
    expect(failure.message).toBe(`hook migrateCustomers: POST ${baseUrl}/migrateCustomers answered HTTP ${status}: busy`);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('honours Retry-After in seconds as the next retry delay', async () => {
    handler = reply(429, 'slow down', { 'Retry-After': '7' });
    const failure = await failureOf(createWebhookHooks({ baseUrl }).shedLoad({ requestToken: 't', percent: 20 }));
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false, nextRetryDelay: 7000 });
  });

  it('honours Retry-After as an HTTP date', async () => {
    // GIVEN a date two minutes ahead (HTTP dates have whole seconds)
    handler = reply(503, 'maintenance', { 'Retry-After': new Date(Date.now() + 120_000).toUTCString() });

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl }).shedLoad({ requestToken: 't', percent: 20 }));

    // THEN
    expect(failure.type).toBe(HookErrorType.HookUnavailable);
    expect(failure.nextRetryDelay).toBeGreaterThan(115_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(120_000);
  });

  it('does not follow a redirect, and rejects it as a configuration error', async () => {
    handler = reply(307, undefined, { Location: `${baseUrl}/v2/migrateCustomers` });
    const failure = await failureOf(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput));
    expect(failure).toMatchObject({ type: HookErrorType.HookRejected, nonRetryable: true });
    expect(failure.message).toBe(`hook migrateCustomers: POST ${baseUrl}/migrateCustomers answered HTTP 307: redirected to ${baseUrl}/v2/migrateCustomers`);
    expect(received.map((r) => r.path)).toEqual(['/migrateCustomers']);
  });

  it('reports a refused connection as HookUnavailable, retryable, with the cause', async () => {
    // GIVEN a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl: `http://127.0.0.1:${port}` }).migrateCustomers(migrateInput));

    // THEN
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false });
    expect(failure.message).toBe(`hook migrateCustomers: POST http://127.0.0.1:${port}/migrateCustomers failed: fetch failed (ECONNREFUSED)`);
    expect(failure.cause).toMatchObject({ message: 'fetch failed' });
  });

  it('reports a hook that does not answer in time as HookUnavailable, retryable', async () => {
    // GIVEN a server that never answers
    handler = () => undefined;

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl, timeoutMs: 200 }).migrateCustomers(migrateInput));

    // THEN (the call ended at all, so by its own timeout: the server never answers)
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false });
    expect(failure.message).toBe(`hook migrateCustomers: POST ${baseUrl}/migrateCustomers did not answer within 200 ms`);
  });

  it('times out a body that stops half way', async () => {
    // GIVEN headers and part of the body, then silence
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"migratedCus');
    };

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl, timeoutMs: 200 }).migrateCustomers(migrateInput));

    // THEN
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false });
    expect(failure.message).toContain('did not answer within 200 ms');
  });

  it('applies a per-hook timeout over the default one', async () => {
    handler = () => undefined;
    const hooks = createWebhookHooks({ baseUrl, timeoutMs: 30_000, hookTimeoutsMs: { notify: 100 } });
    const failure = await failureOf(hooks.notify({ requestToken: 't', severity: 'info', subject: 's', message: 'm', workflowId: 'w' }));
    expect(failure.message).toBe(`hook notify: POST ${baseUrl}/notify did not answer within 100 ms`);
  });
});

describe('createWebhookHooks: malformed responses', () => {
  it.each<[string, Handler, number, string]>([
    ['a body that is not JSON', reply(200, '<html>OK</html>'), 200, 'not JSON: <html>OK</html>'],
    ['an empty body', reply(204), 204, 'empty body, expected a JSON result'],
    ['a count as a string', reply(200, { migratedCustomers: '380' }), 200, 'migratedCustomers: Invalid input: expected number, received string'],
    ['a missing field', reply(201, {}), 201, 'migratedCustomers: Invalid input: expected number, received undefined'],
    ['a negative count', reply(200, { migratedCustomers: -1 }), 200, 'migratedCustomers: Too small: expected number to be >=0'],
    ['a JSON array', reply(200, [1]), 200, '(body): Invalid input: expected object, received array'],
  ])('fails on %s with HookResponseInvalid naming the hook and the problem, not retryable', async (_what, respond, status, problem) => {
    // GIVEN
    handler = respond;

    // WHEN
    const failure = await failureOf(createWebhookHooks({ baseUrl }).migrateCustomers(migrateInput));

    // THEN
    expect(failure).toMatchObject({ type: HookErrorType.HookResponseInvalid, nonRetryable: true });
    expect(failure.message).toBe(`hook migrateCustomers: invalid response from POST ${baseUrl}/migrateCustomers (HTTP ${status}): ${problem}`);
    expect(failure.details).toEqual([expect.objectContaining({ hook: 'migrateCustomers', status, problem })]);
  });

  it('checks that times are ISO-8601', async () => {
    handler = reply(200, { backupId: 'bk-1', takenAt: 'yesterday' });
    const failure = await failureOf(createWebhookHooks({ baseUrl }).backupCellData({ requestToken: 't', cellId: 'cell-001' }));
    expect(failure.type).toBe(HookErrorType.HookResponseInvalid);
    expect(failure.message).toBe(`hook backupCellData: invalid response from POST ${baseUrl}/backupCellData (HTTP 200): takenAt: Invalid ISO datetime`);
  });

  it('lists every problem of the response', async () => {
    handler = reply(200, { cellIds: 'cell-001', state: 'half-open' });
    const failure = await failureOf(createWebhookHooks({ baseUrl }).setCircuitBreakers({ requestToken: 't', cellIds: ['cell-001'], state: 'open' }));
    expect(failure.message).toBe(
      `hook setCircuitBreakers: invalid response from POST ${baseUrl}/setCircuitBreakers (HTTP 200): ` +
        'cellIds: Invalid input: expected array, received string; state: Invalid option: expected one of "open"|"closed"',
    );
  });
});

describe('createWebhookHooks inside an activity', () => {
  it('heartbeats while it waits, and stops once the hook answered', async () => {
    // GIVEN a hook that answers once the activity has heartbeaten three times while waiting for it,
    // and a heartbeat timeout of 100 ms (so a beat every 50 ms)
    const heartbeats: unknown[] = [];
    let answer: (() => void) | undefined;
    const answerAfterThreeBeats = (): void => {
      if (answer === undefined || heartbeats.length < 3) return;
      answer();
      answer = undefined;
    };
    handler = (req, res) => {
      answer = () => reply(200, { migratedCustomers: 1 })(req, res);
      answerAfterThreeBeats();
    };
    const env = activityEnvironment(100);
    env.on('heartbeat', (details: unknown) => {
      heartbeats.push(details);
      answerAfterThreeBeats();
    });
    const activities = hookActivities(createWebhookHooks({ baseUrl }));

    // WHEN
    const result = await env.run(activities.migrateCustomers, migrateInput);

    // THEN
    expect(result).toEqual({ migratedCustomers: 1 });
    expect(heartbeats.length).toBeGreaterThanOrEqual(3);
    expect(heartbeats[0]).toEqual({ hook: 'migrateCustomers', waitingMs: expect.any(Number) as number });
    const afterAnswer = heartbeats.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(heartbeats).toHaveLength(afterAnswer);
  });

  it('aborts the request when the activity is cancelled, and fails as cancelled', async () => {
    // GIVEN a hook that never answers, and a record of the server seeing the client go away
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let gone!: () => void;
    const clientGone = new Promise<void>((resolve) => (gone = resolve));
    handler = (_req, res) => {
      res.on('close', gone);
      arrived();
    };
    const env = activityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    // (a request timeout far beyond the test's own: only the cancellation can end this request)
    const activities = hookActivities(createWebhookHooks({ baseUrl, timeoutMs: 3_600_000 }));

    // WHEN
    const running = env.run(activities.restoreCustomersFromBackup, { requestToken: 't', fromCellId: 'cell-002', toCellId: 'cell-004' });
    await requestArrived;
    env.cancel();

    // THEN it ends (so at the cancellation, not at a timeout) as cancelled, and the request is aborted
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    await clientGone;
    expect(heartbeats).toEqual([{ hook: 'restoreCustomersFromBackup', waitingMs: expect.any(Number) as number }]);
  });

  it('still reports its own timeout as HookUnavailable, not as a cancellation', async () => {
    handler = () => undefined;
    const env = activityEnvironment();
    const activities = hookActivities(createWebhookHooks({ baseUrl, timeoutMs: 150 }));
    const failure = await failureOf(env.run(activities.shedLoad, { requestToken: 't', percent: 10 }));
    expect(failure).toMatchObject({ type: HookErrorType.HookUnavailable, nonRetryable: false });
  });
});

describe('hookActivities', () => {
  it('exposes one activity per hook, delegating to the hooks object with its own this', async () => {
    // GIVEN a class-based implementation whose methods use `this`
    class RecordingHooks implements ApplicationHooks {
      readonly calls: string[] = [];
      private record<T>(name: string, input: { requestToken: string }, result: T): Promise<T> {
        this.calls.push(`${name}:${input.requestToken}`);
        return Promise.resolve(result);
      }
      checkDataAccessible(i: { requestToken: string }) {
        return this.record('checkDataAccessible', i, { accessible: true });
      }
      backupCellData(i: { requestToken: string }) {
        return this.record('backupCellData', i, { backupId: 'b', takenAt: '2025-01-01T00:00:00Z' });
      }
      migrateCustomers(i: { requestToken: string }) {
        return this.record('migrateCustomers', i, { migratedCustomers: 1 });
      }
      restoreCustomersFromBackup(i: { requestToken: string }) {
        return this.record('restoreCustomersFromBackup', i, { restoredCustomers: 1, backupId: 'b', backupTakenAt: '2025-01-01T00:00:00Z' });
      }
      shedLoad(i: { requestToken: string }) {
        return this.record('shedLoad', i, { sheddingPercent: 10 });
      }
      setCircuitBreakers(i: { requestToken: string }) {
        return this.record('setCircuitBreakers', i, { cellIds: [], state: 'open' as const });
      }
      validateDataIntegrity(i: { requestToken: string }) {
        return this.record('validateDataIntegrity', i, { ok: true, checkedCustomers: 0, problems: [] });
      }
      notify(i: { requestToken: string }) {
        return this.record('notify', i, { delivered: true });
      }
    }
    const impl = new RecordingHooks();

    // WHEN every activity is called as the worker would, detached from its object
    const activities = hookActivities(impl);
    const results: unknown[] = [];
    for (const [name, activity] of Object.entries(activities)) {
      results.push(await (activity as (input: { requestToken: string }) => Promise<unknown>)({ requestToken: `token-${name}` }));
    }

    // THEN
    const names = Object.keys(activities).sort();
    expect(names).toEqual([
      'backupCellData',
      'checkDataAccessible',
      'migrateCustomers',
      'notify',
      'restoreCustomersFromBackup',
      'setCircuitBreakers',
      'shedLoad',
      'validateDataIntegrity',
    ]);
    expect([...impl.calls].sort()).toEqual(names.map((name) => `${name}:token-${name}`));
    expect(results).toContainEqual({ migratedCustomers: 1 });
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  it.each<[string | null, number | undefined]>([
    ['7', 7000],
    [' 0 ', undefined],
    ['Sat, 01 Mar 2025 12:01:30 GMT', 90_000],
    ['Sat, 01 Mar 2025 11:59:00 GMT', undefined],
    ['soon', undefined],
    ['-5', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});
