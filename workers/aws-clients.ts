/**
 * The worker's AWS SDK clients on real AWS: one per service, region and account, built on first
 * use and kept. CloudFormation and CloudWatch go to the cell's region (the activity input's
 * `target`); Route 53 is global and SNS is called from the fleet's home region. A target's role
 * (the cell's, else the fleet's) is assumed with STS through `fromTemporaryCredentials`; only
 * roles the worker's own registry names are assumed, whatever a workflow input says.
 *
 * Regions come from the registry only: `AWS_REGION` does not override them (the worker says so
 * at start-up when it is set to something else).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsClientSource, AwsTarget } from '../activities/deps';
import { ErrorType, activityFailure } from '../activities/errors';
import type { Registry } from '../domain/registry/schema';
import { version } from '../package.json';

/**
 * Settings of every client. Retries belong to cellops, not the SDK: `maxAttempts: 1` makes each
 * SDK call one HTTP request; throttling is backed off inside the activity (`AwsCaller`, sharing
 * the Route 53 rate limiter) and every other retryable failure by the activity's retry policy
 * (`workflows/lib/proxies.ts`), where each attempt is visible in the workflow's history.
 */
export const AWS_CLIENT_SETTINGS = {
  maxAttempts: 1,
  requestHandler: {
    /** TCP and TLS connection set-up. */
    connectionTimeout: 5_000,
    /** The whole request, below the quickest activity's start-to-close timeout (1 minute). */
    requestTimeout: 30_000,
    throwOnRequestTimeout: true,
  },
  customUserAgent: `cellops/${version}`,
} as const;

/** How a role is turned into credentials (tests inject their own). */
export type RoleCredentials = (roleArn: string, region: string) => ReturnType<typeof fromTemporaryCredentials>;

const assumeRole: RoleCredentials = (roleArn, region) =>
  fromTemporaryCredentials({
    params: { RoleArn: roleArn, RoleSessionName: 'cellops-worker', DurationSeconds: 3600 },
    clientConfig: { region, ...AWS_CLIENT_SETTINGS },
  });

export interface AwsClientPoolOptions {
  registry: Registry;
  /** Default: STS AssumeRole through `fromTemporaryCredentials`. */
  roleCredentials?: RoleCredentials;
}

/** The clients of the worker, per region and account. */
export interface AwsClientPool extends AwsClientSource {
  sns(): SNSClient;
  sts(roleArn?: string): STSClient;
  /** Every client built so far, for shutdown. */
  destroy(): void;
}

/** The roles the registry names: the only ones the worker assumes. */
export function registryRoles(registry: Registry): string[] {
  return [...new Set([registry.fleet.roleArn, ...registry.cells.map((c) => c.roleArn)].filter((r): r is string => r !== undefined))];
}

