/**
 * @module The dev server's programmatic entry point: start a server inside the calling process
 * (the executable `bin/temporal-dev` starts one in its own). Test helpers are in `./testing`.
 */
export { parseArgs, UsageError, type DevServerConfig, type ParsedArgs } from './config';
export { createLogger, type Logger, type LogFormat, type LogLevel } from './log';
export { startDevServer, type RunningDevServer } from './server';
