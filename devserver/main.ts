import { parseArgs, UsageError } from './config';
import { PersistenceOpenError } from './engine/persist';
import { createLogger } from './log';
import { startDevServer } from './server';

/**
 * Entry point: `temporal-dev server start-dev [flags]` (the Temporal CLI's form, as
 * `TestWorkflowEnvironment.createLocal` launches it) or `temporal-dev <port>` (the test server's
 * form). Exits 1 on a bad command line; runs until SIGINT/SIGTERM otherwise.
 */
export async function main(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`temporal-dev: ${err.message}\n`);
    process.exit(1);
  }
  const { config, warnings } = parsed;
  const log = createLogger(config.logLevel, config.logFormat);
  // Every RPC and deadline handler catches its own errors; anything that still escapes is a
  // bug worth a log line, not a reason to drop every client's state.
  process.on('uncaughtException', (err) => log.error('uncaught exception', { error: err.stack ?? err.message }));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  for (const warning of warnings) log.warn(warning);
  let server;
  try {
    server = await startDevServer(config, log);
  } catch (err) {
    if (!(err instanceof PersistenceOpenError)) throw err;
    process.stderr.write(`temporal-dev: ${err.message}\n`);
    process.exit(1);
  }
  log.info(`Temporal-compatible dev server listening on ${server.addresses.join(', ')}`, {
    namespaces: config.namespaces.join(','),
  });
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`temporal-dev: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
