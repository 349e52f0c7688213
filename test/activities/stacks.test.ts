import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { CancelledFailure } from '@temporalio/common';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { clientRequestToken } from '../../activities/client-request-token';
import { ErrorType, type AwsFailureDetails } from '../../activities/errors';
import { createStackActivities, type StackWaitProgress } from '../../activities/stacks';
import type { StackSpec } from '../../domain/registry/schema';
import { activityEnv, run, cfnError, failureOf, noSleep, noUpdatesError, stackMissingError } from './helpers';

const region = 'eu-west-1';
const cloudFormation = new CloudFormationClient({ region });
const cfnMock = mockClient(cloudFormation);
const sleep = jest.fn(noSleep);
const activities = createStackActivities(
  resolveDeps({
    cloudFormation,
    route53: new Route53Client({ region }),
    cloudWatch: new CloudWatchClient({ region }),
    sleep,
    stackPollIntervalMs: 7_000,
  }),
);

const STACK = 'cell-002';
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/cell-002/abc';
const REQUEST = 'cell-restart-cell-002:restart';
const TOKEN = clientRequestToken(REQUEST);

const spec: StackSpec = {
  name: STACK,
  template: { templateUrl: 'https://bucket.s3.amazonaws.com/cell.yaml' },
  parameters: { Image: 'app:2.0' },
  restartParameter: 'RestartNonce',
};

const stack = (status: string, extra: Partial<Stack> = {}): Stack => ({
  StackName: STACK,
  StackId: STACK_ID,
  StackStatus: status as Stack['StackStatus'],
  CreationTime: new Date(0),
  Parameters: [
    { ParameterKey: 'Image', ParameterValue: 'app:1.0' },
    { ParameterKey: 'RestartNonce', ParameterValue: 'initial' },
  ],
  Capabilities: ['CAPABILITY_NAMED_IAM'],
  ...extra,
});

const event = (id: string, logicalId: string, status: string, extra: Partial<StackEvent> = {}): StackEvent => ({
  StackId: STACK_ID,
  StackName: STACK,
  EventId: id,
  LogicalResourceId: logicalId,
  ResourceType: logicalId === STACK ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::Service',
  ResourceStatus: status as StackEvent['ResourceStatus'],
  Timestamp: new Date(0),
  ClientRequestToken: 'someone-else',
  ...extra,
});

/** The stack's latest operation was started with `token`. */
const latestOperation = (token: string) => cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('e9', STACK, 'UPDATE_COMPLETE', { ClientRequestToken: token })] });

beforeEach(() => {
  cfnMock.reset();
  sleep.mockClear();
});

