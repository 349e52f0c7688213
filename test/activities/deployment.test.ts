import { createHash } from 'node:crypto';
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, GetTemplateCommand, UpdateStackCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createDeploymentActivities } from '../../activities/deployment';
import { resolveDeps } from '../../activities/deps';
import type { StackSpec } from '../../domain/registry/schema';
import { activityEnv, cfnError, failureOf, noSleep, run, stackMissingError } from './helpers';

const region = 'eu-west-1';
const cloudFormation = new CloudFormationClient({ region });
const cloudWatch = new CloudWatchClient({ region });
const cfnMock = mockClient(cloudFormation);
const cwMock = mockClient(cloudWatch);
const activities = createDeploymentActivities(resolveDeps({ cloudFormation, cloudWatch, route53: new Route53Client({ region }), sleep: jest.fn(noSleep), clock: () => Date.parse('2026-01-05T10:00:30Z') }));

const spec = (name: string): StackSpec => ({ name, template: { templateUrl: 'https://bucket.s3.amazonaws.com/cell-v2.yaml' }, parameters: { Image: 'app:2.0' }, restartParameter: 'RestartNonce' });
const stack = (name: string, status: string): Stack => ({ StackName: name, StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/x`, StackStatus: status as Stack['StackStatus'], CreationTime: new Date(0), Parameters: [{ ParameterKey: 'RestartNonce', ParameterValue: 'n' }] });
const metrics = (cellId: string) => ({ namespace: 'Shop/Cells', dimensions: { CellId: cellId }, requestCount: 'RequestCount', errorCount: 'ErrorCount', latency: 'Latency', availability: 'Availability' });

beforeEach(() => {
  cfnMock.reset();
  cwMock.reset();
});

describe('updateCellStacks', () => {
  test('updates each cell with its own token; a stack that needs an operator is that cell\u2019s failure, not the batch\u2019s', async () => {
    // GIVEN cell-a updatable and cell-b in UPDATE_ROLLBACK_FAILED
    cfnMock.on(DescribeStacksCommand, { StackName: 'a' }).resolves({ Stacks: [stack('a', 'UPDATE_COMPLETE')] });
    cfnMock.on(DescribeStacksCommand, { StackName: 'b' }).resolves({ Stacks: [stack('b', 'UPDATE_ROLLBACK_FAILED')] });
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    cfnMock.on(UpdateStackCommand).resolves({});
    // WHEN both are updated in one batch
    const results = await run(activities.updateCellStacks, { requestToken: 'deploy-w0', cells: [{ cellId: 'cell-a', stack: spec('a') }, { cellId: 'cell-b', stack: spec('b') }] });
    // THEN a started with token deploy-w0-cell-a, b failed with StackOperationFailed
    expect(results.map((r) => [r.cellId, r.outcome, r.error?.type])).toEqual([
      ['cell-a', 'started', undefined],
      ['cell-b', 'failed', 'StackOperationFailed'],
    ]);
    expect(cfnMock).toHaveReceivedCommandWith(UpdateStackCommand, { StackName: 'a', ClientRequestToken: 'deploy-w0-cell-a', TemplateURL: 'https://bucket.s3.amazonaws.com/cell-v2.yaml' });
    expect(cfnMock).toHaveReceivedCommandTimes(UpdateStackCommand, 1);
  });

  test('a throttled call fails the batch (retryable); the retry skips the cells an earlier attempt heartbeated', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(cfnError({ name: 'Throttling', message: 'Rate exceeded' }));
    const failure = await failureOf(run(activities.updateCellStacks, { requestToken: 't', cells: [{ cellId: 'cell-a', stack: spec('a') }] }));
    expect(failure.type).toBe('AwsThrottled');
    expect(failure.nonRetryable).toBe(false);
    cfnMock.reset();
    const done = [{ cellId: 'cell-a', stackName: 'a', outcome: 'started' }];
    const results = await run(activities.updateCellStacks, { requestToken: 't', cells: [{ cellId: 'cell-a', stack: spec('a') }] }, activityEnv(done));
    expect(results).toEqual(done);
    expect(cfnMock).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });
});

describe('readCellStacks', () => {
  const BODY = 'Parameters:\n  Image: { Type: String }\n  DbPassword: { Type: String, NoEcho: true }\nResources: {}\n';
  const digest = createHash('sha256').update(BODY).digest('hex');
  const withParameters = (name: string): Stack => ({
    ...stack(name, 'UPDATE_COMPLETE'),
    Parameters: [
      { ParameterKey: 'Image', ParameterValue: 'app:1.9' },
      { ParameterKey: 'DbPassword', ParameterValue: '****' },
      { ParameterKey: 'RestartNonce', ParameterValue: 'n-7' },
    ],
  });

  test('each stack’s parameters as they are (NoEcho ones named, not valued) and its original template, each distinct body once', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: 'a' }).resolves({ Stacks: [withParameters('a')] });
    cfnMock.on(DescribeStacksCommand, { StackName: 'b' }).resolves({ Stacks: [withParameters('b')] });
    cfnMock.on(DescribeStacksCommand, { StackName: 'gone' }).rejects(stackMissingError('gone'));
    cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: BODY, StagesAvailable: ['Original', 'Processed'] });
    const cells = [{ cellId: 'cell-a', stackName: 'a' }, { cellId: 'cell-b', stackName: 'b' }, { cellId: 'cell-gone', stackName: 'gone' }];

    const read = await run(activities.readCellStacks, { requestToken: 't', cells, knownTemplates: [] });

    expect(read.cells).toEqual([
      { cellId: 'cell-a', parameters: { Image: 'app:1.9', RestartNonce: 'n-7' }, hidden: ['DbPassword'], templateDigest: digest },
      { cellId: 'cell-b', parameters: { Image: 'app:1.9', RestartNonce: 'n-7' }, hidden: ['DbPassword'], templateDigest: digest },
      { cellId: 'cell-gone', parameters: {}, hidden: [], missing: true },
    ]);
    expect(read.templates).toEqual({ [digest]: BODY });
    expect(cfnMock).toHaveReceivedCommandWith(GetTemplateCommand, { StackName: 'a', TemplateStage: 'Original' });
    // A body the workflow holds already is not returned again
    expect((await run(activities.readCellStacks, { requestToken: 't', cells: cells.slice(0, 1), knownTemplates: [digest] })).templates).toEqual({});
  });

  test('a template too large to give back inline has no digest (the rollback then uses the registry\u2019s)', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [withParameters('a')] });
    cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: `# ${'x'.repeat(51_200)}\nResources: {}\n` });
    const large = await run(activities.readCellStacks, { requestToken: 't', cells: [{ cellId: 'cell-a', stackName: 'a' }], knownTemplates: [] });
    expect(large).toEqual({ cells: [{ cellId: 'cell-a', parameters: { Image: 'app:1.9', RestartNonce: 'n-7' }, hidden: ['DbPassword'] }], templates: {} });
  });

  test('a throttled read fails the batch (retryable)', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(cfnError({ name: 'Throttling', message: 'Rate exceeded' }));
    const failure = await failureOf(run(activities.readCellStacks, { requestToken: 't', cells: [{ cellId: 'cell-a', stackName: 'a' }], knownTemplates: [] }));
    expect(failure.type).toBe('AwsThrottled');
    expect(failure.nonRetryable).toBe(false);
  });
});

