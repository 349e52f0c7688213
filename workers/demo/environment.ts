/**
 * Everything a demonstration runs on, in this process: Temporal (the embedded dev server at demo
 * speed, or the configured server), the simulated fleet on a clock that follows the server's,
 * and the cellops workers.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { TokenBucket } from '../../activities/rate-limit';
import { loadRegistry, type Registry } from '../../domain/registry';
import pino from 'pino';
import { loadConsoleConfig } from '../../client/console/config';
import { consolePlugin } from '../../client/console/plugin';
import { createAwsFleetReader } from '../../client/data/aws-fleet-reader';
import { loadGatewayConfig } from '../../client/gateway/config';
import { startGateway, type RunningGateway } from '../../client/gateway/server';
import { createSimulatedFleet, createSimulatedHooks, createSimulatedSns, VirtualClock, type SimulatedFleetRun, type SimulatedSns } from '../../simulator';
import { serveSimulatedFleet, type FleetBridge } from '../../simulator/bridge';
import type { WorkerConfig } from '../config';
import { createCellopsWorker, type CellopsWorkers } from '../create-worker';
import { startEmbeddedDevServer, type EmbeddedDevServer } from '../embedded-dev-server';
import { followServerTime } from '../follow-server-time';
import { devServerProblem, gatewayProblem, registryProblem, temporalProblem } from './config-errors';
import { logSdkToFile } from './quiet-logs';

/** What a demonstration runs on. */
export interface DemoEnvironment {
  registry: Registry;
  /** Where Temporal is, in words (`127.0.0.1:7233 (embedded dev server)`). */
  temporalLabel: string;
  address: string;
  namespace: string;
  client: Client;
  sim: SimulatedFleetRun;
  /** The fleet's clock: moved to the server's time before each activity and by {@link syncFleetClock}. */
  clock: VirtualClock;
  /** How many times faster than real time the server's idle clock runs (1: real time). */
  speed: number;
  /** The server's time. */
  serverNow(): number;
  /** Waits `ms` of the server's time. */
  serverSleep(ms: number): Promise<void>;
  /** Moves the fleet's clock up to the server's time. */
  syncFleetClock(): void;
  workers: CellopsWorkers;
  /** The alarm gateway, listening, subscribed (as it were) to {@link sns}. */
  gateway: RunningGateway;
  /** The simulated SNS topic the fleet's alarms are published to; the gateway trusts its certificate only. */
  sns: SimulatedSns;
  /** The Temporal Web UI the gateway links to. */
  webUiBaseUrl: string;
  /** The operator console's URL, when it is on. */
  consoleUrl?: string;
  /** The simulated fleet's read-only loopback bridge, for `CELLOPS_SIMULATOR_URL=<it> cellops fleet`. */
  simulatorUrl: string;
  /** Shuts the workers down and closes everything, in order. */
  close(): Promise<void>;
}

export interface DemoEnvironmentOptions {
  config: WorkerConfig;
  /** Wanted demo speed; a configured server runs at real time whatever this says. */
  speed: number;
  /** Where the SDK's log lines go. */
  logFile: string;
  /** Derives the registry the demonstration runs with from the file's. */
  adaptRegistry(registry: Registry): Registry;
}

/**
 * Starts Temporal (or connects to it), the fleet and the workers, and starts the workers polling.
 * @throws DemoConfigError naming what to fix when the registry, the port or the server is wrong.
 */
