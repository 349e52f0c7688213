import { invalidArgument } from '../engine/errors';
import type { api } from '../engine/proto';

type Range = api.schedule.v1.IRange;
type StructuredCalendar = api.schedule.v1.IStructuredCalendarSpec;
type CalendarStrings = api.schedule.v1.ICalendarSpec;

/** A spec the server rejects; the SDK turns "Invalid schedule spec: ..." into a TypeError. */
export function invalidSpec(message: string): Error {
  return invalidArgument(`Invalid schedule spec: ${message}`);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name (1 for months, 0 for days). */
  namesFrom?: number;
}

const FIELDS = {
  second: { name: 'second', min: 0, max: 59 },
  minute: { name: 'minute', min: 0, max: 59 },
  hour: { name: 'hour', min: 0, max: 23 },
  dayOfMonth: { name: 'day_of_month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  year: { name: 'year', min: 1970, max: 2999 },
  dayOfWeek: { name: 'day_of_week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
} satisfies Record<string, FieldRule>;

function parseValue(text: string, rule: FieldRule): number {
  const lower = text.toLowerCase();
  if (rule.names) {
    const index = rule.names.findIndex((n) => lower === n || (FULL_NAMES.has(lower) && lower.startsWith(n)));
    if (index >= 0) return index + (rule.namesFrom ?? 0);
  }
  if (!/^\d+$/.test(text)) throw invalidSpec(`invalid value in ${rule.name}: "${text}"`);
  const value = Number(text);
  if (value < rule.min || value > rule.max) throw invalidSpec(`${rule.name} value ${value} out of range ${rule.min}-${rule.max}`);
  return value;
}

const FULL_NAMES = new Set([
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
]);

/**
 * One field of a cron string or CalendarSpec ("*", "x", "x-z", "x/y", "x-z/y", lists) as
 * Ranges. Day of week 7 is Sunday (0).
 */
export function parseField(text: string, rule: FieldRule): Range[] {
  const ranges: Range[] = [];
  for (const part of text.split(',')) {
    if (part === '') throw invalidSpec(`empty item in ${rule.name}: "${text}"`);
    const [base, stepText, extra] = part.split('/');
    if (extra !== undefined) throw invalidSpec(`invalid ${rule.name}: "${part}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalidSpec(`invalid step in ${rule.name}: "${part}"`);
    let start: number;
    let end: number;
    if (base === '*' || base === '?') {
      start = rule.min;
      end = rule.name === 'day_of_week' ? 6 : rule.max;
    } else if (base.includes('-')) {
      const [a, b] = base.split('-');
      start = parseValue(a, rule);
      end = parseValue(b, rule);
      if (end < start) throw invalidSpec(`invalid range in ${rule.name}: "${part}"`);
    } else {
      start = parseValue(base, rule);
      end = stepText === undefined ? start : rule.name === 'day_of_week' ? 6 : rule.max;
    }
    if (rule.name === 'day_of_week' && start === 7 && end === 7) {
      ranges.push({ start: 0, end: 0, step: 1 });
      continue;
    }
    ranges.push({ start, end, step });
    // 7 as the end of a day-of-week range (e.g. 5-7) includes Sunday.
    if (rule.name === 'day_of_week' && end === 7) ranges.push({ start: 0, end: 0, step: 1 });
  }
  return ranges;
}

/** A CalendarSpec (string fields) compiled, with the real server's defaults (0 for time fields, * for the rest). */
export function compileCalendar(spec: CalendarStrings): StructuredCalendar {
  const field = (text: string | null | undefined, fallback: string, rule: FieldRule): Range[] =>
    parseField(text || fallback, rule);
  const compiled: StructuredCalendar = {
    second: field(spec.second, '0', FIELDS.second),
    minute: field(spec.minute, '0', FIELDS.minute),
    hour: field(spec.hour, '0', FIELDS.hour),
    dayOfMonth: field(spec.dayOfMonth, '*', FIELDS.dayOfMonth),
    month: field(spec.month, '*', FIELDS.month),
    dayOfWeek: field(spec.dayOfWeek, '*', FIELDS.dayOfWeek),
    comment: spec.comment ?? '',
  };
  if (spec.year && spec.year !== '*') compiled.year = parseField(spec.year, FIELDS.year);
  return compiled;
}

const PREDEFINED: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** What a cron string compiles to: a calendar or an interval, and perhaps a time zone. */
export interface CompiledCron {
  calendar?: StructuredCalendar;
  interval?: { intervalMs: number; phaseMs: number };
  timezone?: string;
}

/**
 * A cron string as the real server reads it: optional `CRON_TZ=`/`TZ=` prefix, optional `#`
 * comment, then `@every <interval>[/<phase>]`, a predefined `@daily` etc., or 5 (minute hour
 * day_of_month month day_of_week), 6 (… year) or 7 (second … year) fields.
 */
export function compileCron(cron: string): CompiledCron {
  let text = cron.trim();
  const result: CompiledCron = {};
  let comment = '';
  const hash = text.indexOf('#');
  if (hash >= 0) {
    comment = text.slice(hash + 1).trim();
    text = text.slice(0, hash).trim();
  }
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    result.timezone = tz[1];
    text = tz[2].trim();
  }
  if (text.startsWith('@every')) {
    const [intervalText, phaseText] = text.slice('@every'.length).trim().split('/');
    const intervalMs = parseGoDuration(intervalText);
    if (intervalMs <= 0) throw invalidSpec(`invalid interval in "${cron}"`);
    result.interval = { intervalMs, phaseMs: phaseText ? parseGoDuration(phaseText) : 0 };
    return result;
  }
  const predefined = PREDEFINED[text.toLowerCase()];
  if (predefined) text = predefined;
  const fields = text.split(/\s+/);
  let spec: CalendarStrings;
  if (fields.length === 5) {
    spec = { minute: fields[0], hour: fields[1], dayOfMonth: fields[2], month: fields[3], dayOfWeek: fields[4] };
  } else if (fields.length === 6) {
    spec = { minute: fields[0], hour: fields[1], dayOfMonth: fields[2], month: fields[3], dayOfWeek: fields[4], year: fields[5] };
  } else if (fields.length === 7) {
    spec = {
      second: fields[0], minute: fields[1], hour: fields[2], dayOfMonth: fields[3], month: fields[4], dayOfWeek: fields[5], year: fields[6],
    };
  } else {
    throw invalidSpec(`cron string "${cron}" must have 5, 6 or 7 fields`);
  }
  result.calendar = compileCalendar({ ...spec, comment });
  return result;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A Go-style duration ("1h30m", "90s", "1d") in milliseconds. */
export function parseGoDuration(text: string): number {
  const trimmed = text.trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    consumed = m.index + m[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) throw invalidSpec(`invalid duration "${text}"`);
  return Math.round(total);
}

// -----------------------------------------------------------------------------------------------
// Matching

/** A structured calendar with every field expanded to a sorted list of allowed values. */
export interface ExpandedCalendar {
  seconds: number[];
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  /** Undefined: every year. */
  years: Set<number> | undefined;
  daysOfWeek: Set<number>;
  /** Smallest and largest allowed year, for bounding searches. */
  maxYear: number;
}

function expand(ranges: Range[] | null | undefined, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const r of ranges ?? []) {
    const start = r.start ?? 0;
    const end = Math.max(r.end ?? 0, start);
    const step = r.step && r.step > 0 ? r.step : 1;
    for (let v = start; v <= end; v += step) if (v >= min && v <= max) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

export function expandCalendar(spec: StructuredCalendar): ExpandedCalendar {
  const years = spec.year && spec.year.length > 0 ? new Set(expand(spec.year, 0, 9999)) : undefined;
  return {
    seconds: expand(spec.second, 0, 59),
    minutes: expand(spec.minute, 0, 59),
    hours: expand(spec.hour, 0, 23),
    days: new Set(expand(spec.dayOfMonth, 1, 31)),
    months: new Set(expand(spec.month, 1, 12)),
    years,
    daysOfWeek: new Set(expand(spec.dayOfWeek, 0, 7).map((d) => (d === 7 ? 0 : d))),
    maxYear: years ? Math.max(...years) : Number.POSITIVE_INFINITY,
  };
}

/** Wall-clock fields of an instant in a time zone. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Throws INVALID_ARGUMENT for a time zone name Intl does not know. */
export function checkTimezone(timezone: string): void {
  if (!timezone || timezone === 'UTC') return;
  try {
    formatter(timezone);
  } catch {
    throw invalidSpec(`unknown time zone "${timezone}"`);
  }
}

export function localTime(ms: number, timezone: string): LocalTime {
  if (!timezone || timezone === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

function localAsUtc(t: LocalTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

/** The instant of a wall-clock time in a zone (the earlier one when ambiguous, shifted forward in a gap, as Go does). */
export function zonedToUtc(t: LocalTime, timezone: string): number {
  const wall = localAsUtc(t);
  if (!timezone || timezone === 'UTC') return wall;
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const offset = localAsUtc(localTime(guess, timezone)) - guess;
    const next = wall - offset;
    if (next === guess) break;
    guess = next;
  }
  // Prefer the earlier instant of an ambiguous time.
  const earlier = guess - 3_600_000;
  if (localAsUtc(localTime(earlier, timezone)) === wall) return earlier;
  return guess;
}

/** Whether an instant matches the calendar in the zone. */
export function calendarMatches(cal: ExpandedCalendar, ms: number, timezone: string): boolean {
  if (ms % 1000 !== 0) return false;
  const t = localTime(ms, timezone);
  const dow = new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
  return (
    cal.seconds.includes(t.second) &&
    cal.minutes.includes(t.minute) &&
    cal.hours.includes(t.hour) &&
    cal.days.has(t.day) &&
    cal.months.has(t.month) &&
    (cal.years === undefined || cal.years.has(t.year)) &&
    cal.daysOfWeek.has(dow)
  );
}

const DAY_MS = 86_400_000;
/** How far ahead a calendar is searched (the real server also gives up after some years). */
const SEARCH_DAYS = 366 * 10;

/** The first instant strictly after `afterMs` that matches the calendar in the zone, or undefined. */
export function nextCalendarTime(cal: ExpandedCalendar, afterMs: number, timezone: string): number | undefined {
  if (cal.seconds.length === 0 || cal.minutes.length === 0 || cal.hours.length === 0) return undefined;
  const start = localTime(afterMs, timezone);
  let dayUtc = Date.UTC(start.year, start.month - 1, start.day) - DAY_MS;
  for (let i = 0; i < SEARCH_DAYS + 2; i++, dayUtc += DAY_MS) {
    const d = new Date(dayUtc);
    const year = d.getUTCFullYear();
    if (year > cal.maxYear) return undefined;
    if (cal.years && !cal.years.has(year)) continue;
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!cal.months.has(month) || !cal.days.has(day) || !cal.daysOfWeek.has(d.getUTCDay())) continue;
    const sameDay = year === start.year && month === start.month && day === start.day;
    for (const hour of cal.hours) {
      // Hours well before the starting wall-clock time cannot be later (allowing for DST shifts).
      if (sameDay && hour < start.hour - 3) continue;
      for (const minute of cal.minutes) {
        for (const second of cal.seconds) {
          const at = zonedToUtc({ year, month, day, hour, minute, second }, timezone);
          if (at > afterMs && calendarMatches(cal, at, timezone)) return at;
        }
      }
    }
  }
  return undefined;
}