describe('waitForCellStacks', () => {
  test('polls until every stack is stable; a rolled-back update is reported with the resource that failed', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: 'a' }).resolvesOnce({ Stacks: [stack('a', 'UPDATE_IN_PROGRESS')] }).resolves({ Stacks: [stack('a', 'UPDATE_COMPLETE')] });
    cfnMock.on(DescribeStacksCommand, { StackName: 'b' }).resolves({ Stacks: [stack('b', 'UPDATE_ROLLBACK_COMPLETE')] });
    cfnMock.on(DescribeStackEventsCommand, { StackName: 'b' }).resolves({
      StackEvents: [
        { StackId: 'x', StackName: 'b', EventId: '2', LogicalResourceId: 'b', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'UPDATE_ROLLBACK_COMPLETE', Timestamp: new Date(2) },
        { StackId: 'x', StackName: 'b', EventId: '1', LogicalResourceId: 'CellService', ResourceType: 'AWS::ECS::Service', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'circuit breaker', Timestamp: new Date(1) },
        { StackId: 'x', StackName: 'b', EventId: '0', LogicalResourceId: 'b', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'UPDATE_IN_PROGRESS', Timestamp: new Date(0) },
      ],
    });
    const results = await run(activities.waitForCellStacks, { requestToken: 'w', cells: [{ cellId: 'cell-a', stackName: 'a' }, { cellId: 'cell-b', stackName: 'b' }] });
    expect(results.map((r) => [r.cellId, r.status, r.ok])).toEqual([
      ['cell-a', 'UPDATE_COMPLETE', true],
      ['cell-b', 'UPDATE_ROLLBACK_COMPLETE', false],
    ]);
    expect(results[1].reason).toMatch(/CellService.*circuit breaker/);
  });
});

describe('readCellsHealth', () => {
  test('one DescribeAlarms and one GetMetricData for the batch: error rate, p95 and the alarms in ALARM per cell', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a-HighErrorRate', StateValue: 'ALARM' }, { AlarmName: 'b-HighErrorRate', StateValue: 'OK' }] });
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'c0_0_req', Values: [1000], StatusCode: 'Complete' },
        { Id: 'c0_0_err', Values: [60], StatusCode: 'Complete' },
        { Id: 'c0_0_p95', Values: [900], StatusCode: 'Complete' },
        { Id: 'c0_1_req', Values: [], StatusCode: 'Complete' },
        { Id: 'c0_1_err', Values: [], StatusCode: 'Complete' },
        { Id: 'c0_1_p95', Values: [], StatusCode: 'Complete' },
      ],
    });
    const readings = await run(activities.readCellsHealth, {
      requestToken: 'r',
      windowSeconds: 300,
      cells: [
        { cellId: 'cell-a', alarms: ['a-HighErrorRate'], metrics: metrics('cell-a') },
        { cellId: 'cell-b', alarms: ['b-HighErrorRate'], metrics: metrics('cell-b') },
      ],
    });
    expect(readings).toEqual([
      { cellId: 'cell-a', requestCount: 1000, errorRatePercent: 6, latencyP95Ms: 900, inAlarm: ['a-HighErrorRate'] },
      { cellId: 'cell-b', requestCount: 0, errorRatePercent: null, latencyP95Ms: null, inAlarm: [] },
    ]);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cwMock).toHaveReceivedCommandWith(GetMetricDataCommand, { StartTime: new Date('2026-01-05T09:55:00Z'), EndTime: new Date('2026-01-05T10:00:00Z') });
  });

  test('a metric CloudWatch forbids fails the read as AccessDenied', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({});
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'c0_0_req', StatusCode: 'Forbidden' }] });
    const failure = await failureOf(run(activities.readCellsHealth, { requestToken: 'r', windowSeconds: 60, cells: [{ cellId: 'cell-a', alarms: [], metrics: metrics('cell-a') }] }));
    expect(failure.type).toBe('AccessDenied');
  });
});
