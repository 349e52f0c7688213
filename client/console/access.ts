/**
 * Who may do what on the console. Reading is open to loopback clients by default (the embedded
 * default, a browser on the same machine); every change needs an identity, taken from
 * - a header set by an authenticating proxy in front of the console (oauth2-proxy's
 *   `X-Auth-Request-User`, `X-Forwarded-User`, ...), believed only when the connection comes
 *   from one of the configured proxy addresses, or
 * - a bearer token from the configuration, mapped to the identity it stands for.
 * Form posts are also checked against cross-site requests (`Sec-Fetch-Site`, `Origin`) and carry
 * a token bound to a cookie nonce and the identity (a signed double-submit cookie).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The console's access settings (see the README, "The operator console"). */
export interface ConsoleAccessOptions {
  /** Addresses of the authenticating proxies whose identity headers are believed (exact IPs). Default none. */
  trustedProxies?: readonly string[];
  /** The headers such a proxy sets, first present wins. Default `x-auth-request-user`, `x-forwarded-user`. */
  identityHeaders?: readonly string[];
  /** Bearer tokens and the identity each stands for. */
  tokens?: Readonly<Record<string, string>>;
  /** Who may read without an identity: `loopback` clients (default), `anyone`, or `nobody`. */
  openRead?: 'loopback' | 'anyone' | 'nobody';
  /** Origins allowed to post besides the console's own (the public URL of a proxy in front of it). */
  allowedOrigins?: readonly string[];
  /** Key for the form tokens; default a random key per process (tokens then last as long as it). */
  csrfSecret?: string;
}

/** An authenticated person (or script) and how they were recognised. */
export interface Identity {
  name: string;
  via: 'proxy' | 'token';
}

/** A refusal, with the HTTP status it is answered with. */
export class AccessRefused extends Error {
  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AccessRefused';
  }
}

export const CSRF_COOKIE = 'cellops_console_csrf';
export const CSRF_FIELD = '_csrf';
const DEFAULT_IDENTITY_HEADERS = ['x-auth-request-user', 'x-forwarded-user'];
const IDENTITY_PATTERN = /^[^\s\p{Cc}][^\p{Cc}]{0,199}$/u;

/** The access rules of one console, built once from its options. */
export class ConsoleAccess {
  private readonly proxies: Set<string>;
  private readonly headers: string[];
  private readonly tokens: { digest: Buffer; identity: string }[];
  private readonly secret: Buffer;

  constructor(private readonly options: ConsoleAccessOptions = {}) {
    this.proxies = new Set((options.trustedProxies ?? []).map(normaliseAddress));
    this.headers = (options.identityHeaders ?? DEFAULT_IDENTITY_HEADERS).map((h) => h.toLowerCase());
    this.tokens = Object.entries(options.tokens ?? {}).map(([token, identity]) => {
      if (token.length < 16) throw new Error(`console token for ${identity} is too short: use at least 16 characters`);
      return { digest: sha256(token), identity };
    });
    this.secret = options.csrfSecret ? Buffer.from(options.csrfSecret) : randomBytes(32);
  }

  /** The identity of the request, if it carries one the console believes. */
  identify(request: FastifyRequest): Identity | undefined {
    const peer = normaliseAddress(request.socket.remoteAddress ?? '');
    if (this.proxies.has(peer)) {
      for (const header of this.headers) {
        const value = firstHeader(request.headers[header])?.trim();
        if (value && IDENTITY_PATTERN.test(value)) return { name: value, via: 'proxy' };
      }
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(firstHeader(request.headers.authorization) ?? '')?.[1];
    if (bearer) {
      const digest = sha256(bearer);
      const match = this.tokens.find((t) => timingSafeEqual(t.digest, digest));
      if (match) return { name: match.identity, via: 'token' };
    }
    return undefined;
  }

  /** Throws {@link AccessRefused} unless the request may read. */
  checkRead(request: FastifyRequest): void {
    const open = this.options.openRead ?? 'loopback';
    if (open === 'anyone') return;
    if (open === 'loopback' && isLoopback(request.socket.remoteAddress ?? '')) return;
    if (this.identify(request)) return;
    throw new AccessRefused(401, 'reading the console needs an identity here: sign in through the proxy or send a bearer token');
  }

  /**
   * Checks a change (a form post or API call): not cross-site, an identity, and for a browser
   * (anything but a bearer token, which a browser never sends by itself) the form token.
   * Returns the identity that becomes the approver.
   */
  checkChange(request: FastifyRequest, formToken: string | undefined): Identity {
    this.checkSameOrigin(request);
    const identity = this.identify(request);
    if (!identity) throw new AccessRefused(401, 'changes need an identity: sign in through the proxy or send a bearer token');
    if (identity.via !== 'token') {
      const nonce = readCookie(request, CSRF_COOKIE);
      if (!nonce || !formToken || !safeEqual(formToken, this.formToken(nonce, identity))) {
        throw new AccessRefused(403, 'the form is stale or was not sent by the console: reload the page and try again');
      }
    }
    return identity;
  }

  /** The form token for this browser (its cookie nonce, set here when missing) and identity. */
  issueFormToken(request: FastifyRequest, reply: FastifyReply, identity: Identity | undefined): string | undefined {
    if (!identity) return undefined;
    let nonce = readCookie(request, CSRF_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url');
      void reply.header('set-cookie', `${CSRF_COOKIE}=${nonce}; Path=/; HttpOnly; SameSite=Strict`);
    }
    return this.formToken(nonce, identity);
  }

  private formToken(nonce: string, identity: Identity): string {
    return createHmac('sha256', this.secret).update(`${nonce}\n${identity.via}\n${identity.name}`).digest('base64url');
  }

  private checkSameOrigin(request: FastifyRequest): void {
    const site = firstHeader(request.headers['sec-fetch-site']);
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new AccessRefused(403, `cross-site request refused (${site})`);
    }
    const origin = firstHeader(request.headers.origin);
    if (origin === undefined) return;
    if ((this.options.allowedOrigins ?? []).includes(origin)) return;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (!host || host !== request.headers.host) throw new AccessRefused(403, `cross-site request refused (origin ${origin})`);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function isLoopback(address: string): boolean {
  const a = normaliseAddress(address);
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

/** One cookie's value from the request's Cookie header. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
