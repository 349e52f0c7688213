import { createHash } from 'node:crypto';
import { ErrorType, activityFailure } from './errors';

const MAX_LENGTH = 128;
const DIGEST_LENGTH = 16;
const VALID = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;

/**
 * The CloudFormation `ClientRequestToken` for a caller's `requestToken`: the same input always
 * gives the same token, so a retried activity repeats the original request instead of starting
 * a second operation. A token that already fits CloudFormation's pattern
 * (`[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128 characters) is used as it is, readable in the
 * console. Any other is cleaned up and suffixed with a digest of the original, so two
 * different tokens that clean up alike (`a:b`, `a/b`) still differ.
 *
 * The restart nonce uses the same value: a parameter value that depends only on the request.
 */
export function clientRequestToken(requestToken: string): string {
  if (requestToken.length === 0) {
    throw activityFailure(ErrorType.ValidationFailed, 'requestToken must not be empty');
  }
  if (requestToken.length <= MAX_LENGTH && VALID.test(requestToken)) return requestToken;
  const digest = createHash('sha256').update(requestToken).digest('hex').slice(0, DIGEST_LENGTH);
  const readable = requestToken
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_LENGTH - DIGEST_LENGTH - 1)
    .replace(/-+$/, '');
  return readable.length > 0 ? `${readable}-${digest}` : digest;
}
