/**
 * How every cellops process finds its Temporal server, decided in one place: Temporal's own
 * environment conventions through `@temporalio/envconfig` (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`,
 * `TEMPORAL_CONFIG_FILE` or a profile in the default config file) when anything is configured,
 * else the embedded dev server on localhost (`CELLOPS_DEV_SERVER_PORT`, default 7233).
 */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';

/** Where to connect, and why there. */
export type TemporalTarget =
  | {
      kind: 'configured';
      address: string;
      namespace: string;
      connectionOptions: ConnectionOptions;
      /** What chose it, for messages: `TEMPORAL_ADDRESS`, `profile prod`, ... */
      source: string;
    }
  | {
      /** Nothing configured: the project's dev server on this machine (embedded in `npm start`). */
      kind: 'embedded';
      address: string;
      port: number;
      namespace: string;
      connectionOptions: ConnectionOptions;
      source: string;
    };

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));

/**
 * Reads the Temporal target from `env` (and the envconfig file it points to, or the default
 * one). Throws on an invalid value, naming the variable.
 * @param profile the envconfig profile to use (overrides `TEMPORAL_PROFILE`).
 */
export function temporalTargetFromEnv(env: NodeJS.ProcessEnv = process.env, profile?: string): TemporalTarget {
  const chosenProfile = profile ?? (env.TEMPORAL_PROFILE || undefined);
  const loaded = loadClientConfigProfile({ profile: chosenProfile, overrideEnvVars: definedOnly(env) });
  if (loaded.address) {
    const { connectionOptions, namespace } = toClientOptions(loaded);
    const source = env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : `envconfig profile ${chosenProfile ?? 'default'}${env.TEMPORAL_CONFIG_FILE ? ` (${env.TEMPORAL_CONFIG_FILE})` : ''}`;
    return { kind: 'configured', address: loaded.address, namespace: namespace ?? 'default', connectionOptions: connectionOptions, source };
  }
  if (chosenProfile || env.TEMPORAL_CONFIG_FILE) {
    throw new Error(`the Temporal profile ${chosenProfile ?? 'default'}${env.TEMPORAL_CONFIG_FILE ? ` in ${env.TEMPORAL_CONFIG_FILE}` : ''} has no address`);
  }
  const port = Number(env.CELLOPS_DEV_SERVER_PORT ?? 7233);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`CELLOPS_DEV_SERVER_PORT must be a port number, got "${env.CELLOPS_DEV_SERVER_PORT}"`);
  const address = `127.0.0.1:${port}`;
  return { kind: 'embedded', address, port, namespace: env.TEMPORAL_NAMESPACE || 'default', connectionOptions: { address }, source: 'nothing configured, so the local dev server' };
}

/** The server could not be reached; says where it tried and how that was chosen. */
export class CannotConnectError extends Error {
  constructor(
    readonly target: Pick<TemporalTarget, 'address' | 'namespace' | 'source' | 'kind'>,
    readonly reason: string,
  ) {
    super(
      `cannot connect to Temporal at ${target.address} (namespace ${target.namespace}; chosen by: ${target.source}): ${reason}` +
        (target.kind === 'embedded' ? '. Start it with `npm start` (or `npm run devserver`), or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE.' : ''),
    );
    this.name = 'CannotConnectError';
  }
}

/** An open client; `close()` when done. */
export interface TemporalConnection {
  client: Client;
  connection: Connection;
  target: TemporalTarget;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Default: {@link temporalTargetFromEnv} of the process environment. */
  target?: TemporalTarget;
  /** How long to try before giving up. Default 5 s. */
  connectTimeoutMs?: number;
}

/**
 * Connects a client to the target and checks the server answers.
 * @throws CannotConnectError naming the address, namespace and where they came from.
 */
export async function connectTemporal(options: ConnectOptions = {}): Promise<TemporalConnection> {
  const target = options.target ?? temporalTargetFromEnv();
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connectionOptions, connectTimeout: options.connectTimeoutMs ?? 5_000 });
  } catch (err) {
    throw new CannotConnectError(target, err instanceof Error ? err.message : String(err));
  }
  const client = new Client({ connection, namespace: target.namespace });
  return { client, connection, target, close: () => connection.close() };
}
