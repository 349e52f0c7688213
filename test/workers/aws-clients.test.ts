/**
 * The worker's clients on real AWS: per region and account, the settings every client gets, the
 * roles it may assume, and what it says at start-up. No request leaves the process.
 */
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { createActivities } from '../../activities';
import type { Registry } from '../../domain/registry/schema';
import { AWS_CLIENT_SETTINGS, createAwsClientPool, describeAwsReach } from '../../workers/aws-clients';
import { exampleRegistry } from '../helpers/procedures-environment';
import { failureOf, noSleep, run } from '../activities/helpers';

const ROLE_A = 'arn:aws:iam::111111111111:role/cellops';
const ROLE_B = 'arn:aws:iam::222222222222:role/cellops';

/** The example fleet spread over two regions and two accounts. */
function multiRegion(): Registry {
  const registry = exampleRegistry();
  const [c1, c2, ...rest] = registry.cells;
  return {
    ...registry,
    fleet: { ...registry.fleet, roleArn: ROLE_A },
    cells: [c1, { ...c2, region: 'us-east-1', roleArn: ROLE_B }, ...rest],
  };
}

const noCredentials = () => () => Promise.resolve({ accessKeyId: 'x', secretAccessKey: 'y' });

describe('the AWS client pool', () => {
  test('one client per service, region and role, built once; Route 53 global from the fleet region', async () => {
    const registry = multiRegion();
    const roles: string[] = [];
    const pool = createAwsClientPool({ registry, roleCredentials: (arn) => (roles.push(arn), noCredentials()) });

    const home = pool.cloudFormation({ region: registry.fleet.region });
    const east = pool.cloudFormation({ region: 'us-east-1', roleArn: ROLE_B });
    expect(await home.config.region()).toBe(registry.fleet.region);
    expect(await east.config.region()).toBe('us-east-1');
    expect(pool.cloudFormation({ region: 'us-east-1', roleArn: ROLE_B })).toBe(east);
    expect(pool.cloudWatch({ region: 'us-east-1', roleArn: ROLE_B })).not.toBe(pool.cloudWatch({ region: registry.fleet.region }));
    expect(await pool.route53().config.region()).toBe(registry.fleet.region);
    // A target without a role uses the fleet's; each role is assumed once, whatever the clients using it.
    expect(roles).toEqual([ROLE_A, ROLE_B]);
    pool.destroy();
  });

  test('every client: no SDK retries (cellops owns them), request and connection timeouts, a cellops user agent', async () => {
    const pool = createAwsClientPool({ registry: exampleRegistry() });
    for (const client of [pool.cloudFormation(), pool.cloudWatch(), pool.route53(), pool.sns()]) {
      expect(await client.config.maxAttempts()).toBe(1);
      expect(client.config.customUserAgent).toEqual([[AWS_CLIENT_SETTINGS.customUserAgent]]);
      const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
      expect(await handler.configProvider).toMatchObject({ connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true });
    }
    expect(AWS_CLIENT_SETTINGS.customUserAgent).toMatch(/^cellops\/\d+\.\d+\.\d+/);
    pool.destroy();
  });

  test('a role the registry does not name is never assumed, whatever a workflow input says', async () => {
    const pool = createAwsClientPool({ registry: multiRegion(), roleCredentials: noCredentials });
    const failure = await failureOf(Promise.resolve().then(() => pool.cloudFormation({ region: 'eu-west-1', roleArn: 'arn:aws:iam::999999999999:role/admin' })));
    expect(failure).toMatchObject({ type: 'AccessDenied', nonRetryable: true });
    expect(failure.message).toMatch(/not in the worker's cell registry/);
  });

  test('the start-up lines name the regions with their cells, the accounts, an ignored AWS_REGION and the endpoints set', () => {
    const lines = describeAwsReach(multiRegion(), { AWS_REGION: 'ap-south-1', AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:5000' });
    expect(lines.join('\n')).toMatch(/regions: eu-west-1 \(CloudFormation, CloudWatch: cell-001, cell-003\); us-east-1 \(CloudFormation, CloudWatch: cell-002\)/);
    expect(lines.join('\n')).toMatch(/accounts: 111111111111 \(assuming arn:aws:iam::111111111111:role\/cellops\), 222222222222/);
    expect(lines.join('\n')).toMatch(/AWS_REGION=ap-south-1 is not used for cell calls/);
    expect(lines.join('\n')).toMatch(/endpoints: AWS_ENDPOINT_URL_CLOUDWATCH=http:\/\/127.0.0.1:5000/);
  });
});

describe('activities pick the client of the cell they act on', () => {
  test('a stack in another region and account is read with that region\'s client; Route 53 with the global one', async () => {
    // GIVEN a pool whose clients are mocked per region
    const pool = createAwsClientPool({ registry: multiRegion(), roleCredentials: noCredentials });
    const home = mockClient(pool.cloudFormation({ region: 'eu-west-1' }));
    const east = mockClient(pool.cloudFormation({ region: 'us-east-1', roleArn: ROLE_B }));
    const eastCw = mockClient(pool.cloudWatch({ region: 'us-east-1', roleArn: ROLE_B }));
    const r53 = mockClient(pool.route53());
    east.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'cell-002', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) }] });
    east.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    eastCw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    const activities = createActivities({ clients: pool, sleep: noSleep });

    // WHEN cell-002's stack is waited for, its alarms read, and its record read
    await run(activities.waitForStack, { requestToken: 't', target: { region: 'us-east-1', roleArn: ROLE_B }, stackName: 'cell-002', until: 'stable' as const });
    await run(activities.putPostRecoveryAlarms, { requestToken: 't', target: { region: 'us-east-1', roleArn: ROLE_B }, cellId: 'cell-002', alarms: [] });
    await run(activities.readCellWeights, { requestToken: 't', records: [{ hostedZoneId: 'Z1', recordName: 'api.example.com', recordType: 'CNAME' as const, setIdentifier: 'cell-002' }] });

    // THEN only the us-east-1 client of account B saw the stack call, and Route 53 the record read
    expect(east.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(home.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(1);
    pool.destroy();
  });

  test('traffic shares of cells in two regions: one read per region, shares over all of them', async () => {
    const cwHome = new CloudWatchClient({ region: 'eu-west-1' });
    const cwEast = new CloudWatchClient({ region: 'us-east-1' });
    const home = mockClient(cwHome);
    const east = mockClient(cwEast);
    const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    home.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'cell0', Values: [300], StatusCode: 'Complete' }] });
    east.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'cell0', Values: [100], StatusCode: 'Complete' }] });
    const activities = createActivities({
      clients: { cloudFormation: () => new CloudFormationClient({}), route53: () => new Route53Client({}), cloudWatch: (t) => (t?.region === 'us-east-1' ? cwEast : cwHome) },
      sleep: noSleep,
    });
    const metrics = { namespace: 'App', dimensions: {}, requestCount: 'RequestCount', errorCount: 'E', latency: 'L', availability: 'A' };
    const shares = await run(activities.getTrafficShares, {
      requestToken: 't',
      cells: [
        { cellId: 'cell-001', metrics, target: { region: 'eu-west-1' } },
        { cellId: 'cell-002', metrics, target: { region: 'us-east-1' } },
      ],
      windowSeconds: 60,
      endTime: '2026-03-01T12:00:00Z',
    });
    expect(shares.totalRequests).toBe(400);
    expect(shares.shares).toEqual([
      { cellId: 'cell-001', requestCount: 300, sharePercent: 75 },
      { cellId: 'cell-002', requestCount: 100, sharePercent: 25 },
    ]);
    expect(home.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(east.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });
});