describe('deployCellStack', () => {
  test('creates a missing stack with the token derived from the request', async () => {
    // GIVEN no stack of that name
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });

    // WHEN the cell stack is deployed
    const result = await run(activities.deployCellStack, { requestToken: REQUEST, stack: spec, tags: { cell: 'cell-002' } });

    // THEN CreateStack carries the template, parameters, capabilities and the derived token
    expect(cfnMock).toHaveReceivedCommandWith(CreateStackCommand, {
      StackName: STACK,
      TemplateURL: spec.template.templateUrl,
      TemplateBody: undefined,
      Parameters: [{ ParameterKey: 'Image', ParameterValue: 'app:2.0' }],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      Tags: [{ Key: 'cell', Value: 'cell-002' }],
      ClientRequestToken: TOKEN,
    });
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 0);
    expect(result).toEqual({ stackName: STACK, stackId: STACK_ID, operation: 'create', noOp: false, alreadyStarted: false, clientRequestToken: TOKEN });
  });

  test('updates an existing stack and keeps its restart nonce, so a deploy does not restart the services', async () => {
    // GIVEN a stable stack last changed by someone else
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    // WHEN the cell stack is deployed
    const result = await run(activities.deployCellStack, { requestToken: REQUEST, stack: spec });

    // THEN UpdateStack sends the new parameters and the previous nonce
    expect(cfnMock).toHaveReceivedCommandWith(UpdateStackCommand, {
      StackName: STACK,
      TemplateURL: spec.template.templateUrl,
      Parameters: [
        { ParameterKey: 'Image', ParameterValue: 'app:2.0' },
        { ParameterKey: 'RestartNonce', UsePreviousValue: true },
      ],
      ClientRequestToken: TOKEN,
    });
    expect(result).toMatchObject({ operation: 'update', noOp: false, alreadyStarted: false });
  });

  test('a second identical deploy gets "No updates are to be performed." and reports a no-op', async () => {
    // GIVEN a stack already as the spec describes, changed last by another request
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock.on(UpdateStackCommand).rejects(noUpdatesError());

    // WHEN the cell stack is deployed
    const result = await run(activities.deployCellStack, { requestToken: REQUEST, stack: spec });

    // THEN the activity succeeds with nothing to wait for
    expect(result).toMatchObject({ operation: 'update', noOp: true, alreadyStarted: false });
  });

  test('finds its own operation by the client request token and sends nothing again', async () => {
    // GIVEN the stack's running update was started with this request's token
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    latestOperation(TOKEN);

    // WHEN the deploy is retried
    const result = await run(activities.deployCellStack, { requestToken: REQUEST, stack: spec });

    // THEN it reports the operation as already started and calls neither CreateStack nor UpdateStack
    expect(result).toMatchObject({ operation: 'update', noOp: false, alreadyStarted: true });
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 0);
    expect(cfnMock).toHaveReceivedCommandTimes(CreateStackCommand, 0);
  });

  test('treats AlreadyExistsException as success when the existing stack is being created with our token', async () => {
    // GIVEN a create whose response was lost: the stack now exists, created with our token
    cfnMock
      .on(DescribeStacksCommand)
      .rejectsOnce(stackMissingError(STACK))
      .resolves({ Stacks: [stack('CREATE_IN_PROGRESS')] });
    cfnMock.on(CreateStackCommand).rejects(new AlreadyExistsException({ $metadata: { httpStatusCode: 400, requestId: 'req-2' }, message: `Stack [${STACK}] already exists` }));
    latestOperation(TOKEN);

    // WHEN the deploy runs
    const result = await run(activities.deployCellStack, { requestToken: REQUEST, stack: spec });

    // THEN the create counts as started
    expect(result).toMatchObject({ operation: 'create', noOp: false, alreadyStarted: true });
  });

  test('fails retryably when the stack CreateStack collided with has vanished again', async () => {
    // GIVEN a stack that exists at CreateStack time and is gone right after (a delete finishing)
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));
    cfnMock.on(CreateStackCommand).rejects(new AlreadyExistsException({ $metadata: { httpStatusCode: 400, requestId: 'req-3' }, message: `Stack [${STACK}] already exists` }));

    // WHEN the deploy runs
    const failure = await failureOf(run(activities.deployCellStack, { requestToken: REQUEST, stack: spec }));

    // THEN the next attempt may create it: ResourceBusy, retryable
    expect(failure.type).toBe(ErrorType.ResourceBusy);
    expect(failure.nonRetryable).toBe(false);
  });

  test('fails retryably when another operation is running on the stack', async () => {
    // GIVEN a stack busy with someone else's update
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    latestOperation('someone-else');

    // WHEN the deploy runs
    const failure = await failureOf(run(activities.deployCellStack, { requestToken: REQUEST, stack: spec }));

    // THEN it fails as ResourceBusy for a later retry, without calling UpdateStack
    expect(failure.type).toBe(ErrorType.ResourceBusy);
    expect(failure.nonRetryable).toBe(false);
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 0);
  });

  test('refuses a stack whose creation rolled back, which only a delete can clear', async () => {
    // GIVEN a stack in ROLLBACK_COMPLETE
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('ROLLBACK_COMPLETE')] });
    latestOperation('someone-else');

    // WHEN the deploy runs
    const failure = await failureOf(run(activities.deployCellStack, { requestToken: REQUEST, stack: spec }));

    // THEN it fails for good with the state in the message
    expect(failure.type).toBe(ErrorType.StackOperationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('ROLLBACK_COMPLETE');
  });

  test('maps a rejected template to a non-retryable ValidationFailed that keeps the AWS details', async () => {
    // GIVEN CloudFormation rejecting the template
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));
    cfnMock.on(CreateStackCommand).rejects(cfnError({ name: 'ValidationError', message: 'Template format error: YAML not well-formed', requestId: 'req-9' }));

    // WHEN the deploy runs
    const failure = await failureOf(run(activities.deployCellStack, { requestToken: REQUEST, stack: spec }));

    // THEN the failure says what CloudFormation said
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0] as AwsFailureDetails).toMatchObject({ operation: 'CreateStack', awsErrorCode: 'ValidationError', httpStatusCode: 400, requestId: 'req-9' });
  });
});

