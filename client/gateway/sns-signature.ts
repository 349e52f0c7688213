/**
 * Verifying Amazon SNS messages as AWS's "Verifying the signatures of Amazon SNS messages" guide
 * says: the signing certificate is fetched only over HTTPS from the SNS host of the topic's region,
 * the string to sign is built from the message's fields in the documented order, the signature is
 * RSA with SHA1 (SignatureVersion 1) or SHA256 (SignatureVersion 2), and old messages are refused.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { GatewayError } from './answers';

/** An SNS HTTP(S) delivery body, as SNS posts it. */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  /** Subscription confirmations only. */
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
}


export interface SnsVerifierOptions {
  /**
   * Fetches a signing certificate (PEM) from an already checked URL; default: HTTPS GET. Tests inject
   * their own. A {@link GatewayError} it throws is the answer; any other error answers 502.
   */
  fetchCertificate?: (url: string) => Promise<string>;
  /** How old a message may be; default one hour (SNS retries a delivery for up to an hour with a custom policy). */
  maxAgeSeconds?: number;
  /** Topics accepted; default any topic (the signature still has to be SNS's). */
  topicArns?: readonly string[];
  /** Now; default the system clock. */
  clock?: () => Date;
}

const FUTURE_SKEW_MS = 5 * 60_000;
const CERTIFICATE_CACHE_LIMIT = 64;
const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** The region in an SNS topic ARN (`arn:aws:sns:eu-west-1:123456789012:alarms`), or undefined. */
export function topicRegion(topicArn: string): string | undefined {
  const match = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:[A-Za-z0-9_.-]{1,256}$/.exec(topicArn);
  return match?.[1];
}

/** Whether `url` is HTTPS on the SNS host of `region` (sns.<region>.amazonaws.com, or .amazonaws.com.cn in China). */
export function isSnsUrlOfRegion(url: string, region: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return false;
  const host = parsed.hostname.toLowerCase();
  return host === `sns.${region}.amazonaws.com` || host === `sns.${region}.amazonaws.com.cn`;
}

/** The string SNS signs for `message`, in the guide's field order. */
export function stringToSign(message: SnsMessage): string {
  const fields: (keyof SnsMessage)[] =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}

async function fetchCertificateOverHttps(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  // No certificate there: the message cannot be SNS's. A server error may pass: SNS retries on a 5xx.
  if (response.status >= 400 && response.status < 500) throw new GatewayError(403, 'bad-signature', `no signing certificate at ${url} (HTTP ${response.status})`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_CERTIFICATE_BYTES) throw new Error('certificate too large');
  return text;
}

/** Verifies SNS messages; one per gateway, so its certificate cache is shared by every request. */
export class SnsVerifier {
  private readonly certificates = new Map<string, Promise<X509Certificate>>();
  private readonly fetchCertificate: (url: string) => Promise<string>;
  private readonly maxAgeMs: number;
  private readonly clock: () => Date;

  constructor(private readonly options: SnsVerifierOptions = {}) {
    this.fetchCertificate = options.fetchCertificate ?? fetchCertificateOverHttps;
    this.maxAgeMs = (options.maxAgeSeconds ?? 3600) * 1000;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Resolves when `message` is a genuine, current SNS message of an accepted topic.
   * @throws GatewayError saying what is wrong (never echoing the signature): 400 not an SNS message, 401 stale, 403 not SNS's signature, 502 certificate unreachable.
   */
  async verify(message: SnsMessage): Promise<void> {
    const region = topicRegion(message.TopicArn);
    if (!region) throw new GatewayError(400, 'invalid-body', `TopicArn "${message.TopicArn}" is not an SNS topic ARN`);
    if (this.options.topicArns && !this.options.topicArns.includes(message.TopicArn)) {
      throw new GatewayError(403, 'forbidden', `topic ${message.TopicArn} is not one this gateway accepts`);
    }
    if (!isSnsUrlOfRegion(message.SigningCertURL, region)) {
      throw new GatewayError(403, 'bad-signature', `SigningCertURL must be https://sns.${region}.amazonaws.com/… (the topic's region)`);
    }
    const sentAt = Date.parse(message.Timestamp);
    if (Number.isNaN(sentAt)) throw new GatewayError(400, 'invalid-body', `Timestamp "${message.Timestamp}" is not a date`);
    const now = this.clock().getTime();
    if (now - sentAt > this.maxAgeMs) throw new GatewayError(401, 'expired', `message is stale: sent ${message.Timestamp}, more than ${this.maxAgeMs / 1000} s ago`);
    if (sentAt - now > FUTURE_SKEW_MS) throw new GatewayError(401, 'expired', `message is dated in the future: ${message.Timestamp}`);

    const certificate = await this.certificate(message.SigningCertURL);
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      throw new GatewayError(403, 'bad-signature', 'the signing certificate is not valid now');
    }
    // Only canonical base64: Node's decoder forgives missing padding and stray characters.
    if (Buffer.from(message.Signature, 'base64').toString('base64') !== message.Signature) {
      throw new GatewayError(403, 'bad-signature', 'Signature is not canonical base64');
    }
    const verifier = createVerify(message.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
    verifier.update(stringToSign(message), 'utf8');
    let valid: boolean;
    try {
      valid = verifier.verify(certificate.publicKey, message.Signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new GatewayError(403, 'bad-signature', 'signature does not match the message');
  }

  private certificate(url: string): Promise<X509Certificate> {
    const cached = this.certificates.get(url);
    if (cached) return cached;
    const loading = this.fetchCertificate(url)
      .catch((err: unknown) => {
        if (err instanceof GatewayError) throw err;
        throw new GatewayError(502, 'certificate-unavailable', `signing certificate could not be fetched from ${url}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .then((pem) => {
        try {
          return new X509Certificate(pem);
        } catch {
          throw new GatewayError(502, 'certificate-unavailable', `signing certificate from ${url} is not a PEM certificate`);
        }
      });
    // A failed fetch is not cached: the next message tries again.
    loading.catch(() => this.certificates.delete(url));
    if (this.certificates.size >= CERTIFICATE_CACHE_LIMIT) this.certificates.delete(this.certificates.keys().next().value as string);
    this.certificates.set(url, loading);
    return loading;
  }
}
