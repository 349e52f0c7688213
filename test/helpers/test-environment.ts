/**
 * @module The Temporal server every workflow test runs against.
 *
 * `createLocalTestEnvironment()` returns a `TestWorkflowEnvironment` on, in order of preference:
 * 1. an existing server at `TEMPORAL_ADDRESS` (namespace `TEMPORAL_NAMESPACE`, default "default");
 * 2. the real Temporal CLI (`temporal server start-dev`) when a `temporal` executable is on PATH;
 * 3. the project's own dev server, `devserver/bin/temporal-dev` (the default).
 * `CELLOPS_TEST_SERVER=devserver|temporal-cli|existing` forces one. The same suite therefore runs
 * unchanged against real Temporal.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

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
export const DEV_SERVER_EXECUTABLE = path.resolve(__dirname, '../../devserver/bin/temporal-dev');

function temporalOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
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
  return await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: executable },
      searchAttributes,
      extraArgs: options.extraArgs,
    },
  });
}
