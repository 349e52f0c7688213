/**
 * The simulated fleet over loopback HTTP, for worker processes other than the one holding the
 * fleet (crash-and-resume tests kill and restart worker processes while the fleet, its clock
 * and its call log live on in the test process, so the calls of a whole run can be counted).
 *
 * - `serveSimulatedFleet(run, clock)` (host): answers `POST /aws`, `/hooks/<name>`, `/sleep`,
 *   `/advance` and `GET /now` on 127.0.0.1; read-only, `/now` and the AWS reads alone (the
 *   `npm start` demo serves its fleet so to `cellops fleet`, `CELLOPS_SIMULATOR_URL`).
 * - `connectSimulatedFleet(url)` (worker): real SDK v3 clients whose middleware forwards each
 *   command to the host, the hooks, and a clock mirroring the host's.
 *
 * Bodies are JSON with dates tagged (`{"$date": iso}`); AWS errors travel as their name, message
 * and metadata and are rebuilt as service exceptions; hook failures as ApplicationFailures.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as cfnSdk from '@aws-sdk/client-cloudformation';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import * as r53Sdk from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import type { ApplicationHooks } from '../activities/hooks/types';
import type { AwsService } from './calls';
import type { SimulatedClients } from './clients';
import type { SimClock, VirtualClock } from './clock';

const SDKS: Record<AwsService, Record<string, unknown>> = { cloudformation: cfnSdk, route53: r53Sdk, cloudwatch: cwSdk };
const CLIENT_OF: Record<AwsService, keyof SimulatedClients> = { cloudformation: 'cloudFormation', route53: 'route53', cloudwatch: 'cloudWatch' };
const HOOK_NAMES: (keyof ApplicationHooks)[] = [
  'checkDataAccessible',
  'backupCellData',
  'migrateCustomers',
  'restoreCustomersFromBackup',
  'shedLoad',
  'setCircuitBreakers',
  'validateDataIntegrity',
  'notify',
];

function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    // Not `instanceof`: structuredClone (the simulator copies its answers) may build dates of another realm.
    return Object.prototype.toString.call(raw) === '[object Date]' ? { $date: (raw as Date).toISOString() } : v;
  });
}

function decode<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && typeof (v as { $date?: unknown }).$date === 'string' && Object.keys(v).length === 1 ? new Date((v as { $date: string }).$date) : v,
  ) as T;
}

type Outcome = { ok: true; value: unknown; now: number } | { ok: false; error: SerializedError; now: number };

interface SerializedError {
  kind: 'aws' | 'application' | 'other';
  name: string;
  message: string;
  props: Record<string, unknown>;
  type?: string;
  nonRetryable?: boolean;
}

function serializeError(err: unknown): SerializedError {
  if (err instanceof ApplicationFailure) return { kind: 'application', name: err.name, message: err.message, props: {}, type: err.type ?? undefined, nonRetryable: err.nonRetryable ?? undefined };
  if (err instanceof Error) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err)) if (k !== 'stack') props[k] = v;
    return { kind: '$metadata' in err || '$fault' in err ? 'aws' : 'other', name: err.name, message: err.message, props };
  }
  return { kind: 'other', name: 'Error', message: String(err), props: {} };
}

/** A running host bridge. */
export interface FleetBridge {
  url: string;
  close(): Promise<void>;
}

/** The commands a read-only bridge answers: the services' reads, none that changes the fleet. */
const READ_COMMAND = /^(List|Describe|Get)[A-Za-z]+$/;

/**
 * Serves `clients` and `hooks` (and `clock`) to worker processes on a free loopback port.
 * `readOnly` (what an inspecting CLI needs): only `/now` and AWS reads (List*, Describe*, Get*);
 * the rest is refused, so nothing reached through the port changes the fleet or its clock.
 */
