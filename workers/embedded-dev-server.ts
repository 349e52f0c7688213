/** The project's dev server, started inside the worker process when no Temporal server is configured. */
import { createLogger, parseArgs, startDevServer } from '@cellops/temporal-dev';
import { CELLOPS_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

export interface EmbeddedDevServer {
  address: string;
  /** The server's clock (ahead of real time when it skips time). */
  now(): number;
  /** Resolves once the server's clock has moved `ms` on. */
  sleep(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDevServerOptions {
  port: number;
  namespace: string;
  dbFilename?: string;
  /**
   * Run time this many times faster than real time while no task is outstanding (the
   * time-skipping form, paced): a demonstration's waits take minutes instead of hours. Running
   * tasks keep real time, so their timeouts do not shrink.
   */
  speed?: number;
}

/** Starts the dev server on localhost with the cellops search attributes registered. */
export async function startEmbeddedDevServer(options: EmbeddedDevServerOptions): Promise<EmbeddedDevServer> {
  const paced = options.speed !== undefined && options.speed > 1;
  const argv = paced ? [String(options.port), '--enable-time-skipping'] : ['server', 'start-dev', '--headless', '--port', String(options.port)];
  argv.push('--namespace', options.namespace, '--log-level', 'warn');
  if (options.dbFilename) argv.push('--db-filename', options.dbFilename);
  for (const [name, type] of Object.entries(CELLOPS_SEARCH_ATTRIBUTES)) argv.push('--search-attribute', `${name}=${type}`);
  const { config } = parseArgs(argv);
  if (paced) config.timeSkippingPace = { rate: options.speed as number };
  const server = await startDevServer(config, createLogger(config.logLevel, config.logFormat));
  const skipping = server.timeSkipping;
  return {
    address: `127.0.0.1:${server.port}`,
    now: () => skipping?.now() ?? Date.now(),
    sleep: (ms) => (skipping ? skipping.sleepUntil(skipping.now() + ms) : new Promise((resolve) => setTimeout(resolve, ms))),
    stop: () => server.stop(),
  };
}
