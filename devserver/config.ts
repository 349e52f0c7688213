import type { SearchAttributeTypeName } from './engine/search-attributes';
import { parseLogLevel, type LogFormat, type LogLevel } from './log';

/** Search attribute types as the Temporal CLI spells them in `--search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_TYPES: readonly SearchAttributeTypeName[] = [
  'Text',
  'Keyword',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
];

/** Everything the command line decides about a dev server run. */
export interface DevServerConfig {
  /** `dev` for `server start-dev`; `time-skipping` for the test-server form `temporal-dev <port>`. */
  mode: 'dev' | 'time-skipping';
  port: number;
  ip: string;
  namespaces: string[];
  dbFilename?: string;
  headless: boolean;
  uiPort?: number;
  logFormat: LogFormat;
  logLevel: LogLevel | 'never';
  dynamicConfig: Record<string, string>;
  searchAttributes: { name: string; type: SearchAttributeTypeName }[];
  /**
   * Time-skipping mode only: start with time skipping unlocked (`--enable-time-skipping`), as the
   * Java test server does. Without it the server starts locked.
   */
  enableTimeSkipping: boolean;
  /**
   * Time-skipping mode only, set by programs embedding the server (no flag): skip time at this
   * many times real time instead of at once (a demonstration that stays watchable).
   */
  timeSkippingPace?: { rate: number; tickMs?: number };
}

/** A command line that cannot be started (bad value for a known flag). */
export class UsageError extends Error {}

export interface ParsedArgs {
  config: DevServerConfig;
  /** Unknown or not-yet-supported flags: reported, never fatal. */
  warnings: string[];
}

const DEFAULT_PORT = 7233;

/** Flags that take a value, by long name, with their short aliases. */
const VALUE_FLAGS: Record<string, string> = {
  port: 'port',
  p: 'port',
  ip: 'ip',
  namespace: 'namespace',
  n: 'namespace',
  'db-filename': 'db-filename',
  f: 'db-filename',
  'ui-port': 'ui-port',
  'log-format': 'log-format',
  'log-level': 'log-level',
  'dynamic-config-value': 'dynamic-config-value',
  'search-attribute': 'search-attribute',
  // Accepted for compatibility with the Temporal CLI; they have no effect here.
  'ui-ip': 'ignored',
  'ui-public-path': 'ignored',
  'ui-asset-path': 'ignored',
  'ui-codec-endpoint': 'ignored',
  'metrics-port': 'ignored',
  'http-port': 'ignored',
  'sqlite-pragma': 'ignored',
  'log-config': 'ignored',
  'grpc-api-port': 'ignored',
};
const BOOLEAN_FLAGS = new Set(['headless', 'enable-time-skipping']);

