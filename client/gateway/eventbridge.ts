/**
 * `POST /alarms/eventbridge`: EventBridge "CloudWatch Alarm State Change" events delivered by an
 * API destination whose connection sends a secret header (API key authorization).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { alarmFromEventBridge } from './alarm-formats';
import { answerAlarm } from './alarm-pipeline';
import { alarmLogOf, sendAnswer, type GatewayContext } from './context';
import { verifyHeaderSecret } from './shared-secrets';

export interface EventBridgeOptions {
  /** The API key the connection sends. */
  secret: string;
  /** The header it is sent in; default `x-cellops-api-key`. */
  headerName?: string;
}

export function registerEventBridgeSource(app: FastifyInstance, context: GatewayContext, options: EventBridgeOptions): void {
  const headerName = (options.headerName ?? 'x-cellops-api-key').toLowerCase();
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    // Before the body is even read.
    const given = request.headers[headerName];
    try {
      verifyHeaderSecret(headerName, Array.isArray(given) ? given[0] : given, options.secret);
      done();
    } catch (err) {
      done(err as Error);
    }
  };
  app.post('/alarms/eventbridge', { schema: { body: { type: 'object' } }, config: { alarmSource: 'eventbridge' }, onRequest }, async (request, reply) => {
    const alarm = alarmFromEventBridge(request.body);
    const log = alarmLogOf(request);
    log.alarm = alarm.alarmName;
    return sendAnswer(request, reply, await answerAlarm(context.pipeline, context.gate, alarm, 'eventbridge', log));
  });
}
