import type { StackEvent } from '@aws-sdk/client-cloudformation';
import {
  describeFailures,
  eventsSince,
  latestOperationFailures,
  latestOperationToken,
  summarizeEvent,
  type StackEventPager,
} from '../../activities/stack-events';

const event = (id: string, logicalId: string, status: string, extra: Partial<StackEvent> = {}): StackEvent => ({
  StackId: 'arn:stack/cell-001/1',
  StackName: 'cell-001',
  EventId: id,
  LogicalResourceId: logicalId,
  ResourceType: logicalId === 'cell-001' ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::Service',
  ResourceStatus: status as StackEvent['ResourceStatus'],
  Timestamp: new Date(0),
  ClientRequestToken: 'tok-2',
  ...extra,
});

/** A pager over fixed pages, recording which page tokens were asked for. */
function pagesOf(pages: StackEvent[][]): StackEventPager & { asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  const pager = (nextToken?: string) => {
    asked.push(nextToken);
    const index = nextToken === undefined ? 0 : Number(nextToken);
    return Promise.resolve({ events: pages[index], nextToken: index + 1 < pages.length ? String(index + 1) : undefined });
  };
  return Object.assign(pager, { asked });
}

describe('stack events', () => {
  test('the latest operation token is the newest event\'s token', async () => {
    // GIVEN events of two operations, newest first
    const pager = pagesOf([[event('e3', 'Service', 'UPDATE_IN_PROGRESS'), event('e1', 'Service', 'CREATE_COMPLETE', { ClientRequestToken: 'tok-1' })]]);

    // WHEN / THEN the newest event's token is the operation's
    await expect(latestOperationToken(pager)).resolves.toBe('tok-2');
  });

  test('without a last seen event only the first page is read', async () => {
    // GIVEN two pages of events
    const pager = pagesOf([[event('e4', 'Service', 'UPDATE_IN_PROGRESS')], [event('e3', 'Service', 'UPDATE_IN_PROGRESS')]]);

    // WHEN the new events are read with nothing seen yet
    const events = await eventsSince(pager, undefined);

    // THEN the first page is all there is
    expect(events.map((e) => e.EventId)).toEqual(['e4']);
    expect(pager.asked).toEqual([undefined]);
  });

  test('with a last seen event, pages are followed up to it and no further', async () => {
    // GIVEN three pages, the last seen event on the second
    const pager = pagesOf([
      [event('e5', 'Service', 'UPDATE_COMPLETE'), event('e4', 'Service', 'UPDATE_IN_PROGRESS')],
      [event('e3', 'Service', 'UPDATE_IN_PROGRESS'), event('e2', 'cell-001', 'UPDATE_IN_PROGRESS')],
      [event('e1', 'cell-001', 'CREATE_COMPLETE')],
    ]);

    // WHEN the events since e2 are read
    const events = await eventsSince(pager, 'e2');

    // THEN only the newer ones come back and the third page is not fetched
    expect(events.map((e) => e.EventId)).toEqual(['e5', 'e4', 'e3']);
    expect(pager.asked).toEqual([undefined, '1']);
  });

  test('failures of the latest operation are its *_FAILED events, causes first, follow-on cancellations dropped', async () => {
    // GIVEN a rolled-back update: the service failed, the queue was cancelled because of it
    const pager = pagesOf([
      [
        event('e7', 'cell-001', 'UPDATE_ROLLBACK_COMPLETE'),
        event('e6', 'Queue', 'UPDATE_FAILED', { ResourceType: 'AWS::SQS::Queue', ResourceStatusReason: 'Resource update cancelled' }),
        event('e5', 'Service', 'UPDATE_FAILED', { ResourceStatusReason: 'Circuit breaker triggered' }),
      ],
      [
        event('e4', 'Alarm', 'UPDATE_FAILED', { ResourceType: 'AWS::CloudWatch::Alarm', ResourceStatusReason: 'Threshold invalid' }),
        event('e3', 'cell-001', 'UPDATE_IN_PROGRESS'),
        event('e2', 'Service', 'UPDATE_FAILED', { ResourceStatusReason: 'an older failure' }),
      ],
    ]);

    // WHEN the failures are collected
    const failures = await latestOperationFailures(pager, 'cell-001');

    // THEN the older operation's failure before the start event is left out
    expect(failures).toEqual([
      { logicalResourceId: 'Alarm', resourceType: 'AWS::CloudWatch::Alarm', status: 'UPDATE_FAILED', reason: 'Threshold invalid' },
      { logicalResourceId: 'Service', resourceType: 'AWS::ECS::Service', status: 'UPDATE_FAILED', reason: 'Circuit breaker triggered' },
    ]);
    expect(describeFailures(failures)).toBe(
      'Alarm (AWS::CloudWatch::Alarm) UPDATE_FAILED: Threshold invalid; Service (AWS::ECS::Service) UPDATE_FAILED: Circuit breaker triggered',
    );
  });

  test('failure collection stops at an event of another client request token', async () => {
    // GIVEN a failed delete whose page also shows an earlier operation's failure
    const pager = pagesOf([
      [
        event('e3', 'Bucket', 'DELETE_FAILED', { ResourceType: 'AWS::S3::Bucket', ResourceStatusReason: 'The bucket is not empty' }),
        event('e2', 'Service', 'UPDATE_FAILED', { ClientRequestToken: 'tok-1', ResourceStatusReason: 'old' }),
      ],
    ]);

    // WHEN the failures are collected
    const failures = await latestOperationFailures(pager, 'cell-001');

    // THEN only the delete's failure is reported
    expect(failures.map((f) => f.reason)).toEqual(['The bucket is not empty']);
  });

  test('an event summary names the resource, its status and the reason', () => {
    // GIVEN / WHEN / THEN
    expect(summarizeEvent(event('e1', 'Service', 'UPDATE_FAILED', { ResourceStatusReason: 'boom' }))).toBe('Service UPDATE_FAILED: boom');
    expect(summarizeEvent(event('e2', 'Service', 'UPDATE_IN_PROGRESS'))).toBe('Service UPDATE_IN_PROGRESS');
  });
});
