import * as grpc from '@grpc/grpc-js';
import { google } from '@temporalio/proto';
import { SystemClock, type Clock } from './clock';
import { dynamicConfigDurationMs, dynamicConfigNumber, type DevServerConfig } from './config';
import { Engine, type CallContext } from './engine/engine';
import { ServiceError, unimplemented } from './engine/errors';
import { openEnginePersistence, type EnginePersistence } from './engine/persist';
import type { Logger } from './log';
import { handlersByService, type Handler } from './rpc/handlers';
import { limitsFromConfig, withLimits } from './rpc/limits';
import { reflectedServices } from './rpc/services';
import { testServiceHandlers } from './rpc/test-service';
import { TimeSkipping, VirtualClock } from './time-skipping';

/** A running dev server. */
export interface RunningDevServer {
  engine: Engine;
  /** The time-skipping controller (time-skipping mode only). */
  timeSkipping?: TimeSkipping;
  /** The write-ahead log with `--db-filename`. */
  persistence?: EnginePersistence;
  /** The port actually bound (useful with `--port 0`). */
  port: number;
  /** Every `host:port` the server listens on. */
  addresses: string[];
  /** Stops accepting calls and ends open ones. */
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/**
 * The SDK's core compresses every request with gzip, and grpc-js inflates each one through an
 * async zlib stream: over a third of the server's CPU under load. Core falls back to plain
 * requests when GetSystemInfo answers UNIMPLEMENTED mentioning "grpc-encoding" or "decompress"
 * (sdk-core `Connection::connect`), so a compressed GetSystemInfo is declined that way. Other
 * compressed requests are still accepted.
 */
const declineCompressedSystemInfo: grpc.ServerInterceptor = (method, call) => {
  // grpc-js keeps the request's grpc-encoding on its base call object only.
  const encoding = (call as unknown as { incomingEncoding?: string }).incomingEncoding;
  if (!method.path.endsWith('/GetSystemInfo') || encoding === undefined || encoding === 'identity') {
    // Pass-through: grpc-js only uses the call's interface, and wrapping every call costs.
    return call as grpc.ServerInterceptingCall;
  }
  return new grpc.ServerInterceptingCall(call, {
    start: (next) => {
      next({});
      call.sendStatus({
        code: grpc.status.UNIMPLEMENTED,
        details: `grpc-encoding ${encoding} is not accepted here (decompress disabled): send requests uncompressed`,
        metadata: new grpc.Metadata(),
      });
    },
  });
};

function callContext(call: grpc.ServerUnaryCall<unknown, unknown>): CallContext {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return {
    deadlineMs: Number.isFinite(deadlineMs) ? deadlineMs : Number.POSITIVE_INFINITY,
    onCancel: (callback) => {
      if (call.cancelled) callback();
      else call.once('cancelled', callback);
    },
  };
}

/**
 * Longest error message sent. Messages quote client input, and an answer much past 64 KB stalls
 * the client's whole HTTP/2 connection; a short prefix is enough to recognise the value.
 */
export const MAX_ERROR_MESSAGE_CHARS = 2048;

function boundedMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${message.length - MAX_ERROR_MESSAGE_CHARS} more characters)`;
}

/** The gRPC status for an error; details ride in `grpc-status-details-bin` as the SDK expects. */
function toStatus(err: unknown, method: string, log: Logger): Partial<grpc.StatusObject> {
  if (err instanceof ServiceError) {
    const message = boundedMessage(err.message);
    const metadata = new grpc.Metadata();
    if (err.details.length > 0) {
      const statusProto = google.rpc.Status.encode({
        code: err.code,
        message,
        details: err.details.map((d) => ({ type_url: d.typeUrl, value: d.value })),
      }).finish();
      metadata.set('grpc-status-details-bin', Buffer.from(statusProto));
    }
    return { code: err.code, details: message, metadata };
  }
  log.error('RPC handler failed', { method, error: boundedMessage(err instanceof Error ? (err.stack ?? err.message) : String(err)) });
  return { code: grpc.status.INTERNAL, details: boundedMessage(`${method} failed: ${err instanceof Error ? err.message : String(err)}`) };
}

/** Wraps an engine handler so every outcome, including a thrown bug, becomes a gRPC answer. */
function unaryHandler(engine: Engine, log: Logger, method: string, handler: Handler): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const reject = (err: unknown): void => callback(toStatus(err, method, log));
    // With persistence, nothing is answered before the changes it reflects are durable.
    const answer = (value: unknown): void => {
      const durable = engine.durable();
      if (durable) durable.then(() => callback(null, value), reject);
      else callback(null, value);
    };
    const fail = (err: unknown): void => {
      const durable = engine.durable();
      if (durable) durable.then(() => reject(err), reject);
      else reject(err);
    };
    try {
      const result = handler(engine, call.request as never, callContext(call));
      if (result instanceof Promise) result.then(answer, fail);
      else answer(result);
    } catch (err) {
      fail(err);
    }
  };
}

/** The addresses to bind: always loopback (the SDK connects there), plus `ip` if it differs. */
function bindHosts(ip: string): string[] {
  // Wildcard addresses already include loopback.
  if (ip === '0.0.0.0') return ['0.0.0.0'];
  if (ip === '::' || ip === '[::]') return ['[::]'];
  if (ip === '127.0.0.1' || ip === 'localhost') return ['127.0.0.1'];
  return ['127.0.0.1', ip.includes(':') ? `[${ip}]` : ip];
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/**
 * Starts the dev server: one engine behind WorkflowService, OperatorService and TestService.
 * In time-skipping mode the engine runs on a {@link VirtualClock} driven by {@link TimeSkipping}
 * and TestService answers; otherwise TestService is UNIMPLEMENTED, as on the Temporal CLI.
 * Unimplemented methods answer UNIMPLEMENTED with the method's name. `clock` replaces the
 * system clock in dev mode (tests).
 */
export async function startDevServer(config: DevServerConfig, log: Logger, clock?: Clock): Promise<RunningDevServer> {
  const virtualClock = config.mode === 'time-skipping' ? new VirtualClock() : undefined;
  const limits = limitsFromConfig(config);
  const engine = new Engine({
    clock: virtualClock ?? clock ?? new SystemClock(),
    log,
    namespaces: config.namespaces,
    searchAttributes: config.searchAttributes,
    updateLongPollMs: dynamicConfigDurationMs(config, 'history.longPollExpirationInterval'),
    suggestContinueAsNew: {
      historyCount: dynamicConfigNumber(config, 'limit.historyCount.suggestContinueAsNew'),
      historySizeBytes: dynamicConfigNumber(config, 'limit.historySize.suggestContinueAsNew'),
    },
    limits,
  });
  const persistence = config.dbFilename
    ? await openEnginePersistence(engine, config.dbFilename, log, { searchAttributes: config.searchAttributes })
    : undefined;
  // After the restore: time skipping derives its locks and its starting time from the state.
  const timeSkipping = virtualClock
    ? new TimeSkipping(engine, virtualClock, log, { locked: !config.enableTimeSkipping, pace: config.timeSkippingPace })
    : undefined;
  if (timeSkipping) engine.onCommit((txn) => timeSkipping.onCommit(txn));
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    interceptors: [declineCompressedSystemInfo],
  });
  for (const service of reflectedServices()) {
    const implemented =
      service.shortName === 'TestService' && timeSkipping
        ? testServiceHandlers(timeSkipping)
        : withLimits(handlersByService[service.shortName] ?? {}, limits, log);
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const handler = implemented[method];
      const name = `${service.shortName}/${method}`;
      implementation[method] = handler
        ? unaryHandler(engine, log, name, handler)
        : (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
            callback(toStatus(unimplemented(service.fullName, method), name, log));
    }
    server.addService(service.definition, implementation);
  }

  const hosts = bindHosts(config.ip);
  let port = config.port;
  const addresses: string[] = [];
  for (const host of hosts) {
    port = await bind(server, `${host}:${port}`);
    addresses.push(`${host}:${port}`);
  }
  engine.start();
  return {
    engine,
    timeSkipping,
    persistence,
    port,
    addresses,
    stop: async () => {
      await new Promise<void>((resolve) => {
        timeSkipping?.stop();
        engine.stop();
        server.tryShutdown(() => resolve());
        // Long polls would hold a graceful shutdown open; end them after a moment.
        setTimeout(() => server.forceShutdown(), 1000).unref();
      });
      await persistence?.close();
    },
  };
}
