import { ApplicationFailure } from '@temporalio/common';
import { clientRequestToken } from '../../activities/client-request-token';
import { ErrorType } from '../../activities/errors';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const PATTERN = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;

describe('clientRequestToken', () => {
  test('keeps a token that CloudFormation already accepts, so the console shows it as it is', () => {
    // GIVEN a token made of letters, digits and dashes
    // WHEN it is derived
    // THEN it is unchanged
    expect(clientRequestToken('cell-restart-cell-002-restart')).toBe('cell-restart-cell-002-restart');
  });

  test('turns a workflow id plus step into a valid token, the same every time', () => {
    // GIVEN a token with characters CloudFormation refuses
    const requestToken = 'cell-restart/cell-002:restart#1';

    // WHEN it is derived twice
    const first = clientRequestToken(requestToken);
    const second = clientRequestToken(requestToken);

    // THEN both are equal, valid, and still readable
    expect(second).toBe(first);
    expect(first).toMatch(PATTERN);
    expect(first.startsWith('cell-restart-cell-002-restart-1-')).toBe(true);
  });

  test('keeps tokens apart that clean up to the same text', () => {
    // GIVEN two tokens that differ only in characters that get replaced
    // WHEN both are derived
    // THEN the digest keeps them apart
    expect(clientRequestToken('wf:step')).not.toBe(clientRequestToken('wf/step'));
  });

  test('fits a very long token into 128 characters', () => {
    // GIVEN a token of 300 characters
    const long = `pitr-${'x'.repeat(295)}`;

    // WHEN it is derived
    const token = clientRequestToken(long);

    // THEN it is valid and at most 128 characters, and differs from a token with another tail
    expect(token.length).toBeLessThanOrEqual(128);
    expect(token).toMatch(PATTERN);
    expect(token).not.toBe(clientRequestToken(`${long}y`));
  });

  test('gives a token of only invalid characters a valid one', () => {
    // GIVEN a token with no letter or digit
    // WHEN it is derived
    // THEN the result is valid anyway
    expect(clientRequestToken('::/::')).toMatch(PATTERN);
  });

  test('refuses an empty token as a validation failure', () => {
    // GIVEN an empty token
    // WHEN it is derived
    const thrown = thrownBy(() => clientRequestToken(''));

    // THEN a non-retryable ValidationFailed is thrown
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({ type: ErrorType.ValidationFailed, nonRetryable: true });
  });
});