export async function startDemoEnvironment(options: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const { config } = options;
  let registry: Registry;
  try {
    registry = options.adaptRegistry(await loadRegistry(config.registryPath));
  } catch (err) {
    throw registryProblem(config.registryPath, err);
  }
  const sdkLogger = logSdkToFile(options.logFile);

  let server: EmbeddedDevServer | undefined;
  let connectionOptions: NativeConnectionOptions;
  if (config.temporal.kind === 'embedded') {
    try {
      server = await startEmbeddedDevServer({ port: config.temporal.port, namespace: config.temporal.namespace, dbFilename: config.temporal.dbFilename, speed: options.speed });
    } catch (err) {
      throw devServerProblem(config.temporal.port, err);
    }
    connectionOptions = { address: server.address };
  } else {
    connectionOptions = config.temporal.connectionOptions;
  }
  const address = String(connectionOptions.address ?? '127.0.0.1:7233');
  const namespace = config.temporal.namespace;
  let clientConnection: Connection;
  let nativeConnection: NativeConnection;
  try {
    clientConnection = await Connection.connect({ ...connectionOptions, connectTimeout: '5s' });
    nativeConnection = await NativeConnection.connect(connectionOptions);
  } catch (err) {
    await server?.stop();
    throw temporalProblem(address, err);
  }
  const client = new Client({ connection: clientConnection, namespace });

  const serverNow = (): number => server?.now() ?? Date.now();
  const clock = new VirtualClock(serverNow());
  const sim = createSimulatedFleet({ registry, seed: config.simulatorSeed, clock });
  const hooks = createSimulatedHooks(sim.fleet);
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: sdkLogger });
  const workers = await createCellopsWorker({
    connection: nativeConnection,
    namespace,
    client,
    aws: { ...sim.clients, sleep: clock.sleep, clock: clock.now, route53Limiter: new TokenBucket({ ratePerSecond: 5, clock: clock.now, sleep: clock.sleep }) },
    hooks,
    workflowBundle: bundle,
    activityInterceptors: [followServerTime(clock)],
    identity: `cellops-demo@${process.pid}`,
  });
  const running = workers.run();
  running.catch(() => undefined);

  const gatewayConfig = loadGatewayConfig();
  const consoleConfig = loadConsoleConfig();
  const sns = createSimulatedSns({ region: registry.fleet.region, now: serverNow });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      port: gatewayConfig.port,
      host: gatewayConfig.host,
      deps: {
        client,
        namespace,
        registry,
        webUiBaseUrl: gatewayConfig.webUiBaseUrl,
        logger: pino({ level: gatewayConfig.logLevel }, pino.destination({ dest: options.logFile, append: true, sync: true })),
        // The gateway lives on the server's clock, as the alarms and the cooldowns kept in Temporal do.
        clock: () => new Date(serverNow()),
        sns: { fetchCertificate: (url) => sns.fetchCertificate(url), topicArns: [sns.topicArn] },
      },
      // The operator console, reading the simulated fleet's weights and alarms through its SDK clients.
      register: consoleConfig.enabled
        ? async (app) => {
            await app.register(consolePlugin, {
              prefix: '/console',
              client,
              registry,
              webUiUrl: gatewayConfig.webUiBaseUrl,
              access: consoleConfig.access,
              fleetReader: createAwsFleetReader({ route53: sim.clients.route53, cloudWatch: sim.clients.cloudWatch }, 'the simulated fleet'),
            });
          }
        : undefined,
    });
  } catch (err) {
    workers.shutdown();
    await running.catch(() => undefined);
    await server?.stop();
    throw gatewayProblem(gatewayConfig.port, err);
  }
  // `cellops fleet` in another terminal reads the fleet's weights and alarms through this (reads only).
  const bridge: FleetBridge = await serveSimulatedFleet({ clients: sim.clients, hooks, clock, readOnly: true });

  return {
    registry,
    temporalLabel: server ? `${address} (embedded dev server)` : address,
    address,
    namespace,
    client,
    sim,
    clock,
    speed: server ? options.speed : 1,
    serverNow,
    serverSleep: (ms) => server?.sleep(ms) ?? new Promise((resolve) => setTimeout(resolve, ms)),
    syncFleetClock() {
      const now = serverNow();
      if (now > clock.now()) clock.set(now);
    },
    workers,
    gateway,
    sns,
    webUiBaseUrl: gatewayConfig.webUiBaseUrl,
    consoleUrl: consoleConfig.enabled ? `${gateway.url}/console` : undefined,
    simulatorUrl: bridge.url,
    async close() {
      await gateway.close();
      await bridge.close();
      workers.shutdown();
      await running.catch(() => undefined);
      await clientConnection.close();
      await nativeConnection.close();
      await server?.stop();
    },
  };
}

/** The log file under the working directory's `.cellops/`. */
export function defaultLogFile(cwd = process.cwd()): string {
  return path.join(cwd, '.cellops', 'demo.log');
}
