/**
 * The worker process's configuration, read once from the environment at start (failing fast
 * on bad values). Temporal is found as every client finds it (`client/connect.ts`): its own
 * conventions (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, TLS and API key variables, config
 * profiles) through `@temporalio/envconfig`; AWS follows the default credential chain. Nothing configured means the embedded defaults: the project's dev
 * server and the simulated fleet.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { temporalTargetFromEnv } from '../client/connect';

export type TemporalTarget =
  | { kind: 'configured'; connectionOptions: NativeConnectionOptions; namespace: string }
  /** No server configured: start the project's dev server in this process. */
  | { kind: 'embedded'; port: number; namespace: string; dbFilename?: string };

export interface WorkerConfig {
  temporal: TemporalTarget;
  /** `aws`: SDK clients from the default chain; `simulator`: the simulated fleet in this process. */
  aws: 'aws' | 'simulator';
  /** The cell registry file. */
  registryPath: string;
  /**
   * The hooks worker: `simulator` (the simulated fleet's hooks), `webhook` (HTTP), `notify-only`
   * (notifications logged and published to the registry's SNS topic, data hooks refused), or
   * `none` (the application runs its own hooks worker).
   */
  hooks: { kind: 'simulator' } | { kind: 'webhook'; baseUrl: string; authToken?: string } | { kind: 'notify-only' } | { kind: 'none'; missing?: string };
  /** Seed of the simulated fleet. */
  simulatorSeed: string;
}

const AWS_SIGNS = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

// Without a hooks backend, a notification on a failure path would wait for a worker that never comes.
const MISSING_HOOKS = [
  'CELLOPS_AWS=aws needs a hooks backend for notifications and data steps. Set one of:',
  '  CELLOPS_HOOKS_URL=https://...   the application serves the hooks over HTTP',
  '  CELLOPS_HOOKS=notify-only       notifications logged and published to fleet.notificationTopicArn; data hooks refused',
  '  CELLOPS_HOOKS=none              the application runs its own hooks worker on the cellops-hooks task queue',
].join('\n');

function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** Reads the configuration; throws on an invalid value. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): WorkerConfig {
  const target = temporalTargetFromEnv(env);
  const temporal: TemporalTarget =
    target.kind === 'configured'
      ? { kind: 'configured', connectionOptions: target.connectionOptions as NativeConnectionOptions, namespace: target.namespace }
      : { kind: 'embedded', port: target.port, namespace: target.namespace, dbFilename: env.CELLOPS_DEV_SERVER_DB || undefined };
  const aws = choice(env, 'CELLOPS_AWS', ['aws', 'simulator'] as const) ?? (AWS_SIGNS.some((name) => env[name]) ? 'aws' : 'simulator');
  const registryPath = env.CELLOPS_REGISTRY ?? (existsSync(path.join(cwd, 'cells.yaml')) ? path.join(cwd, 'cells.yaml') : path.resolve(__dirname, '../cells.example.yaml'));
  const hooksKind = choice(env, 'CELLOPS_HOOKS', ['simulator', 'webhook', 'notify-only', 'none'] as const) ?? (env.CELLOPS_HOOKS_URL ? 'webhook' : aws === 'simulator' ? 'simulator' : undefined);

  let hooks: WorkerConfig['hooks'];
  if (hooksKind === 'webhook') {
    if (!env.CELLOPS_HOOKS_URL) throw new Error('CELLOPS_HOOKS=webhook needs CELLOPS_HOOKS_URL');
    hooks = { kind: 'webhook', baseUrl: env.CELLOPS_HOOKS_URL, authToken: env.CELLOPS_HOOKS_TOKEN };
  } else if (hooksKind === 'simulator') {
    if (aws !== 'simulator') throw new Error('CELLOPS_HOOKS=simulator needs the simulated fleet (CELLOPS_AWS=simulator)');
    hooks = { kind: 'simulator' };
  } else if (hooksKind === undefined) {
    hooks = { kind: 'none', missing: MISSING_HOOKS };
  } else if (hooksKind === 'notify-only') {
    hooks = { kind: 'notify-only' };
  } else {
    hooks = { kind: 'none' };
  }
  return { temporal, aws, registryPath, hooks, simulatorSeed: env.CELLOPS_SIMULATOR_SEED ?? 'cellops' };
}

/** Throws, naming the ways to give one, when a worker on real AWS has no hooks backend (clients that run no hooks do not call it). */
export function assertHooksBackend(config: WorkerConfig): void {
  if (config.hooks.kind === 'none' && config.hooks.missing !== undefined) throw new Error(config.hooks.missing);
}
