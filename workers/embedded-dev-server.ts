/** The project's dev server, started inside the worker process when no Temporal server is configured. */
import { parseArgs } from '../devserver/config';
import { createLogger } from '../devserver/log';
import { startDevServer } from '../devserver/server';
import { CELLOPS_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

export interface EmbeddedDevServer {
  address: string;
  stop(): Promise<void>;
}

/** Starts the dev server on localhost with the cellops search attributes registered. */
export async function startEmbeddedDevServer(options: { port: number; namespace: string; dbFilename?: string }): Promise<EmbeddedDevServer> {
  const argv = ['server', 'start-dev', '--headless', '--port', String(options.port), '--namespace', options.namespace, '--log-level', 'warn'];
  if (options.dbFilename) argv.push('--db-filename', options.dbFilename);
  for (const [name, type] of Object.entries(CELLOPS_SEARCH_ATTRIBUTES)) argv.push('--search-attribute', `${name}=${type}`);
  const { config } = parseArgs(argv);
  const server = await startDevServer(config, createLogger(config.logLevel, config.logFormat));
  return { address: `127.0.0.1:${server.port}`, stop: () => server.stop() };
}
