/**
 * The two shared-secret checks: the header secret an EventBridge API destination sends, and the
 * webhook's HMAC-SHA256 signature over `<timestamp>.<body>`. Both compare in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { GatewayError } from './answers';

/** Compares two strings in time that depends on neither (both are hashed to the same length first). */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The webhook signature header's value for `body` sent at `timestamp` (Unix seconds): `sha256=<hex>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}


/**
 * Checks a webhook request's timestamp (Unix seconds, within `toleranceSeconds` of now either way)
 * and its signature.
 * @throws GatewayError (401) saying which check failed, never echoing the secret or the signature.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  now: Date;
  toleranceSeconds: number;
}): void {
  const { timestamp, signature } = options;
  if (!timestamp) throw new GatewayError(401, 'missing-signature', 'missing x-cellops-timestamp header (Unix seconds)');
  if (!signature) throw new GatewayError(401, 'missing-signature', 'missing x-cellops-signature header (sha256=<hex HMAC of "<timestamp>.<body>">)');
  if (!/^\d{1,12}$/.test(timestamp)) throw new GatewayError(401, 'expired', 'x-cellops-timestamp must be Unix seconds');
  const skew = Math.abs(options.now.getTime() / 1000 - Number(timestamp));
  if (skew > options.toleranceSeconds) throw new GatewayError(401, 'expired', `timestamp expired: ${Math.round(skew)} s from now, more than ${options.toleranceSeconds} s`);
  if (!constantTimeEqual(signature, webhookSignature(options.secret, timestamp, options.body))) {
    throw new GatewayError(401, 'bad-signature', 'signature does not match the body');
  }
}

/**
 * Checks the EventBridge API destination's secret header.
 * @throws GatewayError (401) when it is missing or wrong.
 */
export function verifyHeaderSecret(headerName: string, given: string | undefined, secret: string): void {
  if (!given) throw new GatewayError(401, 'missing-signature', `missing ${headerName} header`);
  if (!constantTimeEqual(given, secret)) throw new GatewayError(401, 'bad-signature', `wrong ${headerName} header`);
}
