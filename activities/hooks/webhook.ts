import { types } from 'node:util';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { z } from 'zod';
import { HookErrorType } from './hook-errors';
import type { ApplicationHooks } from './types';

/** The name of a hook, which is also its activity name and its webhook path. */
export type HookName = keyof ApplicationHooks;
/** The input a hook takes. */
export type HookInputOf<K extends HookName> = Parameters<ApplicationHooks[K]>[0];
/** The result a hook resolves to. */
export type HookResultOf<K extends HookName> = Awaited<ReturnType<ApplicationHooks[K]>>;

/** Options of {@link createWebhookHooks}. */
export interface WebhookHooksOptions {
  /** Each hook is `POST ${baseUrl}/<hookName>`; an http(s) URL, optionally with a path. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <authToken>` when set. */
  authToken?: string;
  /** How long one request may take, headers and body, before it counts as unavailable. Default 30 s. */
  timeoutMs?: number;
  /** Per-hook overrides of `timeoutMs`, for hooks that take long (`migrateCustomers`, ...). */
  hookTimeoutsMs?: Partial<Record<HookName, number>>;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Heartbeat at least this often while waiting, when the activity has no heartbeat timeout. */
const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
const BODY_EXCERPT_CHARS = 500;

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const breakerState = z.enum(['open', 'closed']);

/** What each hook's response body must be; extra fields are ignored, for forward compatibility. */
const resultSchemas: { [K in HookName]: z.ZodType<HookResultOf<K>> } = {
  checkDataAccessible: z.object({ accessible: z.boolean(), reason: z.string().optional() }),
  backupCellData: z.object({ backupId: z.string().min(1), takenAt: isoTime }),
  migrateCustomers: z.object({ migratedCustomers: count }),
  restoreCustomersFromBackup: z.object({ restoredCustomers: count, backupId: z.string().min(1), backupTakenAt: isoTime }),
  shedLoad: z.object({ sheddingPercent: z.number().min(0).max(100) }),
  setCircuitBreakers: z.object({ cellIds: z.array(z.string()), state: breakerState }),
  validateDataIntegrity: z.object({ ok: z.boolean(), checkedCustomers: count, problems: z.array(z.string()) }),
  notify: z.object({ delivered: z.boolean() }),
};

/**
 * Application hooks that call the user's service over HTTP.
 *
 * Each hook is `POST ${baseUrl}/<hookName>` with the input as JSON and its `requestToken` as the
 * `Idempotency-Key` header (percent-encoded if it is not visible ASCII). Outcomes:
 * - 2xx with a valid result: the result.
 * - 409 whose body is a valid result: the result (the service already did it).
 * - 408, 429, 5xx, network errors and timeouts: retryable `HookUnavailable`, with `Retry-After`
 *   as the next retry delay.
 * - any other status (other 4xx, 409 without a result, 3xx: redirects are not followed):
 *   non-retryable `HookRejected`.
 * - a body that is not the hook's result: non-retryable `HookResponseInvalid`.
 *
 * Inside an activity the request also stops when the activity is cancelled (it then rejects with
 * the activity's `CancelledFailure`), and the activity heartbeats while it waits. Outside an
 * activity the hooks work the same, without those two.
 */
export function createWebhookHooks(options: WebhookHooksOptions): ApplicationHooks {
  const baseUrl = parseBaseUrl(options.baseUrl);
  const fetchFn = options.fetch ?? fetch;
  assertTimeout('timeoutMs', options.timeoutMs);
  for (const [hook, ms] of Object.entries(options.hookTimeoutsMs ?? {})) assertTimeout(`hookTimeoutsMs.${hook}`, ms);
  const timeoutFor = (hook: HookName): number => options.hookTimeoutsMs?.[hook] ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call<K extends HookName>(hook: K, input: HookInputOf<K>): Promise<HookResultOf<K>> {
    const url = `${baseUrl}/${hook}`;
    const timeoutMs = timeoutFor(hook);
    const activity = currentActivity();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = activity ? AbortSignal.any([timeout, activity.cancellationSignal]) : timeout;
    const stopHeartbeat = activity ? startHeartbeat(activity, hook) : () => undefined;
    try {
      let response: Response;
      let body: string;
      try {
        response = await fetchFn(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Idempotency-Key': headerSafe(input.requestToken),
            ...(options.authToken !== undefined ? { Authorization: `Bearer ${options.authToken}` } : {}),
          },
          body: JSON.stringify(input),
          signal,
          // A redirected POST may turn into a GET; a moved endpoint is a configuration error.
          redirect: 'manual',
        });
        body = await response.text();
      } catch (err) {
        if (activity?.cancellationSignal.aborted) throw cancellation(activity);
        if (timeout.aborted) {
          throw unavailable(hook, `POST ${url} did not answer within ${timeoutMs} ms`, { hook, url }, undefined, err);
        }
        throw unavailable(hook, `POST ${url} failed: ${describeNetworkError(err)}`, { hook, url }, undefined, err);
      }
      return interpret(hook, url, response, body);
    } finally {
      stopHeartbeat();
    }
  }

  return {
    checkDataAccessible: (input) => call('checkDataAccessible', input),
    backupCellData: (input) => call('backupCellData', input),
    migrateCustomers: (input) => call('migrateCustomers', input),
    restoreCustomersFromBackup: (input) => call('restoreCustomersFromBackup', input),
    shedLoad: (input) => call('shedLoad', input),
    setCircuitBreakers: (input) => call('setCircuitBreakers', input),
    validateDataIntegrity: (input) => call('validateDataIntegrity', input),
    notify: (input) => call('notify', input),
  };
}

