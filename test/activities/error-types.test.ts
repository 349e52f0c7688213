import { ErrorType, NON_RETRYABLE_ERROR_TYPES, RETRYABLE_ERROR_TYPES } from '../../activities/error-types';

describe('error type lists', () => {
  test('every error type is either retryable or non-retryable, never both', () => {
    // GIVEN the two lists workflows use in their retry policies
    const all = Object.values(ErrorType);

    // WHEN they are compared with the full set of types
    const both = NON_RETRYABLE_ERROR_TYPES.filter((t) => RETRYABLE_ERROR_TYPES.includes(t));
    const neither = all.filter((t) => !NON_RETRYABLE_ERROR_TYPES.includes(t) && !RETRYABLE_ERROR_TYPES.includes(t));

    // THEN they partition it
    expect(both).toEqual([]);
    expect(neither).toEqual([]);
  });
});
