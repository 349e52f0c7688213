/**
 * @module The Temporal server every workflow test runs against.
 *
 * `createLocalTestEnvironment()` returns a `TestWorkflowEnvironment` on, in order of preference:
 * 1. an existing server at `TEMPORAL_ADDRESS` (namespace `TEMPORAL_NAMESPACE`, default "default");
 * 2. the real Temporal CLI (`temporal server start-dev`) when a `temporal` executable is on PATH;
 * 3. the project's own dev server, `devserver/bin/temporal-dev` (the default).
 * `CELLOPS_TEST_SERVER=devserver|temporal-cli|existing` forces one. The same suite therefore runs
 * unchanged against real Temporal.
 *
 * `createTimeSkippingTestEnvironment()` returns a time-skipping environment (as
 * `TestWorkflowEnvironment.createTimeSkipping` does): on Temporal's own Java test server when
 * `CELLOPS_TIME_SKIPPING_SERVER` names its executable or `temporal-test-server` is on PATH,
 * otherwise on the project's dev server started as `temporal-dev <port>`. A plain Temporal server
 * (`TEMPORAL_ADDRESS`, `temporal server start-dev`) cannot skip time, so those settings do not
 * apply to it.
 *
 * Servers are started here (server-process.ts), with the command lines the SDK would use, and the
 * environment connects to them: the SDK's own start gives up after 5 s, which a busy machine
 * starting several servers at once exceeds. `teardown()` stops the server as before.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { freePort, launchServer, type LaunchedServer } from './server-process';

/** Where tests get their server from. */
export type TestServerKind = 'existing' | 'temporal-cli' | 'devserver';

export interface LocalTestEnvironmentOptions {
  /** Custom search attributes the tests use; registered on whichever server is chosen. */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  /** SDK log level for this test process (default WARN, to keep test output readable). */
  sdkLogLevel?: LogLevel;
  /** Extra command-line arguments for a locally started server. */
  extraArgs?: string[];
}

/** Absolute path of the dev server executable. */
export const DEV_SERVER_EXECUTABLE = path.resolve(__dirname, '../bin/temporal-dev');

function executableOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function temporalOnPath(): string | undefined {
  return executableOnPath('temporal');
}

/** Which server `createLocalTestEnvironment` will use in this process. */
export function testServerKind(): TestServerKind {
  const forced = process.env.CELLOPS_TEST_SERVER;
  if (forced === 'devserver' || forced === 'temporal-cli' || forced === 'existing') return forced;
  if (forced) throw new Error(`CELLOPS_TEST_SERVER must be devserver, temporal-cli or existing, got "${forced}"`);
  if (process.env.TEMPORAL_ADDRESS) return 'existing';
  return temporalOnPath() ? 'temporal-cli' : 'devserver';
}

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED_VALUE_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

let runtimeInstalled = false;

function installQuietRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      // The worker's native core logs separately; hold it to the same level.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level, other: level }) } },
    });
  } catch {
    // Another helper or test already created the runtime; keep its logger.
  }
}

async function registerOnExistingServer(
  env: TestWorkflowEnvironment,
  namespace: string,
  keys: SearchAttributeKey<SearchAttributeType>[],
): Promise<void> {
  if (keys.length === 0) return;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const { name, type } of keys) searchAttributes[name] = INDEXED_VALUE_TYPES[TypedSearchAttributes.toMetadataType(type)];
  const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(Object.entries(searchAttributes).filter(([name]) => !(name in (customAttributes ?? {}))));
  if (Object.keys(missing).length > 0) {
    await env.connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
}

/**
 * Creates the test environment for one test file (create it in `beforeAll`, `await
 * env.teardown()` in `afterAll`). Workers use `env.nativeConnection`, clients `env.client`.
 */
export async function createLocalTestEnvironment(options: LocalTestEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
  installQuietRuntime(options.sdkLogLevel ?? 'WARN');
  const searchAttributes = options.searchAttributes ?? [];
  const kind = testServerKind();
  if (kind === 'existing') {
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: process.env.TEMPORAL_ADDRESS,
      namespace,
    });
    await registerOnExistingServer(env, namespace, searchAttributes);
    return env;
  }
  const executable = kind === 'temporal-cli' ? temporalOnPath() : DEV_SERVER_EXECUTABLE;
  if (!executable) throw new Error('CELLOPS_TEST_SERVER=temporal-cli but no temporal executable is on PATH');
  // The command line TestWorkflowEnvironment.createLocal builds, started here so that a busy
  // machine gets more than the SDK's 5 s to bring the server up (see server-process.ts).
  const port = await freePort();
  const server = await launchServer(
    executable,
    [
      'server', 'start-dev', '--port', String(port), '--namespace', 'default', '--ip', '127.0.0.1',
      '--log-format', 'pretty', '--log-level', 'warn',
      '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
      '--headless', ...searchAttributeArgs(searchAttributes), ...(options.extraArgs ?? []),
    ],
    port,
  );
  return await owningServer(server, () => TestWorkflowEnvironment.createFromExistingServer({ address: server.address, namespace: 'default' }));
}

