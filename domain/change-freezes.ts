/**
 * Change freezes (`policies.changeFreezes` in the registry): when a rollout may not change
 * cells. Pure: the workflow asks with its own (deterministic) time, the CLI with the clock.
 */
import type { ChangeFreeze } from './registry/schema';

/** The days of a weekly freeze, Monday first. */
export const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

const MINUTE_MS = 60_000;
const WEEK_MS = 7 * 24 * 60 * MINUTE_MS;
/** 1970-01-05T00:00Z, a Monday: weeks are counted from it. */
const FIRST_MONDAY_MS = 4 * 24 * 60 * MINUTE_MS;
/** Back-to-back freezes followed to find when changes may go on again, at most. */
const MAX_CHAINED = 100;

/** Milliseconds from Monday 00:00 UTC, for "Fri 16:00". */
function weekOffsetMs(at: string): number {
  const [day, time] = at.split(' ');
  const [hours, minutes] = time.split(':').map(Number);
  return ((WEEKDAY_NAMES.indexOf(day as (typeof WEEKDAY_NAMES)[number]) * 24 + hours) * 60 + minutes) * MINUTE_MS;
}

/** When the occurrence of `freeze` that `atMs` falls in ends, or undefined when it is outside it. */
export function freezeEndAt(freeze: ChangeFreeze, atMs: number): number | undefined {
  if (freeze.weekly === undefined) {
    const start = Date.parse(freeze.start ?? '');
    const end = Date.parse(freeze.end ?? '');
    return start <= atMs && atMs < end ? end : undefined;
  }
  const weekStart = atMs - ((((atMs - FIRST_MONDAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS);
  const into = atMs - weekStart;
  const start = weekOffsetMs(freeze.weekly.start);
  const end = weekOffsetMs(freeze.weekly.end);
  if (start < end) return start <= into && into < end ? weekStart + end : undefined;
  // Wraps over the week's end (e.g. Fri 16:00 to Mon 08:00).
  if (into >= start) return weekStart + WEEK_MS + end;
  return into < end ? weekStart + end : undefined;
}

/** The freezes `atMs` falls in, and when changes may go on again (back-to-back freezes followed). */
export interface ActiveFreeze {
  freezes: ChangeFreeze[];
  /** Epoch ms: the first moment outside every freeze. */
  untilMs: number;
}

export function activeFreeze(freezes: readonly ChangeFreeze[] | undefined, atMs: number): ActiveFreeze | undefined {
  const now = (freezes ?? []).filter((f) => freezeEndAt(f, atMs) !== undefined);
  if (now.length === 0) return undefined;
  let until = atMs;
  for (let i = 0; i < MAX_CHAINED; i += 1) {
    const ends = (freezes ?? []).map((f) => freezeEndAt(f, until)).filter((e): e is number => e !== undefined);
    if (ends.length === 0) break;
    until = Math.max(...ends);
  }
  return { freezes: now, untilMs: until };
}

/** "change freeze year-end (peak trading, 2026-12-20T00:00:00Z to 2026-12-27T00:00:00Z)". */
export function describeFreeze(freeze: ChangeFreeze): string {
  const when = freeze.weekly ? `weekly ${freeze.weekly.start} to ${freeze.weekly.end} UTC` : `${freeze.start ?? ''} to ${freeze.end ?? ''}`;
  return `change freeze ${freeze.name} (${freeze.reason}, ${when})`;
}

/** "inside change freeze year-end (…) until 2026-12-27T00:00:00.000Z". */
export function describeActiveFreeze(active: ActiveFreeze): string {
  return `inside ${active.freezes.map(describeFreeze).join(' and ')} until ${new Date(active.untilMs).toISOString()}`;
}
