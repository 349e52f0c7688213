import { AlreadyExistsException, LimitExceededException, TokenAlreadyExistsException } from '@aws-sdk/client-cloudformation';
import { InternalServiceFault, LimitExceededFault, ResourceNotFound } from '@aws-sdk/client-cloudwatch';
import { InvalidChangeBatch, NoSuchChange, NoSuchHostedZone, PriorRequestNotComplete, ThrottlingException } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import {
  ErrorType,
  isNoUpdatesError,
  isStackBusyError,
  isStackMissingError,
  isThrottlingError,
  toApplicationFailure,
  type AwsFailureDetails,
} from '../../activities/errors';
import { cfnError, cloudWatchError, noUpdatesError, route53Error, stackMissingError } from './helpers';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, requestId: 'req-42' } });
const context = { operation: 'TestCall', resource: 'cell-001' };

describe('toApplicationFailure', () => {
  test.each([
    ['CloudFormation ValidationError (bad template)', cfnError({ name: 'ValidationError', message: 'Template format error: unresolved resource' }), ErrorType.ValidationFailed, true],
    ['CloudFormation ValidationError for a missing stack', stackMissingError('cell-001'), ErrorType.StackNotFound, true],
    [
      'CloudFormation ValidationError for a stack busy with another operation',
      cfnError({ name: 'ValidationError', message: 'Stack:arn:aws:cloudformation:eu-west-1:1:stack/cell-001/x is in UPDATE_IN_PROGRESS state and can not be updated.' }),
      ErrorType.ResourceBusy,
      false,
    ],
    ['CloudFormation LimitExceededException (a quota, though the SDK retries it as throttling)', new LimitExceededException({ ...meta(400), message: 'Limit on stacks' }), ErrorType.QuotaExceeded, true],
    ['CloudFormation AlreadyExistsException', new AlreadyExistsException({ ...meta(400), message: 'Stack [cell-001] already exists' }), ErrorType.StackAlreadyExists, true],
    ['CloudFormation TokenAlreadyExistsException', new TokenAlreadyExistsException({ ...meta(400), message: 'token exists' }), ErrorType.RequestTokenConflict, true],
    ['CloudFormation Throttling', cfnError({ name: 'Throttling', message: 'Rate exceeded' }), ErrorType.AwsThrottled, false],
    ['Route 53 Throttling (unmodelled, as sent on the wire)', route53Error({ name: 'Throttling', message: 'Rate exceeded' }), ErrorType.AwsThrottled, false],
    ['Route 53 ThrottlingException (modelled)', new ThrottlingException({ ...meta(400), message: 'Rate exceeded' }), ErrorType.AwsThrottled, false],
    ['Route 53 PriorRequestNotComplete', new PriorRequestNotComplete({ ...meta(400), message: 'still processing a prior request' }), ErrorType.ResourceBusy, false],
    ['Route 53 NoSuchHostedZone', new NoSuchHostedZone({ ...meta(404), message: 'No hosted zone found with ID: Z1' }), ErrorType.HostedZoneNotFound, true],
    ['Route 53 InvalidChangeBatch', new InvalidChangeBatch({ ...meta(400), message: 'Invalid batch' }), ErrorType.InvalidChangeBatch, true],
    ['Route 53 NoSuchChange', new NoSuchChange({ ...meta(404), message: 'no change C1' }), ErrorType.ChangeNotFound, true],
    ['Route 53 InvalidInput', route53Error({ name: 'InvalidInput', message: 'Invalid request' }), ErrorType.ValidationFailed, true],
    ['CloudWatch ResourceNotFound', new ResourceNotFound({ ...meta(404), message: 'alarm not found' }), ErrorType.AlarmNotFound, true],
    ['CloudWatch LimitExceededFault', new LimitExceededFault({ ...meta(400), message: 'too many alarms' }), ErrorType.QuotaExceeded, true],
    ['CloudWatch InternalServiceFault', new InternalServiceFault({ ...meta(500), message: 'internal' }), ErrorType.AwsUnavailable, false],
    ['AccessDenied', cfnError({ name: 'AccessDenied', message: 'not authorized to perform cloudformation:UpdateStack', status: 403 }), ErrorType.AccessDenied, true],
    ['a 503 ServiceUnavailable', cloudWatchError({ name: 'ServiceUnavailable', message: 'try later', status: 503 }), ErrorType.AwsUnavailable, false],
    ['an unknown 4xx code', cfnError({ name: 'SomethingNewException', message: 'new' }), ErrorType.AwsRequestRejected, true],
    ['an unknown 5xx code', cfnError({ name: 'SomethingBroke', message: 'oops', status: 502 }), ErrorType.AwsUnavailable, false],
    ['a network reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), ErrorType.AwsUnavailable, false],
    ['an SDK request timeout', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }), ErrorType.AwsUnavailable, false],
    ['a programming error', new TypeError('cannot read properties of undefined'), ErrorType.Unexpected, false],
  ])('maps %s to its failure type and retryability', (_label, error, type, nonRetryable) => {
    // GIVEN an error as the SDK raises it
    // WHEN it is mapped
    const failure = toApplicationFailure(error, context);

    // THEN the failure type decides the retry, whatever the AWS error's name
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.cause).toBe(error);
  });

  test('keeps the AWS error code, HTTP status and request id in the details and the message', () => {
    // GIVEN a throttling error from CloudFormation
    const error = cfnError({ name: 'Throttling', message: 'Rate exceeded', requestId: 'req-7' });

    // WHEN it is mapped
    const failure = toApplicationFailure(error, { operation: 'UpdateStack', resource: 'cell-001' });

    // THEN the call can be found again, and the next retry waits a little
    const details = failure.details?.[0] as AwsFailureDetails;
    expect(details).toMatchObject({ operation: 'UpdateStack', resource: 'cell-001', awsErrorCode: 'Throttling', httpStatusCode: 400, requestId: 'req-7', fault: 'client' });
    expect(failure.message).toBe('UpdateStack cell-001 failed: Throttling: Rate exceeded');
    expect(failure.nextRetryDelay).toBe('5s');
  });

  test('lists every rejected change of an InvalidChangeBatch', () => {
    // GIVEN Route 53 rejecting two changes of a batch
    const error = new InvalidChangeBatch({ ...meta(400), message: 'Invalid batch', messages: ['weight 300 out of range', 'duplicate set id'] });

    // WHEN it is mapped
    const failure = toApplicationFailure(error, { operation: 'ChangeResourceRecordSets', resource: 'Z1' });

    // THEN both reasons reach the message and the details
    expect(failure.message).toContain('weight 300 out of range; duplicate set id');
    expect((failure.details?.[0] as AwsFailureDetails).messages).toEqual(['weight 300 out of range', 'duplicate set id']);
  });

  test('passes an ApplicationFailure through unchanged', () => {
    // GIVEN a failure an activity already typed
    const original = ApplicationFailure.create({ type: ErrorType.StackOperationFailed, message: 'rolled back', nonRetryable: true });

    // WHEN it is mapped again
    // THEN it is the same object
    expect(toApplicationFailure(original, context)).toBe(original);
  });
});

