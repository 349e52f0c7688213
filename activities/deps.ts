import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { AwsCaller, DEFAULT_THROTTLE_RETRY, activitySleep, type ThrottleRetryPolicy } from './aws-call';
import { KeyedMutex, TokenBucket, type RateLimiter, type Sleep } from './rate-limit';

/** What `createActivities` needs. Only the three clients are required. */
export interface ActivityDeps {
  cloudFormation: CloudFormationClient;
  route53: Route53Client;
  cloudWatch: CloudWatchClient;
  /** Waits between polls and retries. Default: the activity context's sleep, which cancellation interrupts. */
  sleep?: Sleep;
  /** Milliseconds since the epoch. Default `Date.now`. Ends health windows when the input gives no end time. */
  clock?: () => number;
  /** Shared by every Route 53 call of the worker. Default: a token bucket at `route53RatePerSecond`. */
  route53Limiter?: RateLimiter;
  /**
   * Route 53 requests per second for the default limiter: 5, the documented per-account limit
   * for years (AWS now documents 10 plus change-based throttling; the account is shared with
   * everything else that calls Route 53, so stay under it).
   */
  route53RatePerSecond?: number;
  /** In-activity retries of throttled calls, on top of the SDK client's own `maxAttempts`. */
  throttleRetry?: Partial<ThrottleRetryPolicy>;
  /** Between DescribeStacks polls while waiting for a stack. Default 10 s. */
  stackPollIntervalMs?: number;
  /** Between GetChange polls while waiting for Route 53 to be in sync. Default 5 s. */
  changePollIntervalMs?: number;
  /** CloudWatch namespace of the procedure-event metrics. Default `Cellops`. */
  metricsNamespace?: string;
}

/** {@link ActivityDeps} with every default filled in and the shared helpers built once. */
export interface ResolvedDeps {
  cloudFormation: CloudFormationClient;
  route53: Route53Client;
  cloudWatch: CloudWatchClient;
  sleep: Sleep;
  clock: () => number;
  /** Route 53 calls: rate-limited worker-wide. */
  route53Calls: AwsCaller;
  cloudFormationCalls: AwsCaller;
  cloudWatchCalls: AwsCaller;
  /** One Route 53 change at a time per hosted zone. */
  zoneMutex: KeyedMutex;
  stackPollIntervalMs: number;
  changePollIntervalMs: number;
  metricsNamespace: string;
}

export const DEFAULT_ROUTE53_RATE_PER_SECOND = 5;

/** Fills in the defaults of {@link ActivityDeps}. */
export function resolveDeps(deps: ActivityDeps): ResolvedDeps {
  const sleep = deps.sleep ?? activitySleep;
  const clock = deps.clock ?? Date.now;
  const retry = { ...DEFAULT_THROTTLE_RETRY, ...deps.throttleRetry };
  const limiter = deps.route53Limiter ?? new TokenBucket({ ratePerSecond: deps.route53RatePerSecond ?? DEFAULT_ROUTE53_RATE_PER_SECOND, clock });
  return {
    cloudFormation: deps.cloudFormation,
    route53: deps.route53,
    cloudWatch: deps.cloudWatch,
    sleep,
    clock,
    route53Calls: new AwsCaller({ sleep, retry, limiter }),
    cloudFormationCalls: new AwsCaller({ sleep, retry }),
    cloudWatchCalls: new AwsCaller({ sleep, retry }),
    zoneMutex: new KeyedMutex(),
    stackPollIntervalMs: deps.stackPollIntervalMs ?? 10_000,
    changePollIntervalMs: deps.changePollIntervalMs ?? 5_000,
    metricsNamespace: deps.metricsNamespace ?? 'Cellops',
  };
}
