import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/common';
import { awsErrorInfo, isThrottlingError } from '../errors';
import { HookErrorType } from './hook-errors';
import type { ApplicationHooks, NotifyInput, NotifyResult } from './types';

/** Options of {@link createNotifyOnlyHooks}. */
export interface NotifyOnlyHooksOptions {
  /** The fleet's SNS topic (`fleet.notificationTopicArn`); without one, notifications are only logged. */
  topicArn?: string;
  /** Required with `topicArn`. */
  sns?: SNSClient;
  /** Where each notification is logged. Default: one line on stderr. */
  log?: (line: string) => void;
}

// SNS limits: a subject of at most 100 printable ASCII characters on one line.
const subjectOf = (text: string): string => text.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100);

/**
 * The hooks of a worker on real AWS without an application hooks backend: `notify` logs the
 * notification and publishes it to the fleet's SNS topic; every data hook (backup, migration,
 * integrity, ...) is refused (`HookRejected`), so a procedure that needs one fails at that step
 * with a clear reason instead of waiting for a hooks worker that does not exist.
 *
 * Publishing is idempotent per request token on a FIFO topic (the token's hash is the
 * deduplication id); a standard topic cannot deduplicate, so the token travels as the
 * `requestToken` message attribute for subscribers to drop repeats.
 */
export function createNotifyOnlyHooks(options: NotifyOnlyHooksOptions): ApplicationHooks {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.topicArn !== undefined && options.sns === undefined) throw new TypeError('createNotifyOnlyHooks: a topicArn needs an SNS client');
  const refuse = (hook: string) => (): Promise<never> =>
    Promise.reject(
      ApplicationFailure.create({
        type: HookErrorType.HookRejected,
        nonRetryable: true,
        message: `${hook} needs the application's hooks (set CELLOPS_HOOKS_URL, or run a hooks worker on the hooks task queue); this worker only sends notifications`,
      }),
    );

  async function notify(input: NotifyInput): Promise<NotifyResult> {
    log(`cellops notify [${input.severity}] ${input.workflowId}: ${input.subject}: ${input.message}`);
    const { topicArn, sns } = options;
    if (topicArn === undefined || sns === undefined) return { delivered: false };
    const fifo = topicArn.endsWith('.fifo');
    try {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subjectOf(`[cellops ${input.severity}] ${input.subject}`),
          Message: `${input.message}\n\nworkflow: ${input.workflowId}`,
          MessageAttributes: {
            requestToken: { DataType: 'String', StringValue: input.requestToken },
            severity: { DataType: 'String', StringValue: input.severity },
          },
          ...(fifo ? { MessageGroupId: input.workflowId.slice(0, 128), MessageDeduplicationId: createHash('sha256').update(input.requestToken).digest('hex') } : {}),
        }),
      );
    } catch (err) {
      const info = awsErrorInfo(err);
      const retryable = info === undefined || isThrottlingError(err) || info.fault === 'server' || (info.httpStatusCode ?? 500) >= 500;
      throw ApplicationFailure.create({
        type: retryable ? HookErrorType.HookUnavailable : HookErrorType.HookRejected,
        nonRetryable: !retryable,
        message: `SNS Publish to ${topicArn} failed: ${info?.code ?? 'Error'}: ${err instanceof Error ? err.message : String(err)}`,
        cause: err instanceof Error ? err : undefined,
      });
    }
    return { delivered: true };
  }

  return {
    checkDataAccessible: refuse('checkDataAccessible'),
    backupCellData: refuse('backupCellData'),
    migrateCustomers: refuse('migrateCustomers'),
    restoreCustomersFromBackup: refuse('restoreCustomersFromBackup'),
    shedLoad: refuse('shedLoad'),
    setCircuitBreakers: refuse('setCircuitBreakers'),
    validateDataIntegrity: refuse('validateDataIntegrity'),
    notify,
  };
}
