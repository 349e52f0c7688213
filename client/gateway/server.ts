/**
 * Running the gateway on a port: used by its own process (`npm run gateway`) and by the main job
 * (`npm start`), which starts it in-process next to the worker.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildGateway, type GatewayDeps } from './app';

export interface StartGatewayOptions {
  deps: GatewayDeps;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1; 0.0.0.0 to accept from other hosts. */
  host?: string;
  /** Registers more plugins (the operator console) on the app before it listens. */
  register?: (app: FastifyInstance) => void | Promise<void>;
}

/** A listening gateway. */
export interface RunningGateway {
  app: FastifyInstance;
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops accepting, finishes the requests in flight, closes. */
  close(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const app = buildGateway(options.deps);
  try {
    await options.register?.(app);
    await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { address, port } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return { app, url: `http://${host}:${port}`, port, close: () => app.close() };
}
