import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { ErrorType } from '../../activities/errors';
import { createTrafficActivities } from '../../activities/traffic';
import { failureOf, noSleep, route53Error, run } from './helpers';

const region = 'eu-west-1';
const clients = () => ({
  cloudFormation: new CloudFormationClient({ region }),
  route53: new Route53Client({ region }),
  cloudWatch: new CloudWatchClient({ region }),
});

describe('resolveDeps', () => {
  test('fills in the documented defaults', () => {
    // GIVEN only the three clients
    // WHEN the dependencies are resolved
    const deps = resolveDeps(clients());

    // THEN the poll intervals and namespace have their defaults
    expect([deps.stackPollIntervalMs, deps.changePollIntervalMs, deps.metricsNamespace]).toEqual([10_000, 5_000, 'Cellops']);
  });

  test('applies a partial throttle retry policy over the defaults', async () => {
    // GIVEN Route 53 always throttling and a policy of two attempts
    const deps = clients();
    const r53 = mockClient(deps.route53);
    r53.on(ChangeResourceRecordSetsCommand).rejects(route53Error({ name: 'Throttling', message: 'Rate exceeded' }));
    const sleep = jest.fn(noSleep);
    const traffic = createTrafficActivities(resolveDeps({ ...deps, sleep, route53Limiter: { acquire: noSleep }, throttleRetry: { maxAttempts: 2 } }));

    // WHEN a weight is set
    const failure = await failureOf(
      run(traffic.setCellWeights, {
        requestToken: 'wf:t',
        changes: [{ record: { hostedZoneId: 'Z1', recordName: 'a.example.com', recordType: 'CNAME', setIdentifier: 'c1', value: 'v', ttl: 60, weight: 1 }, weight: 1 }],
      }),
    );

    // THEN it gave up after two attempts with the default first delay, as a retryable AwsThrottled
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
    expect(sleep.mock.calls).toEqual([[250]]);
    expect(failure.type).toBe(ErrorType.AwsThrottled);
    expect(failure.nonRetryable).toBe(false);
  });

  test('refuses a Route 53 rate that cannot work when the worker starts, not on first use', () => {
    // GIVEN a rate of zero
    // WHEN the dependencies are resolved
    // THEN it throws at once
    expect(() => resolveDeps({ ...clients(), route53RatePerSecond: 0 })).toThrow(RangeError);
  });
});
