/**
 * What the gateway's routes share, and the helpers every alarm source uses for its answer and
 * its log line.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AlarmLogFields, AlarmPipelineDeps, StartGate } from './alarm-pipeline';
import type { GatewayAnswer } from './answers';
import type { GatewayMetrics } from './metrics';

/** What the gateway's routes share, also available to plugins registered on the app as `app.cellops`. */
export interface GatewayContext {
  pipeline: AlarmPipelineDeps;
  gate: StartGate;
  metrics: GatewayMetrics;
  bodyLimitBytes: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    cellops: GatewayContext;
  }
  interface FastifyContextConfig {
    /** The alarm source a route serves (`sns`, `eventbridge`, `webhook`), for logs and metrics. */
    alarmSource?: string;
  }
  interface FastifyRequest {
    /** The body as received, for signatures. */
    rawBody: string | null;
    /** Set by an alarm route: what its log line and metrics record. */
    alarmLog: (AlarmLogFields & { source: string; outcome?: string }) | null;
  }
}

/** Sends an alarm route's answer: 202 when a procedure started, 200 otherwise. */
export function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: GatewayAnswer): FastifyReply {
  if (request.alarmLog) request.alarmLog.outcome = answer.outcome;
  return reply.status(answer.outcome === 'started' ? 202 : 200).send(answer);
}

/** The log fields of an alarm request (set for every route of the alarm plugin). */
export function alarmLogOf(request: FastifyRequest): AlarmLogFields & { source: string; outcome?: string } {
  request.alarmLog ??= { source: 'unknown', alarm: '' };
  return request.alarmLog;
}
