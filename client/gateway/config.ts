/**
 * The gateway's own settings, read from the environment once at start (failing fast). Temporal and
 * the registry come from the worker's configuration (`workers/config.ts`).
 */
import type { EventBridgeOptions } from './eventbridge';
import type { WebhookOptions } from './webhook';

export interface GatewayConfig {
  port: number;
  host: string;
  webUiBaseUrl: string;
  logLevel: string;
  /** `false`: the SNS route is off. */
  sns: { topicArns?: string[] } | false;
  eventBridge?: EventBridgeOptions;
  webhook?: WebhookOptions;
}

/**
 * Reads `CELLOPS_GATEWAY_PORT` (8080), `CELLOPS_GATEWAY_HOST` (127.0.0.1), `CELLOPS_WEB_UI_URL`
 * (http://localhost:8233), `CELLOPS_LOG_LEVEL` (info), `CELLOPS_SNS` (on|off), `CELLOPS_SNS_TOPIC_ARNS`
 * (comma-separated; default any topic), `CELLOPS_EVENTBRIDGE_SECRET` and `CELLOPS_EVENTBRIDGE_HEADER`,
 * `CELLOPS_WEBHOOK_SECRET` and `CELLOPS_WEBHOOK_TOLERANCE_SECONDS`.
 * @throws Error naming the variable whose value is wrong.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const port = Number(env.CELLOPS_GATEWAY_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`CELLOPS_GATEWAY_PORT must be a port number, got "${env.CELLOPS_GATEWAY_PORT}"`);
  const snsSetting = env.CELLOPS_SNS ?? 'on';
  if (snsSetting !== 'on' && snsSetting !== 'off') throw new Error(`CELLOPS_SNS must be on or off, got "${snsSetting}"`);
  const topicArns = env.CELLOPS_SNS_TOPIC_ARNS?.split(',').map((arn) => arn.trim()).filter(Boolean);
  const tolerance = Number(env.CELLOPS_WEBHOOK_TOLERANCE_SECONDS ?? 300);
  if (!Number.isInteger(tolerance) || tolerance <= 0) throw new Error(`CELLOPS_WEBHOOK_TOLERANCE_SECONDS must be a positive integer, got "${env.CELLOPS_WEBHOOK_TOLERANCE_SECONDS}"`);
  for (const name of ['CELLOPS_EVENTBRIDGE_SECRET', 'CELLOPS_WEBHOOK_SECRET']) {
    const secret = env[name];
    if (secret !== undefined && secret !== '' && secret.length < 16) throw new Error(`${name} must be at least 16 characters`);
  }
  return {
    port,
    host: env.CELLOPS_GATEWAY_HOST || '127.0.0.1',
    webUiBaseUrl: env.CELLOPS_WEB_UI_URL || 'http://localhost:8233',
    logLevel: env.CELLOPS_LOG_LEVEL || 'info',
    sns: snsSetting === 'off' ? false : { topicArns: topicArns?.length ? topicArns : undefined },
    eventBridge: env.CELLOPS_EVENTBRIDGE_SECRET ? { secret: env.CELLOPS_EVENTBRIDGE_SECRET, headerName: env.CELLOPS_EVENTBRIDGE_HEADER || undefined } : undefined,
    webhook: env.CELLOPS_WEBHOOK_SECRET ? { secret: env.CELLOPS_WEBHOOK_SECRET, toleranceSeconds: tolerance } : undefined,
  };
}
