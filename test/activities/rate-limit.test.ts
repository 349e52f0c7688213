import { KeyedMutex, TokenBucket } from '../../activities/rate-limit';

describe('TokenBucket', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  /** Starts `count` acquires at once and returns when each got its token, relative to the start. */
  async function grantTimes(bucket: TokenBucket, count: number, runMs: number): Promise<number[]> {
    const start = Date.now();
    const times: number[] = [];
    const all = Promise.all(Array.from({ length: count }, () => bucket.acquire().then(() => times.push(Date.now() - start))));
    await jest.advanceTimersByTimeAsync(runMs);
    await all;
    return times;
  }

  test('spaces concurrent callers evenly at the configured rate', async () => {
    // GIVEN a bucket of 5 requests per second without burst
    const bucket = new TokenBucket({ ratePerSecond: 5 });

    // WHEN ten callers want a token at the same moment
    const times = await grantTimes(bucket, 10, 5_000);

    // THEN they get one every 200 ms, in arrival order
    expect(times).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
  });

  test('lets a burst through at once, then falls back to the rate', async () => {
    // GIVEN a bucket of 10 per second that holds 3 tokens
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 });

    // WHEN five callers arrive together
    const times = await grantTimes(bucket, 5, 5_000);

    // THEN three pass at once and the rest wait their turn
    expect(times).toEqual([0, 0, 0, 100, 200]);
  });

  test('does not save up more than its burst while idle', async () => {
    // GIVEN a bucket without burst that has been idle for ten seconds
    const bucket = new TokenBucket({ ratePerSecond: 5 });
    await jest.advanceTimersByTimeAsync(10_000);

    // WHEN three callers arrive together
    const times = await grantTimes(bucket, 3, 5_000);

    // THEN only one passes at once
    expect(times).toEqual([0, 200, 400]);
  });

  test('rejects a rate or burst that cannot work', () => {
    // GIVEN / WHEN / THEN a zero rate, an infinite rate and a burst below one are refused
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: Infinity })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0.5 })).toThrow(RangeError);
  });
});

describe('KeyedMutex', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  test('runs tasks of one key one after the other, and tasks of other keys alongside', async () => {
    // GIVEN a mutex and a log of task starts and ends
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };

    // WHEN two tasks for zone A and one for zone B are started together
    await Promise.all([mutex.run('A', task('a1')), mutex.run('A', task('a2')), mutex.run('B', task('b1'))]);

    // THEN a2 starts only after a1 ended, while b1 ran without waiting
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  });

  test('releases the key when a task fails', async () => {
    // GIVEN a task for key A that fails
    const mutex = new KeyedMutex();
    const failing = mutex.run('A', () => Promise.reject(new Error('boom')));

    // WHEN the next task for key A runs
    const next = mutex.run('A', () => Promise.resolve('ran'));

    // THEN the failure reaches its caller and the next task still runs
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });
});
