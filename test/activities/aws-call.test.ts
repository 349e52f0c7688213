import { CancelledFailure } from '@temporalio/common';
import { AwsCaller, pause } from '../../activities/aws-call';
import { ErrorType } from '../../activities/errors';
import type { RateLimiter } from '../../activities/rate-limit';
import { activityEnv, cfnError, failureOf, route53Error } from './helpers';

const retry = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 };
const throttled = () => route53Error({ name: 'Throttling', message: 'Rate exceeded' });

function countingLimiter(): RateLimiter & { acquired: number } {
  const limiter = {
    acquired: 0,
    acquire: () => {
      limiter.acquired += 1;
      return Promise.resolve();
    },
  };
  return limiter;
}

describe('AwsCaller', () => {
  test('retries throttled calls with growing, capped delays and a token per attempt', async () => {
    // GIVEN a call throttled twice, then answered
    const sleep = jest.fn(() => Promise.resolve());
    const limiter = countingLimiter();
    const caller = new AwsCaller({ sleep, retry, limiter });
    const send = jest.fn().mockRejectedValueOnce(throttled()).mockRejectedValueOnce(throttled()).mockResolvedValueOnce('ok');

    // WHEN it is sent
    const result = await activityEnv().run(() => caller.attempt(send));

    // THEN the throttling was absorbed, each attempt went through the limiter
    expect(result).toBe('ok');
    expect(send).toHaveBeenCalledTimes(3);
    expect(limiter.acquired).toBe(3);
    expect(sleep.mock.calls).toEqual([[100], [200]]);
  });

  test('gives up after the last attempt and the mapped failure says it was throttled', async () => {
    // GIVEN a call that is always throttled
    const sleep = jest.fn(() => Promise.resolve());
    const caller = new AwsCaller({ sleep, retry });
    const send = jest.fn().mockRejectedValue(throttled());

    // WHEN it is sent
    const failure = await failureOf(activityEnv().run(() => caller.call({ operation: 'GetChange' }, send)));

    // THEN it tried maxAttempts times, waiting at most maxDelayMs, and the failure is retryable
    expect(send).toHaveBeenCalledTimes(4);
    expect(sleep.mock.calls).toEqual([[100], [200], [250]]);
    expect(failure.type).toBe(ErrorType.AwsThrottled);
    expect(failure.nonRetryable).toBe(false);
  });

  test('throws any other error at once, as the SDK raised it', async () => {
    // GIVEN a call rejected as invalid
    const caller = new AwsCaller({ sleep: () => Promise.resolve(), retry });
    const invalid = cfnError({ name: 'ValidationError', message: 'No updates are to be performed.' });
    const send = jest.fn().mockRejectedValue(invalid);

    // WHEN it is sent with attempt (no mapping)
    const outcome = activityEnv().run(() => caller.attempt(send));

    // THEN the caller sees the raw error after one attempt, to recognise it
    await expect(outcome).rejects.toBe(invalid);
    expect(send).toHaveBeenCalledTimes(1);
  });

  test('passes the activity cancellation signal to the SDK call', async () => {
    // GIVEN a caller and an environment
    const env = activityEnv();
    const caller = new AwsCaller({ sleep: () => Promise.resolve(), retry });
    const send = jest.fn((signal: AbortSignal) => Promise.resolve(signal));

    // WHEN a call is sent
    const signal = await env.run(() => caller.attempt(send));

    // THEN the SDK received the context's signal, so cancelling aborts the request in flight
    expect(signal).toBe(env.context.cancellationSignal);
  });

  test('stops retrying when the activity is cancelled during the backoff', async () => {
    // GIVEN a throttled call whose backoff is interrupted by a cancellation
    const env = activityEnv();
    const sleep = jest.fn(() => {
      env.cancel();
      return new Promise<void>(() => undefined);
    });
    const caller = new AwsCaller({ sleep, retry });
    const send = jest.fn().mockRejectedValue(throttled());

    // WHEN it is sent
    const outcome = env.run(() => caller.call({ operation: 'ChangeResourceRecordSets' }, send));

    // THEN the activity ends as cancelled without another attempt
    await expect(outcome).rejects.toBeInstanceOf(CancelledFailure);
    expect(send).toHaveBeenCalledTimes(1);
  });
});

describe('pause', () => {
  test('ends with the cancellation even if the injected sleep never resolves', async () => {
    // GIVEN a sleep that never ends
    const env = activityEnv();
    const never = () => new Promise<void>(() => undefined);

    // WHEN the activity is cancelled while pausing
    const outcome = env.run(() => pause(never, 60_000));
    env.cancel();

    // THEN the pause rejects with the CancelledFailure
    await expect(outcome).rejects.toBeInstanceOf(CancelledFailure);
  });
});