describe('restartCellServices', () => {
  const input = { requestToken: REQUEST, stackName: STACK, restartParameter: 'RestartNonce' };

  test('updates only the restart parameter, to a nonce derived from the request', async () => {
    // GIVEN a stable stack
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    // WHEN the services are restarted
    const result = await run(activities.restartCellServices, input);

    // THEN the previous template and every other previous value are kept
    expect(cfnMock).toHaveReceivedCommandWith(UpdateStackCommand, {
      StackName: STACK,
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'Image', UsePreviousValue: true },
        { ParameterKey: 'RestartNonce', ParameterValue: TOKEN },
      ],
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ClientRequestToken: TOKEN,
    });
    expect(result).toEqual({ stackName: STACK, stackId: STACK_ID, operation: 'restart', noOp: false, alreadyStarted: false, clientRequestToken: TOKEN });
  });

  test('a retry with the same token finds the first restart and does not restart again', async () => {
    // GIVEN a first restart that went through
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfnMock.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    latestOperation('someone-else');
    await run(activities.restartCellServices, input);

    // WHEN the same restart runs again, CloudFormation now showing our operation
    latestOperation(TOKEN);
    const second = await run(activities.restartCellServices, input);

    // THEN only one UpdateStack was ever sent
    expect(second).toMatchObject({ noOp: false, alreadyStarted: true });
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 1);
  });

  test('reports a no-op when CloudFormation finds nothing to update', async () => {
    // GIVEN a stack that already carries this request's nonce, changed since by another request
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock.on(UpdateStackCommand).rejects(noUpdatesError());

    // WHEN the services are restarted
    const result = await run(activities.restartCellServices, input);

    // THEN the activity succeeds without a restart
    expect(result).toMatchObject({ operation: 'restart', noOp: true, alreadyStarted: false });
  });

  test('absorbs a throttled UpdateStack followed by success', async () => {
    // GIVEN CloudFormation throttling the first UpdateStack
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock
      .on(UpdateStackCommand)
      .rejectsOnce(cfnError({ name: 'Throttling', message: 'Rate exceeded' }))
      .resolves({ StackId: STACK_ID });

    // WHEN the services are restarted
    const result = await run(activities.restartCellServices, input);

    // THEN the second attempt went through after a backoff
    expect(result.noOp).toBe(false);
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  test('fails for good when the stack does not exist', async () => {
    // GIVEN no such stack
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));

    // WHEN the services are restarted
    const failure = await failureOf(run(activities.restartCellServices, input));

    // THEN StackNotFound, not retried
    expect(failure.type).toBe(ErrorType.StackNotFound);
    expect(failure.nonRetryable).toBe(true);
  });

  test('fails for good when the stack has no restart parameter', async () => {
    // GIVEN a stack without the parameter
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', { Parameters: [{ ParameterKey: 'Image', ParameterValue: 'app:1' }] })] });

    // WHEN the services are restarted
    const failure = await failureOf(run(activities.restartCellServices, input));

    // THEN the failure names the missing parameter
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(failure.message).toContain('RestartNonce');
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 0);
  });

  test('treats a busy stack running our own restart as already started', async () => {
    // GIVEN the update is refused because our restart started between our two reads
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfnMock
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [event('e1', STACK, 'UPDATE_COMPLETE')] })
      .resolves({ StackEvents: [event('e2', STACK, 'UPDATE_IN_PROGRESS', { ClientRequestToken: TOKEN })] });
    cfnMock.on(UpdateStackCommand).rejects(cfnError({ name: 'ValidationError', message: `Stack:${STACK_ID} is in UPDATE_IN_PROGRESS state and can not be updated.` }));

    // WHEN the services are restarted
    const result = await run(activities.restartCellServices, input);

    // THEN it is our operation, so success
    expect(result).toMatchObject({ noOp: false, alreadyStarted: true });
  });
});

