/**
 * The console's settings, read from the environment once at start (failing fast):
 * - `CELLOPS_CONSOLE`: `on` (default) or `off`;
 * - `CELLOPS_CONSOLE_OPEN_READ`: who may read without an identity, `loopback` (default), `anyone`, `nobody`;
 * - `CELLOPS_CONSOLE_TRUSTED_PROXIES`: comma-separated addresses of the authenticating proxies whose
 *   identity header is believed (default none);
 * - `CELLOPS_CONSOLE_IDENTITY_HEADERS`: the headers they set, first present wins
 *   (default `X-Auth-Request-User,X-Forwarded-User`);
 * - `CELLOPS_CONSOLE_TOKENS`: comma-separated `identity=token` pairs for bearer tokens (16+ characters);
 * - `CELLOPS_CONSOLE_ALLOWED_ORIGINS`: comma-separated origins allowed to post besides the console's own
 *   (the public URL of the proxy, e.g. `https://cellops.example.com`);
 * - `CELLOPS_CONSOLE_CSRF_SECRET`: the form-token key, the same on every replica behind one proxy
 *   (default a random key per process).
 */
import type { ConsoleAccessOptions } from './access';

export interface ConsoleConfig {
  enabled: boolean;
  access: ConsoleAccessOptions;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);

/** @throws Error naming the variable whose value is wrong. */
export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const enabled = env.CELLOPS_CONSOLE ?? 'on';
  if (enabled !== 'on' && enabled !== 'off') throw new Error(`CELLOPS_CONSOLE must be on or off, got "${enabled}"`);
  const openRead = env.CELLOPS_CONSOLE_OPEN_READ || 'loopback';
  if (openRead !== 'loopback' && openRead !== 'anyone' && openRead !== 'nobody') {
    throw new Error(`CELLOPS_CONSOLE_OPEN_READ must be loopback, anyone or nobody, got "${openRead}"`);
  }
  const tokens: Record<string, string> = {};
  for (const pair of list(env.CELLOPS_CONSOLE_TOKENS)) {
    const eq = pair.indexOf('=');
    const identity = pair.slice(0, eq).trim();
    const token = pair.slice(eq + 1).trim();
    if (eq <= 0 || !identity || token.length < 16) throw new Error('CELLOPS_CONSOLE_TOKENS must be identity=token pairs, each token at least 16 characters');
    if (tokens[token] !== undefined) throw new Error('CELLOPS_CONSOLE_TOKENS gives one token to two identities');
    tokens[token] = identity;
  }
  for (const origin of list(env.CELLOPS_CONSOLE_ALLOWED_ORIGINS)) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) throw new Error(`CELLOPS_CONSOLE_ALLOWED_ORIGINS: "${origin}" is not an origin such as https://cellops.example.com`);
  }
  const secret = env.CELLOPS_CONSOLE_CSRF_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < 16) throw new Error('CELLOPS_CONSOLE_CSRF_SECRET must be at least 16 characters');
  const headers = list(env.CELLOPS_CONSOLE_IDENTITY_HEADERS);
  return {
    enabled: enabled === 'on',
    access: {
      openRead,
      trustedProxies: list(env.CELLOPS_CONSOLE_TRUSTED_PROXIES),
      ...(headers.length ? { identityHeaders: headers } : {}),
      tokens,
      allowedOrigins: list(env.CELLOPS_CONSOLE_ALLOWED_ORIGINS),
      ...(secret ? { csrfSecret: secret } : {}),
    },
  };
}