export async function serveSimulatedFleet(options: { clients: SimulatedClients; hooks: ApplicationHooks; clock: VirtualClock; readOnly?: boolean }): Promise<FleetBridge> {
  const { clients, hooks, clock, readOnly = false } = options;
  const handle = async (path: string, body: unknown): Promise<unknown> => {
    if (path === '/now') return clock.now();
    if (readOnly) {
      const command = path === '/aws' ? (body as { command?: unknown } | null)?.command : undefined;
      if (typeof command !== 'string' || !READ_COMMAND.test(command)) throw new Error(`bridge: read-only, ${path === '/aws' ? `${String(command)} is not a read` : `no ${path}`}`);
    }
    if (path === '/sleep') return await clock.sleep((body as { ms: number }).ms);
    if (path === '/advance') {
      const to = (body as { to: number }).to;
      if (to > clock.now()) clock.set(to);
      return undefined;
    }
    if (path === '/aws') {
      const { service, command, input } = body as { service: AwsService; command: string; input: object };
      const Command = SDKS[service][`${command}Command`] as (new (input: object) => object) | undefined;
      if (Command === undefined) throw new Error(`bridge: unknown ${service} command ${command}`);
      const client = clients[CLIENT_OF[service]] as unknown as { send(command: object): Promise<Record<string, unknown>> };
      const { $metadata: _metadata, ...output } = await client.send(new Command(input));
      return output;
    }
    const hook = /^\/hooks\/(\w+)$/.exec(path)?.[1] as keyof ApplicationHooks | undefined;
    if (hook !== undefined && HOOK_NAMES.includes(hook)) return await (hooks[hook] as (input: unknown) => Promise<unknown>)(body);
    throw new Error(`bridge: no route ${path}`);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      handle(req.url ?? '/', text ? decode(text) : undefined).then(
        (value) => ({ ok: true, value, now: clock.now() }),
        (err: unknown) => ({ ok: false, error: serializeError(err), now: clock.now() }),
      ).then((outcome) => {
        res.setHeader('content-type', 'application/json');
        res.end(encode(outcome));
      }, () => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The worker side: clients, hooks and a clock that all reach the host's fleet. */
export interface BridgedFleet {
  clients: SimulatedClients;
  hooks: ApplicationHooks;
  /** Mirrors the host clock: `now` is the host's time as of the last answer, `sleep` sleeps there. */
  clock: SimClock;
  /** Moves the host clock forward to `ms` (never back). */
  advanceTo(ms: number): Promise<void>;
}

const SERVICE_EXCEPTIONS: Record<AwsService, new (options: { name: string; $fault: 'client' | 'server'; message: string; $metadata: object }) => Error> = {
  cloudformation: cfnSdk.CloudFormationServiceException,
  route53: r53Sdk.Route53ServiceException,
  cloudwatch: cwSdk.CloudWatchServiceException,
};

function rebuild(service: AwsService | undefined, e: SerializedError): Error {
  if (e.kind === 'application') return ApplicationFailure.create({ type: e.type, message: e.message, nonRetryable: e.nonRetryable });
  if (e.kind === 'aws' && service !== undefined) {
    const Exception = SERVICE_EXCEPTIONS[service];
    const error = new Exception({ name: e.name, $fault: (e.props.$fault as 'client' | 'server') ?? 'client', message: e.message, $metadata: (e.props.$metadata as object) ?? {} });
    return Object.assign(error, e.props, { name: e.name });
  }
  return Object.assign(new Error(e.message), { name: e.name }, e.props);
}

/** Connects a worker process to the host bridge at `url`. */
export async function connectSimulatedFleet(url: string): Promise<BridgedFleet> {
  let now = 0;
  const call = async <T>(path: string, body: unknown, service?: AwsService): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: encode(body ?? null), headers: { 'content-type': 'application/json' } });
    const outcome = decode<Outcome>(await response.text());
    now = Math.max(now, outcome.now);
    if (!outcome.ok) throw rebuild(service, outcome.error);
    return outcome.value as T;
  };
  now = await call<number>('/now', null);

  const config = { region: 'eu-west-1', credentials: { accessKeyId: 'SIMULATED', secretAccessKey: 'SIMULATED' } };
  const refuse = { handle: () => Promise.reject(new Error('bridged simulator client: no network')), updateHttpClientConfig: () => undefined, httpHandlerConfigs: () => ({}), destroy: () => undefined };
  const bridged = <C extends { middlewareStack: { add: (...args: never[]) => void } }>(client: C, service: AwsService): C => {
    const add = client.middlewareStack.add as unknown as (mw: unknown, options: object) => void;
    add.call(
      client.middlewareStack,
      (_next: unknown, context: { commandName?: string }) => async (args: { input: object }) => ({
        output: { ...(await call<object>('/aws', { service, command: context.commandName?.replace(/Command$/, ''), input: args.input }, service)), $metadata: { httpStatusCode: 200 } },
        response: {},
      }),
      { step: 'initialize', priority: 'high', name: 'cellopsSimulatorBridge', override: true },
    );
    return client;
  };
  const clients: SimulatedClients = {
    cloudFormation: bridged(new cfnSdk.CloudFormationClient({ ...config, requestHandler: refuse }), 'cloudformation'),
    route53: bridged(new r53Sdk.Route53Client({ ...config, requestHandler: refuse }), 'route53'),
    cloudWatch: bridged(new cwSdk.CloudWatchClient({ ...config, requestHandler: refuse }), 'cloudwatch'),
  };
  const hooks = Object.fromEntries(HOOK_NAMES.map((name) => [name, (input: unknown) => call(`/hooks/${name}`, input)])) as unknown as ApplicationHooks;
  return {
    clients,
    hooks,
    clock: { now: () => now, sleep: async (ms) => void (await call('/sleep', { ms })) },
    advanceTo: async (ms) => void (await call('/advance', { to: ms })),
  };
}
