/**
 * The alarm gateway as a Fastify app: `buildGateway(deps)` registers the alarm sources, health,
 * readiness and metrics, and returns the instance without listening, so tests use `inject()` and
 * other parts (the operator console) register their own plugins on the same instance.
 */
import type { Client } from '@temporalio/client';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { GatewayContext } from './context';
import pino from 'pino';
import type { Registry } from '../../domain/registry/schema';
import { startProcedure, startRouterFailover } from '../start-procedure';
import { GatewayError, type GatewayErrorCode } from './answers';
import { StartGate } from './alarm-pipeline';
import { registerEventBridgeSource, type EventBridgeOptions } from './eventbridge';
import { createGatewayMetrics } from './metrics';
import { registerSnsSource, type SnsSourceOptions } from './sns';
import { registerWebhookSource, type WebhookOptions } from './webhook';

/** Everything the gateway uses, passed in: it creates no Temporal or AWS client of its own. */
export interface GatewayDeps {
  /** A connected Temporal client on `namespace`. */
  client: Client;
  namespace: string;
  /** The fleet and its policies (cooldowns come from `policies.cooldowns`). */
  registry: Registry;
  /** The Temporal Web UI for links in answers; default http://localhost:8233. */
  webUiBaseUrl?: string;
  /** A pino logger; default pino at `info` on stdout. */
  logger?: FastifyBaseLogger;
  /** Now; default the system clock. Cooldowns compare it with Temporal's close times. */
  clock?: () => Date;
  /** SNS HTTP(S) subscription at `POST /alarms/sns`; on by default, `false` to turn it off. */
  sns?: SnsSourceOptions | false;
  /** EventBridge API destination at `POST /alarms/eventbridge`; only when a secret is given. */
  eventBridge?: EventBridgeOptions;
  /** Signed JSON webhook at `POST /alarms/webhook`; only when a secret is given. */
  webhook?: WebhookOptions;
  /** Largest body accepted, bytes; default 128 KiB (CloudWatch's alarm messages are a few KiB). */
  bodyLimitBytes?: number;
  /** Task queue of the procedures; default the cellops one. */
  taskQueue?: string;
  /** How procedures are started; default {@link startProcedure}. */
  startProcedure?: typeof startProcedure;
  /** How router failover is started; default {@link startRouterFailover}. */
  startRouterFailover?: typeof startRouterFailover;
}

const DEFAULT_BODY_LIMIT = 128 * 1024;

/** The HTTP status, code and message for any error a route or Fastify raised. */
function httpError(error: FastifyError | Error): { status: number; code: GatewayErrorCode; message: string } {
  if (error instanceof GatewayError) return { status: error.status, code: error.code, message: error.message };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return { status: 400, code: 'invalid-body', message: `invalid ${fastifyError.validationContext ?? 'request'}: ${fastifyError.message}` };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported-media-type', message: 'expected Content-Type application/json (or text/plain, as SNS sends)' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload-too-large', message: 'body larger than the gateway accepts' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'malformed-json', message: 'empty body: expected JSON' };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, code: 'invalid-body', message: fastifyError.message };
  if (isTemporalUnavailable(error)) return { status: 503, code: 'temporal-unavailable', message: 'Temporal is not reachable; try again' };
  return { status: 500, code: 'internal', message: 'internal error' };
}

function isTemporalUnavailable(error: Error): boolean {
  // gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), as the client's ServiceError carries them.
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  return error.name === 'ServiceError' || code === 14 || code === 4;
}

/**
 * Builds the gateway (not listening, not yet ready: register more plugins, then `listen` or `inject`).
 */
export function buildGateway(deps: GatewayDeps): FastifyInstance {
  const bodyLimitBytes = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    loggerInstance: deps.logger ?? pino({ level: 'info' }),
    // One line per alarm request is written by the alarm routes' own hook, with what was decided.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
  }) as unknown as FastifyInstance;

  const context: GatewayContext = {
    pipeline: {
      client: deps.client,
      namespace: deps.namespace,
      registry: deps.registry,
      webUiBaseUrl: deps.webUiBaseUrl ?? 'http://localhost:8233',
      clock: deps.clock ?? (() => new Date()),
      taskQueue: deps.taskQueue,
      startProcedure: deps.startProcedure ?? startProcedure,
      startRouterFailover: deps.startRouterFailover ?? startRouterFailover,
    },
    gate: new StartGate(),
    metrics: createGatewayMetrics(),
    bodyLimitBytes,
  };
  app.decorate('cellops', context);
  app.decorateRequest('rawBody', null);
  app.decorateRequest('alarmLog', null);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, code, message } = httpError(error);
    if (request.alarmLog) request.alarmLog.outcome = code;
    if (status >= 500) request.log.error({ err: error, code }, 'request failed');
    return reply.status(status).send({ error: code, message });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: 'not-found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.client.connection.withDeadline(Date.now() + 2000, () => deps.client.workflowService.describeNamespace({ namespace: deps.namespace }));
      return { status: 'ready', namespace: deps.namespace };
    } catch (err) {
      return reply.status(503).send({ status: 'unavailable', message: `Temporal namespace ${deps.namespace} not reachable: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  app.get('/metrics', async (_request, reply) => reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics()));

  void app.register((alarms, _options, done) => {
    // Alarm bodies are parsed here, keeping the raw text for signatures; plugins registered
    // elsewhere on the app keep Fastify's own parsers.
    alarms.removeAllContentTypeParsers();
    alarms.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (request, body, done) => {
      request.rawBody = body as string;
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new GatewayError(400, 'malformed-json', 'body is not valid JSON'), undefined);
      }
    });
    alarms.addHook('onRequest', (request, _reply, done) => {
      request.alarmLog = { source: request.routeOptions.config.alarmSource ?? 'unknown', alarm: '' };
      done();
    });
    alarms.addHook('onResponse', (request, reply, done) => {
      const fields = request.alarmLog;
      if (fields) {
        const outcome = fields.outcome ?? `http-${reply.statusCode}`;
        const latencyMs = Math.round(reply.elapsedTime * 100) / 100;
        context.metrics.requests.inc({ source: fields.source, outcome });
        context.metrics.decisionSeconds.observe({ source: fields.source, outcome }, reply.elapsedTime / 1000);
        request.log.info({ ...fields, outcome, statusCode: reply.statusCode, latencyMs }, 'alarm request');
      }
      done();
    });
    if (deps.sns !== false) registerSnsSource(alarms, context, deps.sns ?? {});
    if (deps.eventBridge) registerEventBridgeSource(alarms, context, deps.eventBridge);
    if (deps.webhook) registerWebhookSource(alarms, context, deps.webhook);
    done();
  });
  return app;
}
