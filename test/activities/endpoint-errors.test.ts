/**
 * Answers from an endpoint that will never work (an emulator without the operation, the wrong
 * protocol, a URL that is not the service) are configuration errors: non-retryable
 * `EndpointMisconfigured`, after one call. The errors are the SDK's own: each case is answered
 * on the wire by a loopback server and raised by the real client, then handed to the
 * activities through aws-sdk-client-mock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetChangeCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resolveDeps } from '../../activities/deps';
import { ErrorType, toApplicationFailure } from '../../activities/errors';
import { createHealthActivities } from '../../activities/health';
import { createStackActivities } from '../../activities/stacks';
import { createTrafficActivities } from '../../activities/traffic';
import { failureOf, noSleep, run } from './helpers';

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

let answer: Answer = { status: 200, contentType: 'text/plain', body: '' };
let server: http.Server;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

type Service = 'cloudformation' | 'route53' | 'cloudwatch';

/** The error the real SDK client raises for `reply`, one attempt. */
async function sdkErrorFor(service: Service, reply: Answer): Promise<unknown> {
  answer = reply;
  const config = { region: 'eu-west-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  const send =
    service === 'cloudformation'
      ? () => new CloudFormationClient(config).send(new DescribeStacksCommand({ StackName: 'cell-001' }))
      : service === 'route53'
        ? () => new Route53Client(config).send(new GetChangeCommand({ Id: 'C1' }))
        : () => new CloudWatchClient(config).send(new DescribeAlarmsCommand({ AlarmNames: ['a'] }));
  return await send().then(
    () => {
      throw new Error(`expected ${service} to fail on ${reply.status}`);
    },
    (err: unknown) => err,
  );
}

const html = (status: number, text: string): Answer => ({ status, contentType: 'text/html', body: `<html><body><h1>${text}</h1></body></html>` });
const WRONG_ENDPOINT: [label: string, service: Service, reply: Answer][] = [
  ['an HTML 404 (a URL that is not the service)', 'cloudformation', html(404, 'Not Found')],
  ['an HTML 404', 'route53', html(404, 'Not Found')],
  ['an HTML 404 to a JSON client', 'cloudwatch', html(404, 'Not Found')],
  ['a plain 405', 'cloudformation', { status: 405, contentType: 'text/plain', body: 'Method Not Allowed' }],
  ['a plain 405', 'route53', { status: 405, contentType: 'text/plain', body: 'Method Not Allowed' }],
  ['a 501', 'cloudformation', html(501, 'Not Implemented')],
  ['a 501', 'route53', html(501, 'Not Implemented')],
  ['a 501 to a JSON client', 'cloudwatch', html(501, 'Not Implemented')],
  [
    'UnknownOperationException (a JSON endpoint without the operation)',
    'cloudwatch',
    { status: 400, contentType: 'application/x-amz-json-1.0', body: '{"__type":"com.amazon.coral.service#UnknownOperationException","message":null}' },
  ],
  [
    'UnsupportedOperation (an emulator)',
    'cloudwatch',
    { status: 400, contentType: 'application/x-amz-json-1.0', body: '{"__type":"UnsupportedOperation","message":"DescribeAlarms is not supported"}' },
  ],
  [
    'InvalidAction (a query endpoint without the operation)',
    'cloudformation',
    {
      status: 400,
      contentType: 'text/xml',
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action DescribeStacks is not valid for this web service.</Message></Error><RequestId>r1</RequestId></ErrorResponse>',
    },
  ],
  [
    'a query-protocol XML error to a JSON client (wrong protocol)',
    'cloudwatch',
    { status: 400, contentType: 'text/xml', body: '<ErrorResponse><Error><Code>InvalidAction</Code><Message>no</Message></Error></ErrorResponse>' },
  ],
  [
    'a JSON error to an XML client (wrong protocol)',
    'route53',
    { status: 400, contentType: 'application/json', body: '{"__type":"UnknownOperationException"}' },
  ],
];

const STILL_TRANSIENT: [label: string, service: Service, reply: Answer][] = [
  ['an empty 500', 'cloudformation', { status: 500, contentType: 'text/plain', body: '' }],
  ['an HTML 503 from a load balancer', 'route53', html(503, 'Service Temporarily Unavailable')],
  ['an HTML 502 to a JSON client', 'cloudwatch', html(502, 'Bad Gateway')],
];

describe('answers from an endpoint that will never work', () => {
  test.each(WRONG_ENDPOINT)('%s from %s is a non-retryable EndpointMisconfigured', async (_label, service, reply) => {
    // GIVEN the error the SDK raises for the answer
    const error = await sdkErrorFor(service, reply);

    // WHEN it is mapped
    const failure = toApplicationFailure(error, { operation: 'Probe', resource: service });

    // THEN it is a configuration error, pointing at the endpoint settings
    expect(failure.type).toBe(ErrorType.EndpointMisconfigured);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('AWS_ENDPOINT_URL_<SERVICE>');
  });

  test.each(STILL_TRANSIENT)('%s from %s stays a retryable AwsUnavailable', async (_label, service, reply) => {
    const failure = toApplicationFailure(await sdkErrorFor(service, reply), { operation: 'Probe' });
    expect(failure.type).toBe(ErrorType.AwsUnavailable);
    expect(failure.nonRetryable).toBe(false);
  });
});

describe('activities on an endpoint that will never work', () => {
  const region = 'eu-west-1';
  const cloudFormation = new CloudFormationClient({ region });
  const route53 = new Route53Client({ region });
  const cloudWatch = new CloudWatchClient({ region });
  const mocks = { cfn: mockClient(cloudFormation), r53: mockClient(route53), cw: mockClient(cloudWatch) };
  const deps = resolveDeps({ cloudFormation, route53, cloudWatch, sleep: noSleep, clock: () => Date.parse('2026-03-01T12:00:00Z') });
  beforeEach(() => Object.values(mocks).forEach((m) => m.reset()));

  test('readCellWeights fails at once, after one call, on a 404 in another protocol', async () => {
    // GIVEN Route 53 calls answered as a web server without the API would answer them
    mocks.r53.on(ListResourceRecordSetsCommand).rejects((await sdkErrorFor('route53', html(404, 'Not Found'))) as Error);

    // WHEN the weights are read
    const failure = await failureOf(
      run(createTrafficActivities(deps).readCellWeights, {
        requestToken: 't',
        records: [{ hostedZoneId: 'Z1', recordName: 'api.example.com', recordType: 'CNAME', setIdentifier: 'cell-001' }],
      }),
    );

    // THEN the activity fails non-retryably, without retrying the call inside the activity
    expect(failure).toMatchObject({ type: ErrorType.EndpointMisconfigured, nonRetryable: true });
    expect(mocks.r53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
  });

  test('getCellHealth fails at once on UnknownOperationException', async () => {
    mocks.cw.on(DescribeAlarmsCommand).rejects(
      (await sdkErrorFor('cloudwatch', { status: 400, contentType: 'application/x-amz-json-1.0', body: '{"__type":"UnknownOperationException"}' })) as Error,
    );
    const failure = await failureOf(
      run(createHealthActivities(deps).getCellHealth, {
        requestToken: 't',
        cellId: 'cell-001',
        alarms: ['cell-001-errors'],
        metrics: { namespace: 'App', dimensions: { Cell: 'cell-001' }, requestCount: 'RequestCount', errorCount: 'ErrorCount', latency: 'Latency', availability: 'Availability' },
        windowSeconds: 60,
      }),
    );
    expect(failure).toMatchObject({ type: ErrorType.EndpointMisconfigured, nonRetryable: true });
    expect(mocks.cw).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
  });

  test('waitForStack fails at once on InvalidAction', async () => {
    mocks.cfn.on(DescribeStacksCommand).rejects(
      (await sdkErrorFor('cloudformation', {
        status: 400,
        contentType: 'text/xml',
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action DescribeStacks is not valid for this web service.</Message></Error></ErrorResponse>',
      })) as Error,
    );
    const failure = await failureOf(run(createStackActivities(deps).waitForStack, { requestToken: 't', stackName: 'cell-001', until: 'stable' }));
    expect(failure).toMatchObject({ type: ErrorType.EndpointMisconfigured, nonRetryable: true });
    expect(mocks.cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });
});
