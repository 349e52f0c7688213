/**
 * `POST /alarms/sns`: an SNS HTTP(S) subscription. Every message's signature is verified first;
 * a subscription confirmation is then confirmed by fetching its SubscribeURL (only on the SNS
 * host of the topic's region), and a notification carries a CloudWatch alarm message.
 */
import type { FastifyInstance } from 'fastify';
import { alarmFromSnsMessage } from './alarm-formats';
import { answerAlarm } from './alarm-pipeline';
import { GatewayError } from './answers';
import { alarmLogOf, sendAnswer, type GatewayContext } from './context';
import { isSnsUrlOfRegion, SnsVerifier, topicRegion, type SnsMessage, type SnsVerifierOptions } from './sns-signature';

export interface SnsSourceOptions extends SnsVerifierOptions {
  /** Confirms a subscription by fetching its (already checked) SubscribeURL; default an HTTPS GET. */
  confirmSubscription?: (subscribeUrl: string) => Promise<void>;
}

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

const snsEnvelope = {
  type: 'object',
  required: ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'],
  properties: {
    Type: { type: 'string', enum: ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] },
    MessageId: text(128),
    TopicArn: text(512),
    Subject: text(512),
    Message: text(262144),
    Timestamp: text(64),
    SignatureVersion: { type: 'string', enum: ['1', '2'] },
    // Strict base64: Node's decoder skips stray characters, so a loose check would accept altered signatures.
    Signature: { type: 'string', maxLength: 4096, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
    SigningCertURL: text(1024),
    SubscribeURL: text(2048),
    UnsubscribeURL: text(2048),
    Token: text(2048),
  },
} as const;

async function confirmOverHttps(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

export function registerSnsSource(app: FastifyInstance, context: GatewayContext, options: SnsSourceOptions): void {
  const verifier = new SnsVerifier({ ...options, clock: options.clock ?? context.pipeline.clock });
  const confirm = options.confirmSubscription ?? confirmOverHttps;

  app.post('/alarms/sns', { schema: { body: snsEnvelope }, config: { alarmSource: 'sns' } }, async (request, reply) => {
    const message = request.body as SnsMessage;
    const log = alarmLogOf(request);
    const declared = request.headers['x-amz-sns-message-type'];
    if (declared !== undefined && declared !== message.Type) {
      throw new GatewayError(400, 'invalid-body', `x-amz-sns-message-type says ${String(declared)} but the body is a ${message.Type}`);
    }
    await verifier.verify(message);

    if (message.Type === 'SubscriptionConfirmation') {
      const region = topicRegion(message.TopicArn) ?? '';
      if (!message.SubscribeURL || !isSnsUrlOfRegion(message.SubscribeURL, region)) {
        throw new GatewayError(400, 'invalid-body', `SubscribeURL must be https://sns.${region}.amazonaws.com/… (the topic's region)`);
      }
      try {
        await confirm(message.SubscribeURL);
      } catch (err) {
        throw new GatewayError(502, 'certificate-unavailable', `confirming the subscription to ${message.TopicArn} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      request.log.info({ topicArn: message.TopicArn }, 'SNS subscription confirmed');
      return sendAnswer(request, reply, { outcome: 'subscription-confirmed', topicArn: message.TopicArn });
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      return sendAnswer(request, reply, { outcome: 'unsubscribe-acknowledged', topicArn: message.TopicArn });
    }
    const alarm = alarmFromSnsMessage(message.Message);
    log.alarm = alarm.alarmName;
    return sendAnswer(request, reply, await answerAlarm(context.pipeline, context.gate, alarm, 'sns', log));
  });
}
