/** Log levels in increasing severity, as the Temporal CLI names them. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'pretty' | 'json';

/** A small structured logger writing one line per entry to stderr. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Parses a CLI log level; the CLI also accepts "never" to silence everything. */
export function parseLogLevel(value: string): LogLevel | 'never' | undefined {
  const lower = value.toLowerCase();
  if (lower === 'never') return 'never';
  if (lower === 'warning') return 'warn';
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : undefined;
}

/**
 * Creates a logger that drops entries below `level` and writes the rest to `write` (stderr by
 * default) as JSON or as a human-readable line.
 */
export function createLogger(
  level: LogLevel | 'never',
  format: LogFormat = 'pretty',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = level === 'never' ? LOG_LEVELS.length : LOG_LEVELS.indexOf(level);
  const log = (entryLevel: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LOG_LEVELS.indexOf(entryLevel) < threshold) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      write(`${JSON.stringify({ time, level: entryLevel, msg, ...fields })}\n`);
      return;
    }
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')
      : '';
    write(`${time} ${entryLevel.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}\n`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}
