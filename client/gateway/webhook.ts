/**
 * `POST /alarms/webhook`: an alarm in the gateway's own JSON shape (see `alarm-formats.ts`),
 * signed `x-cellops-signature: sha256=<hex HMAC-SHA256 of "<x-cellops-timestamp>.<body>">`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { alarmFromWebhook } from './alarm-formats';
import { answerAlarm } from './alarm-pipeline';
import { alarmLogOf, sendAnswer, type GatewayContext } from './context';
import { verifyWebhookSignature } from './shared-secrets';

export interface WebhookOptions {
  /** The HMAC key shared with the sender. */
  secret: string;
  /** How far the timestamp may be from now, either way; default 300 s. */
  toleranceSeconds?: number;
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function registerWebhookSource(app: FastifyInstance, context: GatewayContext, options: WebhookOptions): void {
  // Before the body's shape is checked: an unsigned request learns nothing about it.
  const preValidation = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    try {
      verifyWebhookSignature({
        secret: options.secret,
        timestamp: single(request.headers['x-cellops-timestamp']),
        signature: single(request.headers['x-cellops-signature']),
        body: request.rawBody ?? '',
        now: context.pipeline.clock(),
        toleranceSeconds: options.toleranceSeconds ?? 300,
      });
      done();
    } catch (err) {
      done(err as Error);
    }
  };
  app.post('/alarms/webhook', { schema: { body: { type: 'object' } }, config: { alarmSource: 'webhook' }, preValidation }, async (request, reply) => {
    const alarm = alarmFromWebhook(request.body);
    const log = alarmLogOf(request);
    log.alarm = alarm.alarmName;
    return sendAnswer(request, reply, await answerAlarm(context.pipeline, context.gate, alarm, 'webhook', log));
  });
}
