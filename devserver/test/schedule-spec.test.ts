/**
 * Schedule specs as the dev server computes them: cron strings compiled as the real server does,
 * calendar times in a time zone (across a DST change), intervals with a phase, skips, start/end
 * and jitter bounds. Pure functions, no server.
 */
import { compileCron } from '../schedules/calendar';
import { CompiledSpec, normalizeSpec } from '../schedules/spec';
import { duration, timestamp } from '../engine/proto';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

function times(spec: Parameters<typeof normalizeSpec>[0], from: string, to: string, seed = 'seed'): string[] {
  return new CompiledSpec(normalizeSpec(spec), seed).timesBetween(Date.parse(from), Date.parse(to)).map((t) => iso(t.actualMs));
}

describe('schedule specs', () => {
  it('compiles a 5-field cron string into a structured calendar with names and steps', () => {
    const { calendar } = compileCron('*/15 9-17 * JAN,dec MON-FRI');
    expect(calendar).toMatchObject({
      second: [{ start: 0, end: 0, step: 1 }],
      minute: [{ start: 0, end: 59, step: 15 }],
      hour: [{ start: 9, end: 17, step: 1 }],
      month: [{ start: 1, end: 1, step: 1 }, { start: 12, end: 12, step: 1 }],
      dayOfWeek: [{ start: 1, end: 5, step: 1 }],
    });
    expect(calendar?.year).toBeUndefined();
  });

  it('reads 6 fields as ending with the year, 7 as starting with the second, and CRON_TZ, @every and @daily', () => {
    expect(compileCron('0 12 1 1 * 2030').calendar?.year).toEqual([{ start: 2030, end: 2030, step: 1 }]);
    expect(compileCron('30 0 12 1 1 * 2030').calendar?.second).toEqual([{ start: 30, end: 30, step: 1 }]);
    expect(compileCron('CRON_TZ=Europe/Paris 0 9 * * *')).toMatchObject({ timezone: 'Europe/Paris' });
    expect(compileCron('@every 90m/15m').interval).toEqual({ intervalMs: 90 * 60_000, phaseMs: 15 * 60_000 });
    expect(compileCron('@daily # nightly').calendar).toMatchObject({ hour: [{ start: 0, end: 0, step: 1 }], comment: 'nightly' });
  });

  it('rejects a cron string with the wrong number of fields or a value out of range', () => {
    expect(() => compileCron('* * *')).toThrow(/Invalid schedule spec: cron string "\* \* \*" must have 5, 6 or 7 fields/);
    expect(() => compileCron('0 25 * * *')).toThrow(/hour value 25 out of range/);
  });

  it('normalizes cron strings into structured calendars and the time zone, as Describe returns them', () => {
    const spec = normalizeSpec({ cronString: ['CRON_TZ=America/New_York 0 9 * * MON'] });
    expect(spec.cronString).toBeUndefined();
    expect(spec.structuredCalendar).toHaveLength(1);
    expect(spec.timezoneName).toBe('America/New_York');
  });

  it('fires at 09:00 New York time on both sides of the DST change', () => {
    // 2026-03-08 is the US spring-forward day: 09:00 EST is 14:00Z before, 09:00 EDT is 13:00Z after.
    expect(times({ cronString: ['0 9 * * *'], timezoneName: 'America/New_York' }, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-06T14:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ]);
  });

  it('combines calendars and intervals, honours the phase, skips and start/end times', () => {
    const spec = {
      interval: [{ interval: duration(6 * HOUR), phase: duration(HOUR) }],
      excludeStructuredCalendar: [{ hour: [{ start: 13 }], minute: [{ start: 0 }], second: [{ start: 0 }], dayOfMonth: [{ start: 1, end: 31 }], month: [{ start: 1, end: 12 }], dayOfWeek: [{ start: 0, end: 6 }] }],
      startTime: timestamp(Date.parse('2026-01-01T05:00:00Z')),
      endTime: timestamp(Date.parse('2026-01-02T08:00:00Z')),
    };
    expect(times(spec, '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z')).toEqual([
      '2026-01-01T07:00:00.000Z',
      '2026-01-01T19:00:00.000Z',
      '2026-01-02T01:00:00.000Z',
      '2026-01-02T07:00:00.000Z',
    ]);
  });

  it('skips weekends given as a skip calendar on a daily cron', () => {
    const weekend = { second: [{ start: 0 }], minute: [{ start: 0, end: 59 }], hour: [{ start: 0, end: 23 }], dayOfMonth: [{ start: 1, end: 31 }], month: [{ start: 1, end: 12 }], dayOfWeek: [{ start: 0 }, { start: 6 }] };
    const days = times({ cronString: ['0 3 * * *'], excludeStructuredCalendar: [weekend] }, '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z');
    // 2026-01-03 and 04 are Saturday and Sunday.
    expect(days.map((d) => d.slice(0, 10))).toEqual(['2026-01-01', '2026-01-02', '2026-01-05', '2026-01-06', '2026-01-07']);
  });

  it('jitters each time by a stable offset below the jitter and before the next nominal time', () => {
    const spec = { interval: [{ interval: duration(DAY) }], jitter: duration(2 * HOUR) };
    const first = new CompiledSpec(normalizeSpec(spec), 'a').timesBetween(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-02-01T00:00:00Z'));
    const again = new CompiledSpec(normalizeSpec(spec), 'a').timesBetween(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-02-01T00:00:00Z'));
    expect(first).toHaveLength(31);
    expect(again).toEqual(first);
    for (const t of first) {
      expect(t.actualMs - t.nominalMs).toBeGreaterThanOrEqual(0);
      expect(t.actualMs - t.nominalMs).toBeLessThan(2 * HOUR);
    }
    expect(new Set(first.map((t) => t.actualMs - t.nominalMs)).size).toBeGreaterThan(1);
    // A jitter longer than the interval is cut to the interval.
    const wide = new CompiledSpec(normalizeSpec({ interval: [{ interval: duration(HOUR) }], jitter: duration(DAY) }), 'b');
    for (const t of wide.timesBetween(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z'))) {
      expect(t.actualMs - t.nominalMs).toBeLessThan(HOUR);
    }
  });
});