function interpret<K extends HookName>(hook: K, url: string, response: Response, body: string): HookResultOf<K> {
  const { status } = response;
  const details = { hook, url, status, body: excerpt(body) };
  if (status >= 200 && status < 300) {
    const parsed = parseResult(hook, body);
    if (parsed.ok) return parsed.result;
    throw ApplicationFailure.create({
      type: HookErrorType.HookResponseInvalid,
      message: `hook ${hook}: invalid response from POST ${url} (HTTP ${status}): ${parsed.problem}`,
      nonRetryable: true,
      details: [{ ...details, problem: parsed.problem }],
    });
  }
  if (status === 409) {
    // Only a conflict that hands back the result means "already done"; any other conflict is a refusal.
    const parsed = parseResult(hook, body);
    if (parsed.ok) return parsed.result;
  }
  if (status === 408 || status === 429 || status >= 500) {
    const delay = retryAfterMs(response.headers.get('Retry-After'));
    throw unavailable(hook, `POST ${url} answered HTTP ${status}: ${excerpt(body, 200)}`, details, delay);
  }
  const what = status >= 300 && status < 400 ? `redirected to ${response.headers.get('Location') ?? '(no Location)'}` : excerpt(body, 200);
  throw ApplicationFailure.create({
    type: HookErrorType.HookRejected,
    message: `hook ${hook}: POST ${url} answered HTTP ${status}${status === 409 ? ' without a result' : ''}: ${what}`,
    nonRetryable: true,
    details: [details],
  });
}

function parseResult<K extends HookName>(hook: K, body: string): { ok: true; result: HookResultOf<K> } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: body.trim() === '' ? 'empty body, expected a JSON result' : `not JSON: ${excerpt(body, 100)}` };
  }
  const schema: z.ZodType<HookResultOf<K>> = resultSchemas[hook];
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, result: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)'}: ${issue.message}`);
  return { ok: false, problem: problems.join('; ') };
}

function unavailable(hook: HookName, what: string, details: object, nextRetryDelayMs?: number, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: HookErrorType.HookUnavailable,
    message: `hook ${hook}: ${what}`,
    nonRetryable: false,
    details: [details],
    nextRetryDelay: nextRetryDelayMs,
    cause: isError(cause) ? cause : undefined,
  });
}

/** The activity's own cancellation, so the worker reports the activity as cancelled. */
function cancellation(activity: Context): CancelledFailure {
  const reason: unknown = activity.cancellationSignal.reason;
  return reason instanceof CancelledFailure ? reason : new CancelledFailure('hook request cancelled with its activity');
}

/** The current activity's context, or undefined when called outside an activity. */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats now and then every half heartbeat timeout, so cancellation reaches a waiting hook. */
function startHeartbeat(activity: Context, hook: HookName): () => void {
  const started = Date.now();
  const beat = () => activity.heartbeat({ hook, waitingMs: Date.now() - started });
  const timeoutMs = activity.info.heartbeatTimeoutMs;
  const intervalMs = timeoutMs !== undefined && timeoutMs > 0 ? Math.min(timeoutMs / 2, DEFAULT_HEARTBEAT_INTERVAL_MS) : DEFAULT_HEARTBEAT_INTERVAL_MS;
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined if absent, past or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function parseBaseUrl(baseUrl: string): string {
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(`webhook hooks: baseUrl must be an http(s) URL, got "${baseUrl}"`);
  }
  // The URL ends up in failure messages and so in workflow histories: no secrets in it.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('webhook hooks: baseUrl must not carry credentials; use authToken');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`webhook hooks: baseUrl must not have a query or fragment, got "${baseUrl}"`);
  }
  return url.href.replace(/\/+$/, '');
}

function assertTimeout(name: string, ms: number | undefined): void {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
    throw new RangeError(`webhook hooks: ${name} must be a positive number of ms, got ${ms}`);
  }
}

/**
 * The token as a header value. Header values must be visible ASCII, while workflow ids (and so
 * tokens) may hold any character: such tokens are percent-encoded, which is still deterministic.
 */
function headerSafe(token: string): string {
  return /^[\x21-\x7e]+$/.test(token) ? token : encodeURIComponent(token);
}

function describeNetworkError(err: unknown): string {
  if (!isError(err)) return String(err);
  const cause: unknown = err.cause;
  const code = isError(cause) && 'code' in cause ? String(cause.code) : undefined;
  return code !== undefined ? `${err.message} (${code})` : err.message;
}

// fetch's errors may come from another realm (a vm context, jest), where `instanceof Error` is false.
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function excerpt(text: string, max = BODY_EXCERPT_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
