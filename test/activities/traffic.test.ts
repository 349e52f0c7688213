import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { CancelledFailure } from '@temporalio/common';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps, type ActivityDeps } from '../../activities/deps';
import { ErrorType, type AwsFailureDetails } from '../../activities/errors';
import { createTrafficActivities, type ChangeSyncProgress, type WeightChange } from '../../activities/traffic';
import type { WeightedRecord } from '../../domain/registry/schema';
import { activityEnv, run, failureOf, noSleep, route53Error } from './helpers';

const region = 'eu-west-1';
const route53 = new Route53Client({ region });
const r53Mock = mockClient(route53);
const sleep = jest.fn(noSleep);
const unlimited = { acquire: () => Promise.resolve() };

const build = (overrides: Partial<ActivityDeps> = {}) =>
  createTrafficActivities(
    resolveDeps({
      cloudFormation: new CloudFormationClient({ region }),
      cloudWatch: new CloudWatchClient({ region }),
      route53,
      sleep,
      route53Limiter: unlimited,
      changePollIntervalMs: 3_000,
      ...overrides,
    }),
  );
const activities = build();

const ZONE = 'Z0123456789ABC';
const cell = (n: number, zone = ZONE): WeightedRecord => ({
  hostedZoneId: zone,
  recordName: 'api.example.com',
  recordType: 'CNAME',
  setIdentifier: `cell-${String(n).padStart(3, '0')}`,
  value: `cell-${n}.eu-west-1.example.com`,
  ttl: 60,
  weight: 100,
});
const listed = (record: WeightedRecord, weight: number): ResourceRecordSet => ({
  Name: 'api.example.com.',
  Type: 'CNAME',
  SetIdentifier: record.setIdentifier,
  Weight: weight,
  TTL: record.ttl,
  ResourceRecords: [{ Value: record.value }],
});
const changeInfo = (id: string, status: 'PENDING' | 'INSYNC' = 'PENDING') => ({ ChangeInfo: { Id: `/change/${id}`, Status: status, SubmittedAt: new Date(0) } });

beforeEach(() => {
  r53Mock.reset();
  sleep.mockClear();
});

