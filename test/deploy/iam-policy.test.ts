/**
 * The worker's IAM policy against the code: the actions it allows are exactly the AWS commands
 * the activities import (plus sts:AssumeRole where the worker assumes registry roles), and the
 * committed deploy/iam-policy.json is the generator's output for the example registry.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { workerIamPolicy } from '../../domain/iam-policy';
import type { Registry } from '../../domain/registry/schema';
import { exampleRegistry } from '../helpers/procedures-environment';

const ROOT = path.resolve(__dirname, '../..');
/** IAM's service prefix of each SDK client package. */
const PREFIX: Record<string, string> = { cloudformation: 'cloudformation', 'route-53': 'route53', cloudwatch: 'cloudwatch', sns: 'sns', sts: 'sts' };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/** `service:Action` for every `XCommand` value-imported from an `@aws-sdk/client-*` package by the activities. */
function actionsInCode(): string[] {
  const actions = new Set<string>();
  for (const file of sourceFiles(path.join(ROOT, 'activities'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      const prefix = PREFIX[match[2]];
      if (prefix === undefined) throw new Error(`${path.relative(ROOT, file)} imports @aws-sdk/client-${match[2]}: add its IAM prefix to this test and its actions to the policy`);
      for (const name of match[1].split(',').map((n) => n.trim())) {
        if (!name.startsWith('type ') && name.endsWith('Command')) actions.add(`${prefix}:${name.replace(/Command$/, '')}`);
      }
    }
  }
  // The worker assumes the registry's roles through STS (fromTemporaryCredentials).
  if (readFileSync(path.join(ROOT, 'workers/aws-clients.ts'), 'utf8').includes('fromTemporaryCredentials(')) actions.add('sts:AssumeRole');
  return [...actions].sort();
}

/** The example fleet with every optional part the policy covers: a role per account, a topic, a second region. */
function fullRegistry(): Registry {
  const registry = exampleRegistry();
  const [first, second, ...rest] = registry.cells;
  return {
    ...registry,
    fleet: { ...registry.fleet, roleArn: 'arn:aws:iam::111111111111:role/cellops', notificationTopicArn: 'arn:aws:sns:eu-west-1:111111111111:cellops-ops' },
    cells: [first, { ...second, region: 'us-east-1', roleArn: 'arn:aws:iam::222222222222:role/cellops' }, ...rest],
  };
}

const actionsOf = (registry: Registry, accountId?: string): string[] => [...new Set(workerIamPolicy(registry, accountId).Statement.flatMap((s) => s.Action))].sort();

describe('the worker IAM policy', () => {
  test('allows exactly the actions the activities call', () => {
    const inCode = actionsInCode();
    expect(inCode).toContain('cloudformation:UpdateStack');
    expect(inCode).toContain('route53:ChangeResourceRecordSets');
    expect(actionsOf(fullRegistry())).toEqual(inCode);
  });

  test('deploy/iam-policy.json is the generated policy of the example registry (npm run iam-policy)', () => {
    const committed: unknown = JSON.parse(readFileSync(path.join(ROOT, 'deploy/iam-policy.json'), 'utf8'));
    expect(committed).toEqual(workerIamPolicy(exampleRegistry()));
  });

  test('scopes stacks, hosted zones and alarms to the registry, each in its cell\'s region and the given account', () => {
    const registry = fullRegistry();
    const policy = workerIamPolicy(registry, '111111111111');
    const statement = (sid: string) => policy.Statement.find((s) => s.Sid === sid);
    const stackArns = statement('CellStacks')?.Resource ?? [];
    for (const cell of registry.cells) expect(stackArns).toContain(`arn:aws:cloudformation:${cell.region}:111111111111:stack/${cell.stack.name}/*`);
    expect(stackArns).toContain(`arn:aws:cloudformation:eu-west-1:111111111111:stack/${registry.cellTemplate.stackNamePrefix}-*/*`);
    expect(stackArns.every((arn) => !arn.includes('stack/*'))).toBe(true);
    expect(statement('CellRecords')?.Resource).toEqual(['arn:aws:route53:::hostedzone/Z0CELLOPS00001']);
    expect(statement('PostRecoveryAlarms')?.Resource).toEqual([
      'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*-post-recovery-*',
      'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*-post-recovery-*',
    ]);
    expect(statement('OperatorNotifications')?.Resource).toEqual(['arn:aws:sns:eu-west-1:111111111111:cellops-ops']);
    expect(statement('CellAccounts')?.Resource).toEqual(['arn:aws:iam::111111111111:role/cellops', 'arn:aws:iam::222222222222:role/cellops']);
    // Only the reads AWS cannot scope are on "*".
    expect(policy.Statement.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action).sort()).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:PutMetricData']);
  });
});
