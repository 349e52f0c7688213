import { drainSchedule, expectedSharePercent, restoreSchedule } from '../../domain/procedures/drain-plan';

describe('drainSchedule', () => {
  it.each([
    [100, 25, [75, 50, 25, 0]],
    [100, 100, [0]],
    [255, 50, [128, 0]],
    [10, 30, [7, 4, 1, 0]],
    [3, 25, [2, 1, 0]],
    [0, 25, []],
  ])('drains weight %i in steps of %i%% as %j', (from, step, expected) => {
    expect(drainSchedule(from, step)).toEqual(expected);
  });

  it('rejects weights outside 0-255 and steps outside (0, 100]', () => {
    expect(() => drainSchedule(256, 25)).toThrow('weight 256: expected an integer 0-255');
    expect(() => drainSchedule(100, 0)).toThrow('step 0%: expected more than 0 and at most 100');
  });
});

describe('restoreSchedule', () => {
  it.each([
    [0, 100, 25, [25, 50, 75, 100]],
    [50, 100, 25, [75, 100]],
    [100, 100, 25, []],
    [0, 255, 50, [128, 255]],
  ])('restores from %i to %i in steps of %i%% as %j', (from, to, step, expected) => {
    expect(restoreSchedule(from, to, step)).toEqual(expected);
  });
});

describe('expectedSharePercent', () => {
  it('is the weight over the group total, and 0 for an empty group', () => {
    expect(expectedSharePercent(100, 300)).toBe(25);
    expect(expectedSharePercent(0, 200)).toBe(0);
    expect(expectedSharePercent(0, 0)).toBe(0);
  });
});
