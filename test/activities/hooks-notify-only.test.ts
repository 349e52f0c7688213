import { InternalErrorException, InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createNotifyOnlyHooks } from '../../activities/hooks';
import { failureOf } from './helpers';

const sns = new SNSClient({ region: 'eu-west-1' });
const snsMock = mockClient(sns);
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, requestId: 'req-1' } });
const input = { requestToken: 'cell-recovery-cell-002-run1-notify-failure', severity: 'critical' as const, subject: 'Cell restart of cell-002 failed', message: 'drain-traffic failed', workflowId: 'cell-recovery-cell-002' };

beforeEach(() => snsMock.reset());

describe('notify-only hooks', () => {
  test('notify logs the notification and publishes it to the topic, the request token as a message attribute', async () => {
    // GIVEN a standard topic
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const lines: string[] = [];
    const hooks = createNotifyOnlyHooks({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:cellops-ops', sns, log: (l) => lines.push(l) });

    // WHEN an operator is notified
    await expect(hooks.notify(input)).resolves.toEqual({ delivered: true });

    // THEN one line is logged and one message published, without FIFO fields
    expect(lines).toEqual(['cellops notify [critical] cell-recovery-cell-002: Cell restart of cell-002 failed: drain-traffic failed']);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const sent = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(sent).toMatchObject({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:cellops-ops', Subject: '[cellops critical] Cell restart of cell-002 failed' });
    expect(sent.MessageAttributes?.requestToken?.StringValue).toBe(input.requestToken);
    expect(sent.MessageDeduplicationId).toBeUndefined();
  });

  test('a FIFO topic deduplicates a repeat by the request token', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const hooks = createNotifyOnlyHooks({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:cellops-ops.fifo', sns, log: () => undefined });
    await hooks.notify(input);
    await hooks.notify(input);
    const [first, second] = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(first.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(second.MessageDeduplicationId).toBe(first.MessageDeduplicationId);
    expect(first.MessageGroupId).toBe('cell-recovery-cell-002');
  });

  test('without a topic, notifications are only logged', async () => {
    const lines: string[] = [];
    await expect(createNotifyOnlyHooks({ log: (l) => lines.push(l) }).notify(input)).resolves.toEqual({ delivered: false });
    expect(lines).toHaveLength(1);
  });

  test('SNS failures: a 5xx is retryable HookUnavailable, a bad parameter non-retryable HookRejected', async () => {
    const hooks = createNotifyOnlyHooks({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:cellops-ops', sns, log: () => undefined });
    snsMock.on(PublishCommand).rejects(new InternalErrorException({ ...meta(500), message: 'internal' }));
    expect(await failureOf(hooks.notify(input))).toMatchObject({ type: 'HookUnavailable', nonRetryable: false });
    snsMock.on(PublishCommand).rejects(new InvalidParameterException({ ...meta(400), message: 'bad topic' }));
    expect(await failureOf(hooks.notify(input))).toMatchObject({ type: 'HookRejected', nonRetryable: true });
  });

  test('every data hook is refused with a reason naming the way to configure one', async () => {
    const hooks = createNotifyOnlyHooks({ log: () => undefined });
    const failure = await failureOf(hooks.backupCellData({ requestToken: 't', cellId: 'cell-002' }));
    expect(failure).toMatchObject({ type: 'HookRejected', nonRetryable: true });
    expect(failure.message).toMatch(/backupCellData needs the application's hooks \(set CELLOPS_HOOKS_URL/);
  });
});
