/**
 * The least-privilege IAM policy of the cellops worker, built from the cell registry: exactly the
 * actions the activities call, each scoped to the registry's stacks, hosted zones, alarms and
 * topic where AWS supports resource-level permissions for it. `npm run iam-policy` prints it for
 * a registry; `deploy/iam-policy.json` is the example registry's.
 */
import type { Registry } from './registry/schema';
import { bareHostedZoneId } from './registry/records';

/** One IAM policy statement. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The account placeholder when none is given: substitute it on deployment (CloudFormation `Fn::Sub` takes it as is). */
export const ACCOUNT_PLACEHOLDER = '${AWS::AccountId}';

const partitionOf = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.includes('-gov-') ? 'aws-us-gov' : 'aws');
const unique = (items: string[]): string[] => [...new Set(items)].sort();

/**
 * The worker's policy for `registry`. Cells naming a role of their own (`roleArn`) are acted on
 * through that role: their statements belong in that role's policy as well, and the worker then
 * needs `sts:AssumeRole` on it (added here).
 */
export function workerIamPolicy(registry: Registry, accountId = ACCOUNT_PLACEHOLDER): PolicyDocument {
  const home = registry.fleet.region;
  const p = partitionOf(home);
  const stacks = [
    ...registry.cells.map((c) => ({ region: c.region, name: c.stack.name })),
    ...(registry.router.stack ? [{ region: home, name: registry.router.stack.name }] : []),
    // Replacement and emergency cells: named after the template's prefix, in the fleet's region.
    { region: home, name: `${registry.cellTemplate.stackNamePrefix}-*` },
  ];
  const regions = unique([home, ...registry.cells.map((c) => c.region)]);
  const zones = unique(
    [registry.router.primary, registry.router.fallback, registry.cellTemplate.route53, ...registry.cells.map((c) => c.route53)].map((r) => bareHostedZoneId(r.hostedZoneId)),
  );
  const statements: PolicyStatement[] = [
    {
      Sid: 'CellStacks',
      Effect: 'Allow',
      Action: ['cloudformation:CreateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:UpdateStack'],
      Resource: unique(stacks.map((s) => `arn:${p}:cloudformation:${s.region}:${accountId}:stack/${s.name}/*`)),
    },
    {
      Sid: 'CellRecords',
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      Resource: zones.map((z) => `arn:${p}:route53:::hostedzone/${z}`),
    },
    { Sid: 'RecordChanges', Effect: 'Allow', Action: ['route53:GetChange'], Resource: [`arn:${p}:route53:::change/*`] },
    {
      Sid: 'PostRecoveryAlarms',
      Effect: 'Allow',
      Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm'],
      Resource: regions.map((r) => `arn:${p}:cloudwatch:${r}:${accountId}:alarm:*-post-recovery-*`),
    },
    {
      // A cell's own alarms and dashboard, set up by cell provisioning and removed by decommissioning (`cellops-<cellId>…`).
      Sid: 'CellMonitoring',
      Effect: 'Allow',
      Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm'],
      Resource: regions.map((r) => `arn:${p}:cloudwatch:${r}:${accountId}:alarm:cellops-*`),
    },
    {
      // Dashboards are global: no region in their ARN.
      Sid: 'CellDashboards',
      Effect: 'Allow',
      Action: ['cloudwatch:DeleteDashboards', 'cloudwatch:GetDashboard', 'cloudwatch:PutDashboard'],
      Resource: [`arn:${p}:cloudwatch::${accountId}:dashboard/cellops-*`],
    },
    // No resource-level permissions for these reads (AWS allows only "*").
    { Sid: 'HealthReads', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'], Resource: ['*'] },
    {
      Sid: 'ProcedureEvents',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData'],
      Resource: ['*'],
      Condition: { StringEquals: { 'cloudwatch:namespace': 'Cellops' } },
    },
  ];
  if (registry.fleet.notificationTopicArn !== undefined) {
    statements.push({ Sid: 'OperatorNotifications', Effect: 'Allow', Action: ['sns:Publish'], Resource: [registry.fleet.notificationTopicArn] });
  }
  const roles = unique([registry.fleet.roleArn, ...registry.cells.map((c) => c.roleArn)].filter((r): r is string => r !== undefined));
  if (roles.length > 0) statements.push({ Sid: 'CellAccounts', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: roles });
  return { Version: '2012-10-17', Statement: statements };
}