function searchAttributeArgs(keys: SearchAttributeKey<SearchAttributeType>[]): string[] {
  return keys.flatMap(({ name, type }) => ['--search-attribute', `${name}=${TypedSearchAttributes.toMetadataType(type)}`]);
}

/** An environment on `server` whose teardown also stops the server. */
async function owningServer(server: LaunchedServer, connect: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  let env: TestWorkflowEnvironment;
  try {
    env = await connect();
  } catch (err) {
    await server.kill();
    throw err;
  }
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.kill();
  };
  return env;
}

/**
 * `TestWorkflowEnvironment.createTimeSkipping` on a server started elsewhere: the SDK's own
 * (private) factory with `server: { type: 'existing' }`, which is what its public factories call;
 * the SDK is pinned to an exact version in package.json.
 */
async function connectTimeSkipping(address: string): Promise<TestWorkflowEnvironment> {
  const factory = (TestWorkflowEnvironment as unknown as { create?: (opts: object) => Promise<TestWorkflowEnvironment> }).create;
  if (typeof factory !== 'function') throw new Error('this @temporalio/testing version has no TestWorkflowEnvironment.create; update connectTimeSkipping');
  return await factory.call(TestWorkflowEnvironment, { server: { type: 'existing' }, address, namespace: 'default', supportsTimeSkipping: true });
}

/**
 * The time-skipping server executable: `CELLOPS_TIME_SKIPPING_SERVER`, else Temporal's Java test
 * server (`temporal-test-server`) on PATH, else the project's dev server. Both take `<port>`.
 */
export function timeSkippingServerExecutable(): string {
  const forced = process.env.CELLOPS_TIME_SKIPPING_SERVER;
  if (forced) {
    try {
      accessSync(forced, constants.X_OK);
    } catch {
      throw new Error(`CELLOPS_TIME_SKIPPING_SERVER=${forced} is not an executable file`);
    }
    return forced;
  }
  return executableOnPath('temporal-test-server') ?? DEV_SERVER_EXECUTABLE;
}

let ignoredChoiceNoted = false;

/** Says once per process that a plain server chosen for createLocalTestEnvironment is not used here. */
function noteIgnoredServerChoice(executable: string): void {
  const kind = testServerKind();
  if (kind === 'devserver' || ignoredChoiceNoted) return;
  ignoredChoiceNoted = true;
  const chosen = kind === 'existing' ? `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS ?? ''}` : 'the temporal CLI';
  process.stderr.write(
    `createTimeSkippingTestEnvironment: ${chosen} cannot skip time; time-skipping tests run on ${executable} ` +
      '(set CELLOPS_TIME_SKIPPING_SERVER to use another test server)\n',
  );
}

/**
 * Creates a time-skipping test environment for one test file (create it in `beforeAll`, `await
 * env.teardown()` in `afterAll`): timers, timeouts and retry backoffs are skipped whenever no
 * workflow or activity task is outstanding and time skipping is unlocked, i.e. while
 * `env.client.workflow.execute`/`result` waits and during `env.sleep()`. Elsewhere time runs at
 * real pace. `env.currentTimeMs()` reads the server's (virtual) clock; workflows see the same
 * clock through `workflowInfo()` and `Date.now()`.
 *
 * A workflow or activity task no worker takes holds the clock (as on Temporal's test server), so
 * keep a worker running while waiting.
 *
 * Search attributes are registered as for {@link createLocalTestEnvironment}. `TEMPORAL_ADDRESS`
 * and `CELLOPS_TEST_SERVER` are ignored here (with a note on stderr): a real Temporal server or
 * CLI cannot skip time.
 */
export async function createTimeSkippingTestEnvironment(
  options: LocalTestEnvironmentOptions = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime(options.sdkLogLevel ?? 'WARN');
  const searchAttributes = options.searchAttributes ?? [];
  const executable = timeSkippingServerExecutable();
  noteIgnoredServerChoice(executable);
  const ownServer = executable === DEV_SERVER_EXECUTABLE;
  // The dev server takes the CLI's --search-attribute flags in its `<port>` form too; the Java
  // test server registers them through the OperatorService instead.
  const port = await freePort();
  const server = await launchServer(
    executable,
    [String(port), ...(ownServer ? searchAttributeArgs(searchAttributes) : []), ...(options.extraArgs ?? [])],
    port,
  );
  const env = await owningServer(server, () => connectTimeSkipping(server.address));
  if (!ownServer) await registerOnExistingServer(env, 'default', searchAttributes);
  return env;
}