/**
 * Parses the Temporal CLI's `server start-dev` flags, or the time-skipping test server's
 * `<port> [flags]` form. Unknown flags become warnings so newer SDKs can pass new flags.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const warnings: string[] = [];
  const config: DevServerConfig = {
    mode: 'dev',
    port: DEFAULT_PORT,
    ip: '127.0.0.1',
    namespaces: ['default'],
    headless: false,
    logFormat: 'pretty',
    logLevel: 'info',
    dynamicConfig: {},
    searchAttributes: [],
    enableTimeSkipping: false,
  };
  let rest = [...argv];
  if (rest[0] !== undefined && /^\d+$/.test(rest[0])) {
    config.mode = 'time-skipping';
    config.port = parsePort(rest[0]);
    config.headless = true;
    // Like the Java test server, say little unless asked (its launcher passes no log flags).
    config.logLevel = 'warn';
    rest = rest.slice(1);
  } else if (rest[0] === 'server' && rest[1] === 'start-dev') {
    rest = rest.slice(2);
  } else if (rest.length > 0 && !rest[0].startsWith('-')) {
    throw new UsageError(`Unknown command "${rest.join(' ')}"; expected "server start-dev [flags]" or "<port>"`);
  }

  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      warnings.push(`Ignoring unexpected argument "${arg}"`);
      continue;
    }
    const name = match[1];
    if (BOOLEAN_FLAGS.has(name)) {
      if (name === 'headless') config.headless = true;
      if (name === 'enable-time-skipping') config.enableTimeSkipping = true;
      continue;
    }
    const canonical = VALUE_FLAGS[name];
    if (canonical === undefined) {
      warnings.push(`Ignoring unknown flag "--${name}"`);
      // An unknown flag followed by a non-flag is taken to be that flag's value.
      if (match[2] === undefined && rest[i + 1] !== undefined && !rest[i + 1].startsWith('-')) i++;
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined) throw new UsageError(`Flag --${name} needs a value`);
    }
    applyFlag(config, canonical, name, value, warnings);
  }
  if (config.enableTimeSkipping && config.mode !== 'time-skipping') {
    warnings.push('--enable-time-skipping only applies to the time-skipping form "temporal-dev <port>"; ignored');
    config.enableTimeSkipping = false;
  }
  config.namespaces = [...new Set(config.namespaces)];
  return { config, warnings };
}

function applyFlag(
  config: DevServerConfig,
  canonical: string,
  name: string,
  value: string,
  warnings: string[],
): void {
  switch (canonical) {
    case 'port':
      config.port = parsePort(value);
      return;
    case 'ip':
      config.ip = value;
      return;
    case 'namespace':
      config.namespaces.push(value);
      return;
    case 'db-filename':
      config.dbFilename = value;
      return;
    case 'ui-port':
      config.uiPort = parsePort(value);
      warnings.push('--ui-port is accepted and ignored: the Web UI is a separate program (the Temporal UI server); see devserver/README.md');
      return;
    case 'log-format':
      if (value !== 'json' && value !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${value}"`);
      config.logFormat = value;
      return;
    case 'log-level': {
      const level = parseLogLevel(value);
      if (!level) throw new UsageError(`--log-level must be debug, info, warn, error or never, got "${value}"`);
      config.logLevel = level;
      return;
    }
    case 'dynamic-config-value': {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new UsageError(`--dynamic-config-value must be KEY=VALUE, got "${value}"`);
      const key = value.slice(0, eq);
      if (DURATION_SETTINGS.has(key) && parseDurationMs(value.slice(eq + 1)) === undefined) {
        throw new UsageError(`--dynamic-config-value ${key} must be a duration such as "500ms" or "20s", got "${value.slice(eq + 1)}"`);
      }
      if (BYTE_SETTINGS.has(key) && !/^\d+$/.test(value.slice(eq + 1).trim())) {
        throw new UsageError(`--dynamic-config-value ${key} must be a whole number, got "${value.slice(eq + 1)}"`);
      }
      config.dynamicConfig[key] = value.slice(eq + 1);
      return;
    }
    case 'search-attribute': {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new UsageError(`--search-attribute must be NAME=TYPE, got "${value}"`);
      const typeName = value.slice(eq + 1);
      const type = SEARCH_ATTRIBUTE_TYPES.find((t) => t.toLowerCase() === typeName.toLowerCase());
      if (!type) {
        throw new UsageError(
          `--search-attribute ${value}: type must be one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}`,
        );
      }
      config.searchAttributes.push({ name: value.slice(0, eq), type });
      return;
    }
    default:
      warnings.push(`Ignoring --${name}: not supported by the cellops dev server`);
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`Invalid port "${value}"`);
  return port;
}

/** Dynamic config settings that are sizes in bytes or counts (the limits, engine/limit-settings.ts). */
const BYTE_SETTINGS: ReadonlySet<string> = new Set([
  'limit.blobSize.error',
  'limit.blobSize.warn',
  // History length (events) and size (bytes) past which a run is terminated (error) or logged (warn).
  'limit.historyCount.error',
  'limit.historyCount.warn',
  'limit.historySize.error',
  'limit.historySize.warn',
  // History length (events) and size (bytes) from which workflow tasks suggest continue-as-new.
  'limit.historyCount.suggestContinueAsNew',
  'limit.historySize.suggestContinueAsNew',
  // Memo and search attribute sizes (bytes; the number of search attributes a request may set).
  'limit.memoSize.error',
  'limit.memoSize.warn',
  'frontend.searchAttributesNumberOfKeysLimit',
  'frontend.searchAttributesSizeOfValueLimit',
  'frontend.searchAttributesTotalSizeLimit',
  // Pending activities, children, external signals and cancel requests a run may have (0: no limit).
  'limit.numPendingActivities.error',
  'limit.numPendingChildExecutions.error',
  'limit.numPendingSignals.error',
  'limit.numPendingCancelRequests.error',
]);

/** Dynamic config settings that are durations. */
const DURATION_SETTINGS: ReadonlySet<string> = new Set([
  // How long UpdateWorkflowExecution / PollWorkflowExecutionUpdate wait before answering the
  // stage reached so far (the real server's history long poll; default 20 s).
  'history.longPollExpirationInterval',
]);

/** A Go-style duration as dynamic config values spell it ("500ms", "20s", "1m", "1h", maybe quoted). */
function parseDurationMs(text: string): number | undefined {
  const match = /^\s*"?(\d+(?:\.\d+)?)(ms|s|m|h)"?\s*$/.exec(text);
  if (!match) return undefined;
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unitMs;
}

/** The value of a numeric dynamic config setting, if it was given. */
export function dynamicConfigNumber(config: DevServerConfig, key: string): number | undefined {
  const value = config.dynamicConfig[key];
  return value === undefined ? undefined : Number(value.trim());
}

/** The value of a duration dynamic config setting in milliseconds, if it was given. */
export function dynamicConfigDurationMs(config: DevServerConfig, key: string): number | undefined {
  const value = config.dynamicConfig[key];
  return value === undefined ? undefined : parseDurationMs(value);
}
