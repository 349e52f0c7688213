/**
 * A simulated SNS topic for the fleet's alarms: it signs notifications as SNS does (RSA over the
 * documented string to sign, SignatureVersion 1 or 2) with a key pair and a self-signed
 * certificate of its own, published at the topic region's SNS certificate URL. A gateway that
 * is given {@link SimulatedSns.fetchCertificate} verifies them exactly as it verifies SNS's.
 */
import { createSign, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { AlarmView } from './fleet';

/** An SNS HTTP(S) delivery, as SNS posts it. */
export interface SignedSnsMessage {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const SHA256_WITH_RSA = sequence(Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));
const name = (commonName: string) => sequence(tlv(0x31, sequence(Buffer.from('0603550403', 'hex'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
const utcTime = (date: Date) => tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));

/**
 * A self-signed X.509 v3 certificate (PEM) for `publicKey`, valid from `notBefore` to `notAfter`
 * (node:crypto has no certificate builder, so its DER is written out here).
 */
export function selfSignedCertificate(options: { publicKey: KeyObject; privateKey: KeyObject; commonName: string; notBefore: Date; notAfter: Date }): string {
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([0x01, 0x23, 0x45, 0x67])),
    SHA256_WITH_RSA,
    name(options.commonName),
    sequence(utcTime(options.notBefore), utcTime(options.notAfter)),
    name(options.commonName),
    options.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, options.privateKey);
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The string SNS signs for a notification, in the order AWS's verification guide gives. */
function notificationStringToSign(message: Omit<SignedSnsMessage, 'Signature'>): string {
  const fields = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
  return fields
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}

/** The simulated topic. */
export interface SimulatedSns {
  topicArn: string;
  /** `https://sns.<region>.amazonaws.com/SimpleNotificationService-….pem` */
  certUrl: string;
  certificatePem: string;
  /** The certificate for its own URL; any other URL is refused (only this topic is simulated). */
  fetchCertificate(url: string): Promise<string>;
  /** CloudWatch's alarm message for `alarm`'s current state, signed and enveloped as SNS delivers it. */
  alarmNotification(alarm: AlarmView, options?: { previousState?: string; signatureVersion?: '1' | '2' }): SignedSnsMessage;
}

/**
 * A topic `arn:aws:sns:<region>:<account>:<topic>` whose notifications are stamped with `now()`
 * (the fleet's clock, so a gateway on the same clock finds them fresh).
 */
export function createSimulatedSns(options: { region: string; accountId?: string; topic?: string; now: () => number }): SimulatedSns {
  const { region } = options;
  const account = options.accountId ?? '123456789012';
  const topicArn = `arn:aws:sns:${region}:${account}:${options.topic ?? 'cellops-alarms'}`;
  const certUrl = `https://sns.${region}.amazonaws.com/SimpleNotificationService-cellops-simulated.pem`;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const start = options.now();
  const certificatePem = selfSignedCertificate({
    publicKey,
    privateKey,
    commonName: 'sns.amazonaws.com',
    notBefore: new Date(start - 86_400_000),
    notAfter: new Date(start + 365 * 86_400_000),
  });

  return {
    topicArn,
    certUrl,
    certificatePem,
    fetchCertificate: (url) => (url === certUrl ? Promise.resolve(certificatePem) : Promise.reject(new Error(`the simulated SNS serves only ${certUrl}`))),
    alarmNotification(alarm, o = {}) {
      const stateChange = new Date(Date.parse(alarm.updatedAt)).toISOString().replace('Z', '+0000');
      const message = JSON.stringify({
        AlarmName: alarm.name,
        AlarmDescription: null,
        AWSAccountId: account,
        NewStateValue: alarm.state,
        NewStateReason: alarm.reason,
        StateChangeTime: stateChange,
        AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${alarm.name}`,
        OldStateValue: o.previousState ?? 'OK',
        AlarmActions: [topicArn],
      });
      const unsigned: Omit<SignedSnsMessage, 'Signature'> = {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        Subject: `ALARM: "${alarm.name}" in ${region}`,
        Message: message,
        Timestamp: new Date(options.now()).toISOString(),
        SignatureVersion: o.signatureVersion ?? '2',
        SigningCertURL: certUrl,
        UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:simulated`,
      };
      const signer = createSign(unsigned.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
      signer.update(notificationStringToSign(unsigned), 'utf8');
      return { ...unsigned, Signature: signer.sign(privateKey, 'base64') };
    },
  };
}