describe('deleteCellStack', () => {
  const input = { requestToken: 'cell-replace-cell-002:delete-old', stackName: STACK };
  const token = clientRequestToken(input.requestToken);

  test('deletes an existing stack with the derived token', async () => {
    // GIVEN a stable stack
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    latestOperation('someone-else');
    cfnMock.on(DeleteStackCommand).resolves({});

    // WHEN it is deleted
    const result = await run(activities.deleteCellStack, input);

    // THEN DeleteStack carries the token
    expect(cfnMock).toHaveReceivedCommandWith(DeleteStackCommand, { StackName: STACK, ClientRequestToken: token });
    expect(result).toMatchObject({ operation: 'delete', noOp: false, alreadyStarted: false });
  });

  test('succeeds without a call when the stack is already gone', async () => {
    // GIVEN no stack
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));

    // WHEN it is deleted
    const result = await run(activities.deleteCellStack, input);

    // THEN nothing is sent
    expect(result).toMatchObject({ noOp: true });
    expect(cfnMock).toHaveReceivedCommandTimes(DeleteStackCommand, 0);
  });

  test('succeeds when the stack disappears between the check and the DeleteStack', async () => {
    // GIVEN a stack that someone else's delete removes just before ours is sent
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    latestOperation('someone-else');
    cfnMock.on(DeleteStackCommand).rejects(stackMissingError(STACK));

    // WHEN it is deleted
    const result = await run(activities.deleteCellStack, input);

    // THEN the stack is gone, which is what was asked
    expect(result).toMatchObject({ noOp: true, alreadyStarted: false });
  });

  test('does not send a second DeleteStack for a delete it already started', async () => {
    // GIVEN our delete in progress
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    latestOperation(token);

    // WHEN the delete is retried
    const result = await run(activities.deleteCellStack, input);

    // THEN it is already started
    expect(result).toMatchObject({ noOp: false, alreadyStarted: true });
    expect(cfnMock).toHaveReceivedCommandTimes(DeleteStackCommand, 0);
  });
});