describe('readCellWeights', () => {
  test('matches registry names case-insensitively, with or without the final dot and the /hostedzone/ prefix', async () => {
    // GIVEN Route 53 listing the group as it does: lower case, fully qualified
    r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [listed(cell(1), 80), listed(cell(2), 40)], IsTruncated: false });

    // WHEN the registry spells the name in capitals without the final dot, and the zone with its prefix
    const spelt = (n: number) => ({ ...cell(n), hostedZoneId: `/hostedzone/${ZONE}`, recordName: 'API.Example.com' });
    const result = await run(activities.readCellWeights, { requestToken: 'wf:read', records: [spelt(1), spelt(2)] });

    // THEN both records are found, one listing for the one group
    expect(result.records.map((r) => [r.setIdentifier, r.weight])).toEqual([
      ['cell-001', 80],
      ['cell-002', 40],
    ]);
    expect(result.missing).toEqual([]);
    expect(r53Mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
  });

  test('reads the asked set identifiers from a paginated listing and names the missing ones', async () => {
    // GIVEN a weighted group over two pages, with a member nobody asked about
    r53Mock
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({
        ResourceRecordSets: [listed(cell(1), 100), listed(cell(2), 50)],
        IsTruncated: true,
        NextRecordName: 'api.example.com.',
        NextRecordType: 'CNAME',
        NextRecordIdentifier: 'cell-003',
        MaxItems: 2,
      })
      .resolvesOnce({ ResourceRecordSets: [listed(cell(3), 0)], IsTruncated: false, MaxItems: 2 });

    // WHEN cells 1, 3 and 9 are read
    const result = await run(activities.readCellWeights, { requestToken: 'wf:read', records: [cell(1), cell(3), cell(9)] });

    // THEN their weights come back in the order asked, cell 9 as missing
    expect(result.records.map((r) => [r.setIdentifier, r.weight])).toEqual([
      ['cell-001', 100],
      ['cell-003', 0],
    ]);
    expect(result.missing.map((r) => r.setIdentifier)).toEqual(['cell-009']);
    expect(r53Mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 2);
    expect(r53Mock).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, { HostedZoneId: ZONE, StartRecordName: 'api.example.com', StartRecordType: 'CNAME' });
    expect(r53Mock).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      StartRecordName: 'api.example.com.',
      StartRecordType: 'CNAME',
      StartRecordIdentifier: 'cell-003',
    });
  });

  test('stops listing at the first record of another name', async () => {
    // GIVEN a listing that moves on to other names and says more pages follow
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [listed(cell(1), 100), { Name: 'www.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x' }] }],
      IsTruncated: true,
      NextRecordName: 'zzz.example.com.',
      NextRecordType: 'A',
      MaxItems: 2,
    });

    // WHEN cells 1 and 2 are read
    const result = await run(activities.readCellWeights, { requestToken: 'wf:read', records: [cell(1), cell(2)] });

    // THEN cell 2 is missing and no second page was fetched
    expect(result.missing.map((r) => r.setIdentifier)).toEqual(['cell-002']);
    expect(r53Mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
  });

  test('fails for good when the hosted zone does not exist', async () => {
    // GIVEN Route 53 not knowing the zone
    r53Mock.on(ListResourceRecordSetsCommand).rejects(new NoSuchHostedZone({ $metadata: { httpStatusCode: 404, requestId: 'req-z' }, message: `No hosted zone found with ID: ${ZONE}` }));

    // WHEN a weight is read
    const failure = await failureOf(run(activities.readCellWeights, { requestToken: 'wf:read', records: [cell(1)] }));

    // THEN HostedZoneNotFound, with the request id
    expect(failure.type).toBe(ErrorType.HostedZoneNotFound);
    expect(failure.nonRetryable).toBe(true);
    expect((failure.details?.[0] as AwsFailureDetails).requestId).toBe('req-z');
  });
});

