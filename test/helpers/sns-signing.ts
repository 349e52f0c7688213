/**
 * @module Signing SNS messages the way SNS does, with a key pair and a self-signed certificate
 * (built by the simulator's SNS, `simulator/sns.ts`).
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { selfSignedCertificate } from '../../simulator/sns';
import { stringToSign, type SnsMessage } from '../../client/gateway/sns-signature';

export { selfSignedCertificate };

/** A test "SNS": its key, its certificate, and a signer of messages. */
export interface TestSns {
  certificatePem: string;
  region: string;
  topicArn: string;
  certUrl: string;
  /** Certificates fetched, by URL (the verifier's fetcher counts here). */
  fetched: string[];
  fetchCertificate(url: string): Promise<string>;
  /** A signed notification carrying `message` (a CloudWatch alarm JSON string). */
  notification(message: string, options?: { version?: '1' | '2'; timestamp?: Date; subject?: string; messageId?: string }): SnsMessage;
  /** A signed subscription confirmation. */
  subscriptionConfirmation(options?: { subscribeUrl?: string; timestamp?: Date }): SnsMessage;
  /** Signs (or re-signs) `message` as it stands. */
  sign(message: Omit<SnsMessage, 'Signature'>): SnsMessage;
}

let sequenceNumber = 0;

export function createTestSns(options: { region?: string; account?: string; topic?: string; now?: () => Date } = {}): TestSns {
  const region = options.region ?? 'eu-west-1';
  const topicArn = `arn:aws:sns:${region}:${options.account ?? '123456789012'}:${options.topic ?? 'cellops-alarms'}`;
  const certUrl = `https://sns.${region}.amazonaws.com/SimpleNotificationService-test.pem`;
  const now = options.now ?? (() => new Date());
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const start = now();
  const certificatePem = selfSignedCertificate({
    publicKey,
    privateKey,
    commonName: 'sns.amazonaws.com',
    notBefore: new Date(start.getTime() - 86_400_000),
    notAfter: new Date(start.getTime() + 365 * 86_400_000),
  });
  const fetched: string[] = [];

  const signMessage = (message: Omit<SnsMessage, 'Signature'>): SnsMessage => {
    const signer = createSign(message.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
    signer.update(stringToSign({ ...message, Signature: '' }), 'utf8');
    return { ...message, Signature: signer.sign(privateKey, 'base64') };
  };

  return {
    certificatePem,
    region,
    topicArn,
    certUrl,
    fetched,
    fetchCertificate(url) {
      fetched.push(url);
      return Promise.resolve(certificatePem);
    },
    notification(message, o = {}) {
      return signMessage({
        Type: 'Notification',
        MessageId: o.messageId ?? `00000000-0000-4000-8000-${String(++sequenceNumber).padStart(12, '0')}`,
        TopicArn: topicArn,
        ...(o.subject === undefined ? {} : { Subject: o.subject }),
        Message: message,
        Timestamp: (o.timestamp ?? now()).toISOString(),
        SignatureVersion: o.version ?? '1',
        SigningCertURL: certUrl,
        UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:sub`,
      });
    },
    subscriptionConfirmation(o = {}) {
      return signMessage({
        Type: 'SubscriptionConfirmation',
        MessageId: `00000000-0000-4000-9000-${String(++sequenceNumber).padStart(12, '0')}`,
        Token: 'token-2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
        TopicArn: topicArn,
        Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
        SubscribeURL: o.subscribeUrl ?? `https://sns.${region}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=token`,
        Timestamp: (o.timestamp ?? now()).toISOString(),
        SignatureVersion: '2',
        SigningCertURL: certUrl,
      });
    },
    sign: signMessage,
  };
}

/** CloudWatch's alarm message (the JSON SNS carries in `Message`), as CloudWatch writes it. */
export function cloudWatchAlarmMessage(alarmName: string, options: { state?: string; oldState?: string; metricName?: string; dimensions?: Record<string, string>; region?: string } = {}): string {
  const region = options.region ?? 'eu-west-1';
  return JSON.stringify({
    AlarmName: alarmName,
    AlarmDescription: null,
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-01-05T09:00:00.000+0000',
    NewStateValue: options.state ?? 'ALARM',
    NewStateReason: 'Threshold Crossed: 1 out of the last 1 datapoints [42.0 (02/12/26 14:00:00)] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).',
    StateChangeTime: '2026-12-02T14:01:00.000+0000',
    Region: 'EU (Ireland)',
    AlarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:${alarmName}`,
    OldStateValue: options.oldState ?? 'OK',
    OKActions: [],
    AlarmActions: [`arn:aws:sns:${region}:123456789012:cellops-alarms`],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: options.metricName ?? 'ErrorCount',
      Namespace: 'Shop/Cells',
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: Object.entries(options.dimensions ?? {}).map(([n, value]) => ({ value, name: n })),
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5.0,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  });
}