describe('waitForStack', () => {
  const input = { requestToken: REQUEST, stackName: STACK, until: 'stable' as const };

  test('polls until the update completes, heartbeating status and the newest event', async () => {
    // GIVEN an update that completes on the third poll
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfnMock
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [event('e2', 'Service', 'UPDATE_IN_PROGRESS'), event('e1', STACK, 'UPDATE_IN_PROGRESS')] })
      .resolvesOnce({ StackEvents: [event('e3', 'Service', 'UPDATE_COMPLETE'), event('e2', 'Service', 'UPDATE_IN_PROGRESS')] })
      .resolves({ StackEvents: [event('e4', STACK, 'UPDATE_COMPLETE'), event('e3', 'Service', 'UPDATE_COMPLETE')] });
    const env = activityEnv();
    const heartbeats: StackWaitProgress[] = [];
    env.on('heartbeat', (details: StackWaitProgress) => heartbeats.push(details));

    // WHEN the activity waits
    const result = await run(activities.waitForStack, input, env);

    // THEN each poll was reported, with only the events new since the previous one
    expect(result).toEqual({ stackName: STACK, status: 'UPDATE_COMPLETE', polls: 3, lastEventId: 'e4' });
    expect(heartbeats).toEqual([
      { status: 'UPDATE_IN_PROGRESS', lastEventId: 'e2', polls: 1, recentEvents: ['Service UPDATE_IN_PROGRESS', 'cell-002 UPDATE_IN_PROGRESS'] },
      { status: 'UPDATE_IN_PROGRESS', lastEventId: 'e3', polls: 2, recentEvents: ['Service UPDATE_COMPLETE'] },
      { status: 'UPDATE_COMPLETE', lastEventId: 'e4', polls: 3, recentEvents: ['cell-002 UPDATE_COMPLETE'] },
    ]);
    expect(sleep.mock.calls).toEqual([[7_000], [7_000]]);
  });

  test('fails for good on a rolled-back update, naming the failed resources and why', async () => {
    // GIVEN an update that rolled back because the service failed
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_ROLLBACK_COMPLETE', { StackStatusReason: 'rolled back' })] });
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event('e4', STACK, 'UPDATE_ROLLBACK_COMPLETE', { ClientRequestToken: TOKEN }),
        event('e3', 'Service', 'UPDATE_FAILED', { ClientRequestToken: TOKEN, ResourceStatusReason: 'ECS Deployment Circuit Breaker was triggered' }),
        event('e2', STACK, 'UPDATE_IN_PROGRESS', { ClientRequestToken: TOKEN }),
      ],
    });

    // WHEN the activity waits
    const failure = await failureOf(run(activities.waitForStack, input));

    // THEN the failure says which resource failed and why
    expect(failure.type).toBe(ErrorType.StackOperationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'stack cell-002 ended in UPDATE_ROLLBACK_COMPLETE: Service (AWS::ECS::Service) UPDATE_FAILED: ECS Deployment Circuit Breaker was triggered',
    );
    expect(failure.details?.[0]).toMatchObject({ stackName: STACK, status: 'UPDATE_ROLLBACK_COMPLETE', failures: [{ logicalResourceId: 'Service' }] });
  });

  test('resumes from the last heartbeat: the poll count goes on and events already seen are not reported again', async () => {
    // GIVEN a previous attempt that had seen up to e2 over 5 polls
    const env = activityEnv({ status: 'UPDATE_IN_PROGRESS', lastEventId: 'e2', polls: 5, recentEvents: [] } satisfies StackWaitProgress);
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfnMock
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [event('e4', STACK, 'UPDATE_COMPLETE'), event('e3', 'Service', 'UPDATE_COMPLETE')], NextToken: 'page-2' })
      .resolves({ StackEvents: [event('e2', 'Service', 'UPDATE_IN_PROGRESS'), event('e1', STACK, 'UPDATE_IN_PROGRESS')] });
    const heartbeats: StackWaitProgress[] = [];
    env.on('heartbeat', (details: StackWaitProgress) => heartbeats.push(details));

    // WHEN the retried activity waits
    const result = await run(activities.waitForStack, input, env);

    // THEN it reports poll 6 and only e4 and e3, having paged back to e2
    expect(result.polls).toBe(6);
    expect(heartbeats).toEqual([{ status: 'UPDATE_COMPLETE', lastEventId: 'e4', polls: 6, recentEvents: ['cell-002 UPDATE_COMPLETE', 'Service UPDATE_COMPLETE'] }]);
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStackEventsCommand, { StackName: STACK, NextToken: 'page-2' });
  });

  test('stops polling when the activity is cancelled', async () => {
    // GIVEN an update that never ends, and a cancellation during the second pause
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('e1', STACK, 'UPDATE_IN_PROGRESS')] });
    const env = activityEnv();
    sleep.mockImplementationOnce(noSleep).mockImplementationOnce(() => {
      env.cancel();
      return new Promise<void>(() => undefined);
    });

    // WHEN the activity waits
    const outcome = run(activities.waitForStack, input, env);

    // THEN it ends as cancelled after the second poll
    await expect(outcome).rejects.toBeInstanceOf(CancelledFailure);
    expect(cfnMock).toHaveReceivedCommandTimes(DescribeStacksCommand, 2);
  });

  test('waits for a delete until CloudFormation no longer knows the stack', async () => {
    // GIVEN a delete in progress that finishes on the second poll
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('DELETE_IN_PROGRESS')] })
      .rejects(stackMissingError(STACK));
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('e1', STACK, 'DELETE_IN_PROGRESS')] });

    // WHEN the activity waits for the deletion
    const result = await run(activities.waitForStack, { ...input, until: 'deleted' as const });

    // THEN the stack is gone
    expect(result).toMatchObject({ status: 'NOT_FOUND', polls: 2 });
  });

  test('fails for good on DELETE_FAILED with the resource that could not be deleted', async () => {
    // GIVEN a delete that failed on a non-empty bucket
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [stack('DELETE_FAILED')] });
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event('e3', STACK, 'DELETE_FAILED'),
        event('e2', 'Bucket', 'DELETE_FAILED', { ResourceType: 'AWS::S3::Bucket', ResourceStatusReason: 'The bucket you tried to delete is not empty' }),
        event('e1', STACK, 'DELETE_IN_PROGRESS'),
      ],
    });

    // WHEN the activity waits for the deletion
    const failure = await failureOf(run(activities.waitForStack, { ...input, until: 'deleted' as const }));

    // THEN the failure names the bucket
    expect(failure.type).toBe(ErrorType.StackOperationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Bucket (AWS::S3::Bucket) DELETE_FAILED: The bucket you tried to delete is not empty');
  });

  test('fails for good when waiting for a stack that does not exist', async () => {
    // GIVEN no stack
    cfnMock.on(DescribeStacksCommand).rejects(stackMissingError(STACK));

    // WHEN the activity waits for it to be stable
    const failure = await failureOf(run(activities.waitForStack, input));

    // THEN StackNotFound
    expect(failure.type).toBe(ErrorType.StackNotFound);
    expect(failure.nonRetryable).toBe(true);
  });
});