describe('setCellWeights', () => {
  test('upserts the full weighted records of one zone in a single batch', async () => {
    // GIVEN two cells in one zone, one of them written with the /hostedzone/ prefix
    r53Mock.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('C1'));
    const changes: WeightChange[] = [
      { record: cell(1), weight: 0 },
      { record: { ...cell(2), hostedZoneId: `/hostedzone/${ZONE}` }, weight: 200 },
    ];

    // WHEN their weights are set
    const result = await run(activities.setCellWeights, { requestToken: 'cell-restart-cell-001:drain-1', changes });

    // THEN one ChangeResourceRecordSets carries both UPSERTs with every field of the record
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53Mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      ChangeBatch: {
        Comment: 'cellops cell-restart-cell-001:drain-1',
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: 'api.example.com', Type: 'CNAME', SetIdentifier: 'cell-001', Weight: 0, TTL: 60, ResourceRecords: [{ Value: 'cell-1.eu-west-1.example.com' }] },
          },
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: 'api.example.com', Type: 'CNAME', SetIdentifier: 'cell-002', Weight: 200, TTL: 60, ResourceRecords: [{ Value: 'cell-2.eu-west-1.example.com' }] },
          },
        ],
      },
    });
    expect(result).toEqual({ changes: [{ hostedZoneId: ZONE, changeId: 'C1', status: 'PENDING', setIdentifiers: ['cell-001', 'cell-002'] }] });
  });

  test('sends one batch per hosted zone', async () => {
    // GIVEN cells in two zones
    r53Mock.on(ChangeResourceRecordSetsCommand, { HostedZoneId: ZONE }).resolves(changeInfo('C1'));
    r53Mock.on(ChangeResourceRecordSetsCommand, { HostedZoneId: 'Z999' }).resolves(changeInfo('C2'));

    // WHEN three weights are set
    const result = await run(activities.setCellWeights, {
      requestToken: 'wf:shift',
      changes: [
        { record: cell(1), weight: 10 },
        { record: cell(2, 'Z999'), weight: 20 },
        { record: cell(3), weight: 30 },
      ],
    });

    // THEN two batches went out, grouped by zone
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
    expect(result.changes.map((c) => [c.hostedZoneId, c.changeId, c.setIdentifiers])).toEqual([
      [ZONE, 'C1', ['cell-001', 'cell-003']],
      ['Z999', 'C2', ['cell-002']],
    ]);
  });

  test('puts a hundred cells of one zone in one request', async () => {
    // GIVEN a fleet of 100 cells behind one name
    r53Mock.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('C100'));
    const changes = Array.from({ length: 100 }, (_, i) => ({ record: cell(i + 1), weight: 2 }));

    // WHEN all their weights are set
    await run(activities.setCellWeights, { requestToken: 'wf:rebalance', changes });

    // THEN a single call carries all 100 changes
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes).toHaveLength(100);
  });

  test('a second identical call sends the same UPSERT again, which changes nothing', async () => {
    // GIVEN Route 53 accepting changes
    r53Mock.on(ChangeResourceRecordSetsCommand).resolvesOnce(changeInfo('C1')).resolves(changeInfo('C2'));
    const input = { requestToken: 'wf:drain', changes: [{ record: cell(1), weight: 0 }] };

    // WHEN the same call runs twice
    await run(activities.setCellWeights, input);
    await run(activities.setCellWeights, input);

    // THEN both requests are identical UPSERTs (no CREATE that would fail on the retry)
    const [first, second] = r53Mock.commandCalls(ChangeResourceRecordSetsCommand).map((call) => call.args[0].input);
    expect(second).toEqual(first);
    expect(first.ChangeBatch?.Changes?.every((c) => c.Action === 'UPSERT')).toBe(true);
  });

  test('refuses a weight outside 0-255 before calling Route 53', async () => {
    // GIVEN a weight of 256
    // WHEN it is set
    const failure = await failureOf(run(activities.setCellWeights, { requestToken: 'wf:bad', changes: [{ record: cell(1), weight: 256 }] }));

    // THEN ValidationFailed, and nothing was sent
    expect(failure.type).toBe(ErrorType.ValidationFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  test('maps InvalidChangeBatch to a non-retryable failure listing Route 53\'s reasons', async () => {
    // GIVEN Route 53 rejecting the batch
    r53Mock.on(ChangeResourceRecordSetsCommand).rejects(
      new InvalidChangeBatch({
        $metadata: { httpStatusCode: 400, requestId: 'req-icb' },
        message: 'Invalid change batch',
        messages: ['RRSet with DNS name api.example.com. is not permitted in zone other.com.'],
      }),
    );

    // WHEN a weight is set
    const failure = await failureOf(run(activities.setCellWeights, { requestToken: 'wf:x', changes: [{ record: cell(1), weight: 1 }] }));

    // THEN the failure is InvalidChangeBatch with the reason and request id
    expect(failure.type).toBe(ErrorType.InvalidChangeBatch);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('is not permitted in zone');
    expect(failure.details?.[0]).toMatchObject({ awsErrorCode: 'InvalidChangeBatch', requestId: 'req-icb', httpStatusCode: 400 });
  });

  test('absorbs a Throttling error followed by success', async () => {
    // GIVEN Route 53 throttling the first request
    r53Mock
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(route53Error({ name: 'Throttling', message: 'Rate exceeded' }))
      .resolves(changeInfo('C1'));

    // WHEN a weight is set
    const result = await run(activities.setCellWeights, { requestToken: 'wf:t', changes: [{ record: cell(1), weight: 1 }] });

    // THEN the activity succeeds after one backoff
    expect(result.changes[0].changeId).toBe('C1');
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  test('absorbs PriorRequestNotComplete followed by success', async () => {
    // GIVEN Route 53 still busy with a previous change to the zone
    r53Mock
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(new PriorRequestNotComplete({ $metadata: { httpStatusCode: 400, requestId: 'req-p' }, message: 'The request was rejected because Route 53 was still processing a prior request.' }))
      .resolves(changeInfo('C1'));

    // WHEN a weight is set
    const result = await run(activities.setCellWeights, { requestToken: 'wf:p', changes: [{ record: cell(1), weight: 1 }] });

    // THEN the retry went through
    expect(result.changes[0].changeId).toBe('C1');
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
  });
});

describe('Route 53 rate limiting', () => {
  afterEach(() => jest.useRealTimers());

  test('a 100-cell procedure stays under 5 requests per second and is never throttled', async () => {
    // GIVEN a Route 53 that throttles more than 5 requests in any second, and the default limiter
    jest.useFakeTimers({ now: 0 });
    const sent: number[] = [];
    let throttled = 0;
    r53Mock.on(ChangeResourceRecordSetsCommand).callsFake(() => {
      const now = Date.now();
      if (sent.filter((t) => t > now - 1000).length >= 5) {
        throttled += 1;
        throw route53Error({ name: 'Throttling', message: 'Rate exceeded' });
      }
      sent.push(now);
      return changeInfo(`C${sent.length}`);
    });
    const limited = build({ route53Limiter: undefined, route53RatePerSecond: 5 });

    // WHEN 100 cells across 10 hosted zones each get their own weight change at the same moment
    const runs = Array.from({ length: 100 }, (_, i) =>
      run(limited.setCellWeights, { requestToken: `wf-${i}:drain`, changes: [{ record: cell(i, `Z${i % 10}`), weight: 0 }] }),
    );
    await jest.advanceTimersByTimeAsync(60_000);
    const results = await Promise.all(runs);

    // THEN all succeed, none was throttled, and no second saw more than 5 requests
    expect(results).toHaveLength(100);
    expect(throttled).toBe(0);
    expect(sent).toHaveLength(100);
    const busiestSecond = Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(5);
    expect(sent[99] - sent[0]).toBeGreaterThanOrEqual(99 * 200);
  });
});

describe('waitForChangesInSync', () => {
  test('polls GetChange until every change is INSYNC, heartbeating what is pending', async () => {
    // GIVEN two changes, the second in sync one poll later
    r53Mock.on(GetChangeCommand, { Id: 'C1' }).resolves(changeInfo('C1', 'INSYNC'));
    r53Mock.on(GetChangeCommand, { Id: 'C2' }).resolvesOnce(changeInfo('C2')).resolves(changeInfo('C2', 'INSYNC'));
    const env = activityEnv();
    const heartbeats: ChangeSyncProgress[] = [];
    env.on('heartbeat', (details: ChangeSyncProgress) => heartbeats.push(details));

    // WHEN the activity waits, given one id with the /change/ prefix
    const result = await run(activities.waitForChangesInSync, { requestToken: 'wf:sync', changeIds: ['/change/C1', 'C2'] }, env);

    // THEN C1 was asked once, C2 twice, with a pause between polls
    expect(result).toEqual({ changeIds: ['C1', 'C2'], polls: 2 });
    expect(heartbeats).toEqual([
      { pending: ['C2'], polls: 1 },
      { pending: [], polls: 2 },
    ]);
    expect(r53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 3);
    expect(sleep.mock.calls).toEqual([[3_000]]);
  });

  test('resumes with the changes the last attempt still had pending', async () => {
    // GIVEN a previous attempt that saw C1 in sync after 4 polls
    r53Mock.on(GetChangeCommand).resolves(changeInfo('C2', 'INSYNC'));
    const env = activityEnv({ pending: ['C2'], polls: 4 } satisfies ChangeSyncProgress);

    // WHEN the activity is retried
    const result = await run(activities.waitForChangesInSync, { requestToken: 'wf:sync', changeIds: ['C1', 'C2'] }, env);

    // THEN only C2 is asked about, and the poll count goes on
    expect(result.polls).toBe(5);
    expect(r53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 1);
    expect(r53Mock).toHaveReceivedCommandWith(GetChangeCommand, { Id: 'C2' });
  });

  test('ends as cancelled when the activity is cancelled while waiting', async () => {
    // GIVEN a change that never gets in sync and a cancellation during the pause
    r53Mock.on(GetChangeCommand).resolves(changeInfo('C1'));
    const env = activityEnv();
    sleep.mockImplementationOnce(() => {
      env.cancel();
      return new Promise<void>(() => undefined);
    });

    // WHEN the activity waits
    const outcome = run(activities.waitForChangesInSync, { requestToken: 'wf:sync', changeIds: ['C1'] }, env);

    // THEN it is cancelled after one poll
    await expect(outcome).rejects.toBeInstanceOf(CancelledFailure);
    expect(r53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 1);
  });
});

describe('removeCellRecords', () => {
  test('deletes the records exactly as Route 53 holds them, in one batch per zone', async () => {
    // GIVEN cell 2 drained to 0 with a TTL the registry does not know
    r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [listed(cell(1), 100), { ...listed(cell(2), 0), TTL: 30 }], IsTruncated: false, MaxItems: 100 });
    r53Mock.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('C9'));

    // WHEN cell 2's record is removed
    const result = await run(activities.removeCellRecords, { requestToken: 'wf:remove', records: [cell(2)] });

    // THEN one DELETE repeats the record as read (weight 0, TTL 30), and its change id comes back
    expect(result).toEqual({ removed: ['cell-002'], alreadyGone: [], changes: [{ hostedZoneId: ZONE, changeId: 'C9', status: 'PENDING', setIdentifiers: ['cell-002'] }] });
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53Mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      ChangeBatch: {
        Comment: 'cellops wf:remove',
        Changes: [{ Action: 'DELETE', ResourceRecordSet: { ...listed(cell(2), 0), Name: 'api.example.com', TTL: 30 } }],
      },
    });
  });

  test('a record already gone is done: a repeat sends no change', async () => {
    // GIVEN a group in which cell 2 no longer exists
    r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [listed(cell(1), 100)], IsTruncated: false, MaxItems: 100 });

    // WHEN cell 2's record is removed again
    const result = await run(activities.removeCellRecords, { requestToken: 'wf:remove', records: [cell(2)] });

    // THEN nothing is sent
    expect(result).toEqual({ removed: [], alreadyGone: ['cell-002'], changes: [] });
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  test('a record changed since the read makes Route 53 reject the batch: a non-retryable InvalidChangeBatch', async () => {
    // GIVEN Route 53 refusing the DELETE because the values differ
    r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [listed(cell(2), 0)], IsTruncated: false, MaxItems: 100 });
    r53Mock.on(ChangeResourceRecordSetsCommand).rejects(
      new InvalidChangeBatch({
        $metadata: { httpStatusCode: 400 },
        message: 'Tried to delete resource record set [name=\'api.example.com.\', type=\'CNAME\', set-identifier=\'cell-002\'] but the values provided do not match the current values',
        messages: ['Tried to delete resource record set [name=\'api.example.com.\', type=\'CNAME\', set-identifier=\'cell-002\'] but the values provided do not match the current values'],
      }),
    );

    // WHEN it is removed
    const failure = await failureOf(run(activities.removeCellRecords, { requestToken: 'wf:remove', records: [cell(2)] }));

    // THEN the failure says so and is not retried
    expect(failure.type).toBe(ErrorType.InvalidChangeBatch);
    expect(failure.nonRetryable).toBe(true);
  });
});
