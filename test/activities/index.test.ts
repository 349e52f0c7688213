import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createActivities, type AwsActivities } from '../../activities';
import type { WeightedRecord } from '../../domain/registry/schema';
import { noSleep, run, stackMissingError } from './helpers';

const region = 'eu-west-1';
const clients = () => ({
  cloudFormation: new CloudFormationClient({ region }),
  route53: new Route53Client({ region }),
  cloudWatch: new CloudWatchClient({ region }),
});
const record: WeightedRecord = {
  hostedZoneId: 'Z0123456789ABC',
  recordName: 'api.example.com',
  recordType: 'CNAME',
  setIdentifier: 'cell-001',
  value: 'cell-1.example.com',
  ttl: 60,
  weight: 100,
};

// Compile-time check of the activity convention: every input carries a requestToken.
type Inputs = { [K in keyof AwsActivities]: Parameters<AwsActivities[K]>[0] };
const everyInputHasToken: Inputs[keyof Inputs] extends { requestToken: string } ? true : false = true;

describe('createActivities', () => {
  test('builds every AWS activity, each taking exactly one input object', () => {
    // GIVEN the three clients
    // WHEN the activities are built
    const activities = createActivities({ ...clients(), sleep: noSleep });

    // THEN all of them are there, with one parameter each
    expect(Object.keys(activities).sort()).toEqual([
      'deleteCellMonitoring',
      'deleteCellStack',
      'deletePostRecoveryAlarms',
      'deployCellStack',
      'findRecoveryPoint',
      'getCellHealth',
      'getCellUtilization',
      'getFleetHealth',
      'getTrafficShares',
      'putCellAlarms',
      'putCellDashboard',
      'putPostRecoveryAlarms',
      'readCellStacks',
      'readCellWeights',
      'readCellsHealth',
      'recordProcedureEvent',
      'removeCellRecords',
      'restartCellServices',
      'setCellWeights',
      'updateCellStacks',
      'waitForCellStacks',
      'waitForChangesInSync',
      'waitForStack',
    ]);
    expect(Object.values(activities).map((fn: (...args: unknown[]) => unknown) => fn.length)).toEqual(Object.keys(activities).map(() => 1));
    expect(everyInputHasToken).toBe(true);
  });

  test('shares one Route 53 limiter between all Route 53 activities, and only those', async () => {
    // GIVEN a counting limiter and mocked clients
    const deps = clients();
    const r53 = mockClient(deps.route53);
    const cfn = mockClient(deps.cloudFormation);
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 100 });
    r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date(0) } });
    cfn.on(DescribeStacksCommand).rejects(stackMissingError('cell-001'));
    const acquire = jest.fn(() => Promise.resolve());
    const activities = createActivities({ ...deps, sleep: noSleep, route53Limiter: { acquire } });

    // WHEN a read and a write go to Route 53 and a delete to CloudFormation
    await run(activities.readCellWeights, { requestToken: 'wf:read', records: [record] });
    await run(activities.setCellWeights, { requestToken: 'wf:set', changes: [{ record, weight: 0 }] });
    await run(activities.deleteCellStack, { requestToken: 'wf:delete', stackName: 'cell-001' });

    // THEN each Route 53 request took a token and the CloudFormation one did not
    expect(acquire).toHaveBeenCalledTimes(2);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  test('limits Route 53 to 5 requests per second by default', async () => {
    // GIVEN fake time and the default limiter
    jest.useFakeTimers({ now: 0 });
    try {
      const deps = clients();
      const r53 = mockClient(deps.route53);
      const sent: number[] = [];
      r53.on(ChangeResourceRecordSetsCommand).callsFake(() => {
        sent.push(Date.now());
        return { ChangeInfo: { Id: `C${sent.length}`, Status: 'PENDING', SubmittedAt: new Date(0) } };
      });
      const activities = createActivities({ ...deps, sleep: noSleep });

      // WHEN three weight changes are sent at once
      const runs = [0, 1, 2].map((i) => run(activities.setCellWeights, { requestToken: `wf:${i}`, changes: [{ record: { ...record, hostedZoneId: `Z${i}` }, weight: 0 }] }));
      await jest.advanceTimersByTimeAsync(2_000);
      await Promise.all(runs);

      // THEN they leave 200 ms apart
      expect(sent).toEqual([0, 200, 400]);
    } finally {
      jest.useRealTimers();
    }
  });
});
