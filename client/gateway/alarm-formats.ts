/**
 * The three shapes an alarm arrives in, read into one {@link AlarmNotification}: CloudWatch's
 * SNS message (the JSON in an SNS notification's `Message`), EventBridge's "CloudWatch Alarm
 * State Change" event, and the gateway's own webhook body.
 */
import { z } from 'zod';
import type { AlarmNotification } from '../../domain/incidents';
import { GatewayError } from './answers';

const state = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
const name = z.string().min(1).max(255);

/** CloudWatch's alarm message as SNS delivers it (only the fields the gateway reads). */
const cloudWatchSnsMessage = z.object({
  AlarmName: name,
  NewStateValue: state,
  OldStateValue: state.optional(),
  NewStateReason: z.string().max(2048).default(''),
  StateChangeTime: z.string().max(64).optional(),
  AWSAccountId: z.string().max(32).optional(),
  AlarmArn: z.string().max(2048).optional(),
  Trigger: z
    .object({
      MetricName: z.string().max(255).optional(),
      Namespace: z.string().max(255).optional(),
      Dimensions: z.array(z.object({ name: z.string().max(255), value: z.string().max(1024) })).max(30).default([]),
    })
    .optional(),
});

/** EventBridge's "CloudWatch Alarm State Change" event (the fields the gateway reads). */
const alarmStateChangeEvent = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change', { error: 'expected detail-type "CloudWatch Alarm State Change"' }),
  source: z.literal('aws.cloudwatch', { error: 'expected source "aws.cloudwatch"' }),
  account: z.string().max(32).optional(),
  region: z.string().max(32).optional(),
  time: z.string().max(64).optional(),
  detail: z.object({
    alarmName: name,
    state: z.object({ value: state, reason: z.string().max(2048).default(''), timestamp: z.string().max(64).optional() }),
    previousState: z.object({ value: state }).optional(),
    configuration: z
      .object({
        metrics: z
          .array(
            z.object({
              metricStat: z
                .object({
                  metric: z.object({
                    name: z.string().max(255).optional(),
                    namespace: z.string().max(255).optional(),
                    dimensions: z.record(z.string().max(255), z.string().max(1024)).default({}),
                  }),
                })
                .optional(),
            }),
          )
          .max(20)
          .default([]),
      })
      .optional(),
  }),
});

/** The webhook's body: an alarm said plainly. */
export const webhookAlarm = z.strictObject({
  alarmName: name,
  state,
  previousState: state.optional(),
  reason: z.string().max(2048).default(''),
  changedAt: z.string().max(64).optional(),
  region: z.string().max(32).optional(),
  accountId: z.string().max(32).optional(),
  metric: z
    .strictObject({
      namespace: z.string().max(255).optional(),
      name: z.string().max(255).optional(),
      dimensions: z.record(z.string().max(255), z.string().max(1024)).default({}),
    })
    .optional(),
});
export type WebhookAlarm = z.input<typeof webhookAlarm>;

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  throw new GatewayError(400, 'invalid-body', `not ${what}: ${problems.join('; ')}`);
}

/** The region in an alarm ARN (`arn:aws:cloudwatch:eu-west-1:…`). */
function arnRegion(arn: string | undefined): string | undefined {
  return arn?.split(':')[3] || undefined;
}

/**
 * Reads the `Message` of an SNS notification that CloudWatch sent.
 * @throws GatewayError (400) when it is not JSON or not a CloudWatch alarm message.
 */
export function alarmFromSnsMessage(message: string): AlarmNotification {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    throw new GatewayError(400, 'invalid-body', 'the SNS Message is not JSON: expected a CloudWatch alarm notification');
  }
  const alarm = parse(cloudWatchSnsMessage, json, 'a CloudWatch alarm notification in the SNS Message');
  const trigger = alarm.Trigger;
  return {
    alarmName: alarm.AlarmName,
    newState: alarm.NewStateValue,
    oldState: alarm.OldStateValue,
    reason: alarm.NewStateReason,
    changedAt: alarm.StateChangeTime,
    region: arnRegion(alarm.AlarmArn),
    accountId: alarm.AWSAccountId,
    metric: trigger && {
      namespace: trigger.Namespace,
      name: trigger.MetricName,
      dimensions: Object.fromEntries(trigger.Dimensions.map((d) => [d.name, d.value])),
    },
  };
}

/**
 * Reads an EventBridge "CloudWatch Alarm State Change" event.
 * @throws GatewayError (400) for any other event.
 */
export function alarmFromEventBridge(body: unknown): AlarmNotification {
  const event = parse(alarmStateChangeEvent, body, 'an EventBridge "CloudWatch Alarm State Change" event');
  const metric = event.detail.configuration?.metrics.find((m) => m.metricStat)?.metricStat?.metric;
  return {
    alarmName: event.detail.alarmName,
    newState: event.detail.state.value,
    oldState: event.detail.previousState?.value,
    reason: event.detail.state.reason,
    changedAt: event.detail.state.timestamp ?? event.time,
    region: event.region,
    accountId: event.account,
    metric: metric && { namespace: metric.namespace, name: metric.name, dimensions: metric.dimensions },
  };
}

/**
 * Reads the webhook's body.
 * @throws GatewayError (400) when it is not the documented shape.
 */
export function alarmFromWebhook(body: unknown): AlarmNotification {
  const alarm = parse(webhookAlarm, body, 'a webhook alarm ({ alarmName, state, reason?, changedAt?, metric? })');
  return {
    alarmName: alarm.alarmName,
    newState: alarm.state,
    oldState: alarm.previousState,
    reason: alarm.reason,
    changedAt: alarm.changedAt,
    region: alarm.region,
    accountId: alarm.accountId,
    metric: alarm.metric,
  };
}
