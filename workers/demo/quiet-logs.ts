/**
 * The SDK's own output (webpack's bundle statistics, "Worker state changed", core's lines) goes
 * to a log file, so the terminal shows only the incident.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type Logger } from '@temporalio/worker';

/** Installs the SDK runtime with a logger writing to `file` (created with its folder); returns that logger for the bundler. */
export function logSdkToFile(file: string): Logger {
  mkdirSync(path.dirname(file), { recursive: true });
  const stream = createWriteStream(file, { flags: 'a' });
  const logger = new DefaultLogger('INFO', (entry) => {
    const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${JSON.stringify(entry.meta)}` : '';
    stream.write(`${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} ${entry.level} ${entry.message}${meta}\n`);
  });
  Runtime.install({ logger, telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'INFO', other: 'WARN' }) } } });
  // The embedded dev server's gRPC library logs its own errors (a port in use) to the console.
  grpc.setLogger({ error: (...args: unknown[]) => logger.warn(`grpc: ${args.map(String).join(' ')}`) });
  // Process warnings (the AWS SDK's Node version notice) go to the same file.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(`${warning.name}: ${warning.message}`));
  return logger;
}