describe('error predicates', () => {
  test('recognise CloudFormation answers that are not failures by their code and message', () => {
    // GIVEN the ValidationErrors CloudFormation uses for several situations
    const noUpdates = noUpdatesError();
    const missing = stackMissingError('cell-001');
    const busy = cfnError({ name: 'ValidationError', message: 'Stack cell-001 is in DELETE_IN_PROGRESS state and can not be updated.' });
    const busyAtDelete = cfnError({ name: 'ValidationError', message: 'Stack [arn:aws:cloudformation:eu-west-1:1:stack/cell-001/x] cannot be deleted while in status UPDATE_IN_PROGRESS' });
    const failedAtDelete = cfnError({ name: 'ValidationError', message: 'Stack [arn:aws:cloudformation:eu-west-1:1:stack/cell-001/x] cannot be deleted while in status UPDATE_ROLLBACK_FAILED' });
    const other = cfnError({ name: 'ValidationError', message: 'Parameters: [Foo] do not exist in the template' });

    // WHEN / THEN each is told apart by its message
    expect([noUpdates, missing, busy, other].map(isNoUpdatesError)).toEqual([true, false, false, false]);
    expect([noUpdates, missing, busy].map(isStackMissingError)).toEqual([false, true, false]);
    expect([noUpdates, missing, busy, other].map(isStackBusyError)).toEqual([false, false, true, false]);
    expect([busyAtDelete, failedAtDelete].map(isStackBusyError)).toEqual([true, false]);
  });

  test('treat throttling and PriorRequestNotComplete as worth retrying at once, but not a quota', () => {
    // GIVEN errors the SDK's retry strategy all calls throttling
    const throttled = route53Error({ name: 'Throttling', message: 'Rate exceeded' });
    const prior = new PriorRequestNotComplete({ ...meta(400), message: 'prior request' });
    const quota = new LimitExceededException({ ...meta(400), message: 'Limit on stacks' });

    // WHEN / THEN only the real throttling is retried inside the activity
    expect([throttled, prior, quota].map(isThrottlingError)).toEqual([true, true, false]);
  });
});