/** Builds the pool; no client exists (and no role is assumed) until first used. */
export function createAwsClientPool(options: AwsClientPoolOptions): AwsClientPool {
  const { registry } = options;
  const roleCredentials = options.roleCredentials ?? assumeRole;
  const allowed = new Set(registryRoles(registry));
  const home = registry.fleet.region;
  const clients = new Map<string, { destroy(): void }>();
  // One provider per role, shared by its clients: the role is assumed once and refreshed before expiry.
  const providers = new Map<string, ReturnType<RoleCredentials>>();
  const credentialsOf = (roleArn: string): ReturnType<RoleCredentials> => {
    let provider = providers.get(roleArn);
    if (provider === undefined) {
      provider = roleCredentials(roleArn, home);
      providers.set(roleArn, provider);
    }
    return provider;
  };

  function settingsFor(region: string, roleArn: string | undefined) {
    if (roleArn !== undefined && !allowed.has(roleArn)) {
      throw activityFailure(ErrorType.AccessDenied, `role ${roleArn} is not in the worker's cell registry; cellops assumes only the roles its registry names`);
    }
    return { region, ...AWS_CLIENT_SETTINGS, ...(roleArn === undefined ? {} : { credentials: credentialsOf(roleArn) }) };
  }

  function cached<C extends { destroy(): void }>(service: string, region: string, roleArn: string | undefined, build: (settings: ReturnType<typeof settingsFor>) => C): C {
    const key = `${service}|${region}|${roleArn ?? ''}`;
    let client = clients.get(key) as C | undefined;
    if (client === undefined) {
      client = build(settingsFor(region, roleArn));
      clients.set(key, client);
    }
    return client;
  }

  const resolve = (target: AwsTarget | undefined): [string, string | undefined] => [target?.region ?? home, target?.roleArn ?? registry.fleet.roleArn];
  return {
    cloudFormation: (target) => cached('cloudformation', ...resolve(target), (s) => new CloudFormationClient(s)),
    cloudWatch: (target) => cached('cloudwatch', ...resolve(target), (s) => new CloudWatchClient(s)),
    // Global: the SDK resolves route53.amazonaws.com (signed for us-east-1) from any region of the partition.
    route53: () => cached('route53', home, registry.fleet.roleArn, (s) => new Route53Client(s)),
    sns: () => cached('sns', home, registry.fleet.roleArn, (s) => new SNSClient(s)),
    sts: (roleArn) => cached('sts', home, roleArn, (s) => new STSClient(s)),
    destroy: () => {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

/** The `AWS_ENDPOINT_URL*` variables set: the SDK sends that service's calls there instead of AWS. */
export function configuredEndpoints(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name === 'AWS_ENDPOINT_URL' || name.startsWith('AWS_ENDPOINT_URL_'))
    .sort()
    .map((name) => `${name}=${env[name] ?? ''}`);
}

/** What the worker will touch, as lines for its start-up message. */
export function describeAwsReach(registry: Registry, env: NodeJS.ProcessEnv = process.env): string[] {
  const byRegion = new Map<string, string[]>();
  for (const cell of registry.cells) byRegion.set(cell.region, [...(byRegion.get(cell.region) ?? []), cell.id]);
  const lines = [
    `regions: ${[...byRegion].map(([region, cells]) => `${region} (CloudFormation, CloudWatch: ${cells.join(', ')})`).join('; ')}`,
    `global: Route 53 and SNS from ${registry.fleet.region}, as ${registry.fleet.roleArn ?? 'the default credentials'}`,
  ];
  const roles = registryRoles(registry);
  const defaultUsers = registry.cells.filter((c) => (c.roleArn ?? registry.fleet.roleArn) === undefined).map((c) => c.id);
  lines.push(
    `accounts: ${[
      ...roles.map((arn) => `${arn.split(':')[4]} (assuming ${arn})`),
      ...(defaultUsers.length > 0 || registry.fleet.roleArn === undefined ? ['the default credential chain\'s account'] : []),
    ].join(', ')}`,
  );
  if (env.AWS_REGION !== undefined && env.AWS_REGION !== '' && env.AWS_REGION !== registry.fleet.region) {
    lines.push(`AWS_REGION=${env.AWS_REGION} is not used for cell calls: regions come from the registry (fleet ${registry.fleet.region}, each cell its own)`);
  }
  const endpoints = configuredEndpoints(env);
  if (endpoints.length > 0) lines.push(`endpoints: ${endpoints.join(', ')}`);
  return lines;
}

/**
 * The account of each identity the worker uses (STS GetCallerIdentity for the default
 * credentials and for each registry role), so a worker that cannot authenticate or assume a
 * role fails at start rather than at its first procedure.
 */
export async function verifyIdentities(pool: AwsClientPool, registry: Registry): Promise<string[]> {
  const identities: (string | undefined)[] = [undefined, ...registryRoles(registry)];
  const lines: string[] = [];
  for (const roleArn of identities) {
    try {
      const me = await pool.sts(roleArn).send(new GetCallerIdentityCommand({}));
      lines.push(`${roleArn ?? 'default credentials'}: account ${me.Account ?? '?'} as ${me.Arn ?? '?'}`);
    } catch (err) {
      throw new Error(`cannot use ${roleArn === undefined ? 'the default AWS credentials' : `role ${roleArn}`}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return lines;
}
