import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { AwsCaller, DEFAULT_THROTTLE_RETRY, activitySleep, type ThrottleRetryPolicy } from './aws-call';
import { KeyedMutex, TokenBucket, type RateLimiter, type Sleep } from './rate-limit';

/**
 * Where a regional AWS call goes: the cell's region, and the role to assume for its account.
 * Without a role the client source uses its default identity (the fleet's role, or the worker's
 * own credentials). Route 53 is global and always uses the fleet's identity.
 */
export interface AwsTarget {
  region: string;
  roleArn?: string;
}

/** The SDK clients, picked per call: CloudFormation and CloudWatch by target, Route 53 global. */
export interface AwsClientSource {
  cloudFormation(target?: AwsTarget): CloudFormationClient;
  cloudWatch(target?: AwsTarget): CloudWatchClient;
  route53(): Route53Client;
}

/**
 * What `createActivities` needs: a client source (the worker's per-region, per-account pool),
 * or three fixed clients used for every target (the simulator, tests).
 */
export interface ActivityDeps {
  /** Picks the clients per call by the input's `target`. Takes precedence over the fixed clients. */
  clients?: AwsClientSource;
  cloudFormation?: CloudFormationClient;
  route53?: Route53Client;
  cloudWatch?: CloudWatchClient;
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
  clients: AwsClientSource;
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
    clients: deps.clients ?? fixedClients(deps),
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

/** The same three clients whatever the target. */
function fixedClients(deps: ActivityDeps): AwsClientSource {
  const { cloudFormation, route53, cloudWatch } = deps;
  if (cloudFormation === undefined || route53 === undefined || cloudWatch === undefined) {
    throw new TypeError('createActivities needs either `clients` or all three of `cloudFormation`, `route53` and `cloudWatch`');
  }
  return { cloudFormation: () => cloudFormation, cloudWatch: () => cloudWatch, route53: () => route53 };
}
