import { activeFreeze, describeActiveFreeze, freezeEndAt } from '../../domain/change-freezes';
import type { ChangeFreeze } from '../../domain/registry/schema';

const at = (iso: string): number => Date.parse(iso);
const WEEKEND: ChangeFreeze = { name: 'weekend', reason: 'no one on call', weekly: { start: 'Fri 16:00', end: 'Mon 08:00' } };
const LUNCH: ChangeFreeze = { name: 'lunch', reason: 'peak orders', weekly: { start: 'Wed 11:30', end: 'Wed 14:00' } };
const YEAR_END: ChangeFreeze = { name: 'year-end', reason: 'peak trading', start: '2026-12-24T00:00:00Z', end: '2026-12-28T06:00:00Z' };

describe('change freezes', () => {
  test('a weekly freeze wrapping over the week end: inside from Friday 16:00 to Monday 08:00 UTC, end excluded', () => {
    // 2026-12-04 is a Friday
    expect(freezeEndAt(WEEKEND, at('2026-12-04T15:59:00Z'))).toBeUndefined();
    expect(freezeEndAt(WEEKEND, at('2026-12-04T16:00:00Z'))).toBe(at('2026-12-07T08:00:00Z'));
    expect(freezeEndAt(WEEKEND, at('2026-12-06T23:00:00Z'))).toBe(at('2026-12-07T08:00:00Z'));
    expect(freezeEndAt(WEEKEND, at('2026-12-07T07:59:00Z'))).toBe(at('2026-12-07T08:00:00Z'));
    expect(freezeEndAt(WEEKEND, at('2026-12-07T08:00:00Z'))).toBeUndefined();
    expect(freezeEndAt(WEEKEND, at('2026-12-09T12:00:00Z'))).toBeUndefined();
  });

  test('a weekly freeze within one day, and an absolute one', () => {
    expect(freezeEndAt(LUNCH, at('2026-12-09T12:00:00Z'))).toBe(at('2026-12-09T14:00:00Z'));
    expect(freezeEndAt(LUNCH, at('2026-12-10T12:00:00Z'))).toBeUndefined();
    expect(freezeEndAt(YEAR_END, at('2026-12-23T23:59:59Z'))).toBeUndefined();
    expect(freezeEndAt(YEAR_END, at('2026-12-25T10:00:00Z'))).toBe(at('2026-12-28T06:00:00Z'));
  });

  test('back-to-back freezes: changes go on only when the last one ends; the description names each freeze and the end', () => {
    // Christmas Day 2026 is a Friday: year-end ends on Monday 06:00, inside the weekend freeze, which ends at 08:00.
    const frozen = activeFreeze([WEEKEND, YEAR_END], at('2026-12-25T10:00:00Z'));
    expect(frozen?.freezes.map((f) => f.name)).toEqual(['year-end']);
    expect(activeFreeze([WEEKEND, YEAR_END], at('2026-12-25T17:00:00Z'))?.freezes.map((f) => f.name)).toEqual(['weekend', 'year-end']);
    expect(frozen?.untilMs).toBe(at('2026-12-28T08:00:00Z'));
    expect(describeActiveFreeze(activeFreeze([YEAR_END], at('2026-12-24T00:00:00Z')) as NonNullable<ReturnType<typeof activeFreeze>>)).toBe(
      'inside change freeze year-end (peak trading, 2026-12-24T00:00:00Z to 2026-12-28T06:00:00Z) until 2026-12-28T06:00:00.000Z',
    );
    expect(activeFreeze([WEEKEND, YEAR_END], at('2026-12-09T12:00:00Z'))).toBeUndefined();
    expect(activeFreeze(undefined, at('2026-12-09T12:00:00Z'))).toBeUndefined();
  });
});
