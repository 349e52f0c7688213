const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Parses an RFC 3339 timestamp, as Go's `time.Parse(time.RFC3339Nano, …)` accepts it, into
 * nanoseconds since the epoch. Nanoseconds, because queries may carry more precision than a Date.
 */
export function parseDatetime(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = m[9] ? Number(m[9]) : 0;
  const offsetMinutes = m[10] ? Number(m[10]) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const offsetMs = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const fractionNs = BigInt((m[7] ?? '').padEnd(9, '0'));
  return BigInt(date.getTime() - offsetMs) * 1_000_000n + fractionNs;
}

/** Nanoseconds since the epoch of a record's Datetime value (a Date, or an RFC 3339 string). */
export function datetimeOf(value: unknown): bigint | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
  }
  return typeof value === 'string' ? parseDatetime(value) : undefined;
}

const DURATION_UNITS_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3, // micro sign
  '\u03bcs': 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86_400e9, // Temporal's extension of Go's units
};

/** Go's `time.ParseDuration` syntax ("1h30m", "-1.5h", "300ms") plus `d` for days, in nanoseconds. */
function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const digits = number ? number[0] : '';
    if (!/\d/.test(digits)) return undefined;
    rest = rest.slice(digits.length);
    const unit = /^[^\d.]+/.exec(rest)?.[0];
    if (!unit || !(unit in DURATION_UNITS_NS)) return undefined;
    rest = rest.slice(unit.length);
    total += Number(digits) * DURATION_UNITS_NS[unit];
  }
  return sign * Math.round(total);
}

/**
 * An `ExecutionDuration` value given as a string, in nanoseconds: an integer count of
 * nanoseconds, a Go duration ("2h45m", "1d"), or "hh:mm:ss" — the forms Temporal accepts.
 */
export function parseExecutionDuration(text: string): number | undefined {
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  const go = parseGoDuration(text);
  if (go !== undefined) return go;
  const hms = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (!hms) return undefined;
  const [hours, minutes, seconds] = hms.slice(1).map(Number);
  if (minutes > 59 || seconds > 59) return undefined;
  return ((hours * 60 + minutes) * 60 + seconds) * 1e9;
}

/** ExecutionStatus names in the order of the proto enum, so `ExecutionStatus = 1` means Running. */
const STATUS_NAMES = ['Unspecified', 'Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];

const screamingCase = (name: string): string =>
  `WORKFLOW_EXECUTION_STATUS_${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;

/**
 * The record spelling ("Running") of an ExecutionStatus query value: the same name
 * (case-sensitive), the proto name (`WORKFLOW_EXECUTION_STATUS_RUNNING`) or the enum number.
 */
export function executionStatusName(value: string | number): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? STATUS_NAMES[value] : undefined;
  return STATUS_NAMES.find((name) => name === value || screamingCase(name) === value);
}
