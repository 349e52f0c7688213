import { createHash } from 'node:crypto';
import { duration, durationMs, timestampMs, type api } from '../engine/proto';
import {
  calendarMatches,
  checkTimezone,
  compileCalendar,
  compileCron,
  expandCalendar,
  invalidSpec,
  nextCalendarTime,
  type ExpandedCalendar,
} from './calendar';

type ScheduleSpec = api.schedule.v1.IScheduleSpec;

/**
 * A spec as the server stores and describes it: `calendar` and `cron_string` compiled into
 * `structured_calendar` (and `interval`, `timezone_name` for `@every` and `CRON_TZ=`), as the
 * real server does on input. Throws INVALID_ARGUMENT ("Invalid schedule spec: ...").
 */
export function normalizeSpec(spec: ScheduleSpec | null | undefined): ScheduleSpec {
  const input = spec ?? {};
  const structured = [...(input.structuredCalendar ?? [])];
  // A missing phase is described as zero, as the real server does.
  const intervals = (input.interval ?? []).map((iv) => ({ interval: iv.interval, phase: iv.phase ?? duration(0) }));
  let timezone = input.timezoneName ?? '';
  for (const cal of input.calendar ?? []) structured.push(compileCalendar(cal));
  for (const cron of input.cronString ?? []) {
    const compiled = compileCron(cron);
    if (compiled.calendar) structured.push(compiled.calendar);
    if (compiled.interval) intervals.push({ interval: duration(compiled.interval.intervalMs), phase: duration(compiled.interval.phaseMs) });
    if (compiled.timezone) {
      if (timezone && timezone !== compiled.timezone) throw invalidSpec('cron strings name different time zones');
      timezone = compiled.timezone;
    }
  }
  const exclude = [...(input.excludeStructuredCalendar ?? []), ...(input.excludeCalendar ?? []).map(compileCalendar)];
  for (const iv of intervals) {
    const every = durationMs(iv.interval);
    if (every < 1000) throw invalidSpec('interval must be at least 1 second');
    const phase = durationMs(iv.phase);
    if (phase < 0 || phase >= every) throw invalidSpec('phase must be non-negative and less than the interval');
  }
  if (durationMs(input.jitter) < 0) throw invalidSpec('jitter must be non-negative');
  checkTimezone(timezone);
  const start = timestampMs(input.startTime);
  const end = timestampMs(input.endTime);
  if (start > 0 && end > 0 && end < start) throw invalidSpec('end time is before start time');
  const normalized: ScheduleSpec = {
    structuredCalendar: structured,
    interval: intervals,
    excludeStructuredCalendar: exclude,
    timezoneName: timezone,
  };
  if (input.startTime) normalized.startTime = input.startTime;
  if (input.endTime) normalized.endTime = input.endTime;
  if (input.jitter) normalized.jitter = input.jitter;
  return normalized;
}

/** One time the schedule fires: the nominal time of its spec and the time after jitter. */
export interface SpecTime {
  nominalMs: number;
  actualMs: number;
}

/** A normalized spec ready for computing times. */
export class CompiledSpec {
  private readonly calendars: ExpandedCalendar[];
  private readonly intervals: { every: number; phase: number }[];
  private readonly excludes: ExpandedCalendar[];
  private readonly timezone: string;
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly jitterMs: number;

  constructor(
    spec: ScheduleSpec,
    /** Seeds the jitter, so that each schedule has its own, stable offsets. */
    private readonly jitterSeed: string,
  ) {
    this.calendars = (spec.structuredCalendar ?? []).map(expandCalendar);
    this.intervals = (spec.interval ?? []).map((iv) => ({ every: durationMs(iv.interval), phase: durationMs(iv.phase) }));
    this.excludes = (spec.excludeStructuredCalendar ?? []).map(expandCalendar);
    this.timezone = spec.timezoneName ?? '';
    this.startMs = timestampMs(spec.startTime);
    this.endMs = timestampMs(spec.endTime);
    this.jitterMs = durationMs(spec.jitter);
  }

  /** The first nominal time strictly after `afterMs`, honouring start/end times and skips. */
  nextNominal(afterMs: number): number | undefined {
    let t = afterMs;
    if (this.startMs > 0 && t < this.startMs - 1) t = this.startMs - 1;
    for (let guard = 0; guard < 10_000; guard++) {
      let next: number | undefined;
      for (const cal of this.calendars) {
        const n = nextCalendarTime(cal, t, this.timezone);
        if (n !== undefined && (next === undefined || n < next)) next = n;
      }
      for (const { every, phase } of this.intervals) {
        const n = phase + (Math.floor((t - phase) / every) + 1) * every;
        if (next === undefined || n < next) next = n;
      }
      if (next === undefined) return undefined;
      if (this.endMs > 0 && next > this.endMs) return undefined;
      if (!this.excludes.some((cal) => calendarMatches(cal, next, this.timezone))) return next;
      t = next;
    }
    return undefined;
  }

  /**
   * The first time after the nominal time `afterNominalMs`, with its jitter: a stable offset
   * below the jitter, and never past the following nominal time, as on the real server.
   */
  next(afterNominalMs: number): SpecTime | undefined {
    const nominalMs = this.nextNominal(afterNominalMs);
    if (nominalMs === undefined) return undefined;
    if (this.jitterMs <= 0) return { nominalMs, actualMs: nominalMs };
    const following = this.nextNominal(nominalMs);
    const limit = following === undefined ? this.jitterMs : Math.min(this.jitterMs, following - nominalMs);
    return { nominalMs, actualMs: nominalMs + Math.floor(this.fraction(nominalMs) * limit) };
  }

  /** The actual times in [startMs, endMs]. */
  timesBetween(startMs: number, endMs: number, max = 1000): SpecTime[] {
    const times: SpecTime[] = [];
    // Jitter can put an actual time after `startMs` for a nominal time before it.
    let t = startMs - this.jitterMs - 1;
    while (times.length < max) {
      const next = this.next(t);
      if (!next || next.nominalMs > endMs) break;
      t = next.nominalMs;
      if (next.actualMs >= startMs && next.actualMs <= endMs) times.push(next);
    }
    return times;
  }

  private fraction(nominalMs: number): number {
    const digest = createHash('sha256').update(`${this.jitterSeed}/${nominalMs}`).digest();
    return digest.readUInt32BE(0) / 2 ** 32;
  }
}
