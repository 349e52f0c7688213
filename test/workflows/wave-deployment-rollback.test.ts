/**
 * A rollback puts each cell back on the stack it had before the rollout, read from
 * CloudFormation ahead of its update, not on the registry's: here the canary's stack runs a
 * hotfix template and a smaller instance type that the registry does not know of.
 */
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { createTestFleet, useProcedureTestEnvironment, type TestFleet } from '../helpers/procedures-environment';
import { V2_TEMPLATE, reportOf, stackUpdates, stackVersions, startDeployment } from './wave-deployment.helpers';

jest.setTimeout(600_000);
const procedures = useProcedureTestEnvironment();
const { withWorkers } = procedures;

const HOTFIX_TEMPLATE = 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell-v1-hotfix.yaml';
const QUICK = { canaryBakeSeconds: 300, bakeSeconds: 300 };

/** cell-003's stack moved on by hand: the hotfix template on m7g.medium (the registry still says cell.yaml on m7g.large). */
async function hotfixCanary(fleet: TestFleet): Promise<void> {
  await fleet.clients.cloudFormation.send(
    new UpdateStackCommand({ StackName: 'shop-cell-003', TemplateURL: HOTFIX_TEMPLATE, Parameters: [{ ParameterKey: 'InstanceType', ParameterValue: 'm7g.medium' }], Capabilities: ['CAPABILITY_IAM'] }),
  );
  // A minute later (the fleet's clock follows the server's at the next activity) the update is complete.
  await procedures.env.sleep(60_000);
}

describe('waveDeployment rollback to the stack before', () => {
  test('a new template: the failed canary gets back its own template and parameters, not the registry\u2019s', async () => {
    const fleet = await createTestFleet(procedures.env);
    await hotfixCanary(fleet);
    fleet.fleet.inject({ kind: 'bad-version', templateUrl: V2_TEMPLATE });

    const { report } = await withWorkers(fleet, async () => reportOf(await startDeployment(procedures.env, fleet, QUICK)));

    expect(report.deployment.outcome).toBe('rolled-back');
    expect(stackUpdates(fleet).slice(1)).toEqual(['shop-cell-003 cell-v2.yaml/m7g.xlarge', 'shop-cell-003 cell-v1-hotfix.yaml/m7g.medium']);
    expect(stackVersions(fleet)['cell-003']).toBe('cell-v1-hotfix.yaml/m7g.medium UPDATE_COMPLETE');
    // Read once, before the update: DescribeStacks and GetTemplate of the canary alone
    expect(fleet.calls.list({ command: 'GetTemplate' }).map((c) => (c.input as { StackName: string }).StackName)).toEqual(['shop-cell-003']);
  });

  test('parameters only: the update sends the registry\u2019s template, the rollback gives back the stack\u2019s own template and parameters', async () => {
    const fleet = await createTestFleet(procedures.env);
    await hotfixCanary(fleet);
    fleet.fleet.inject({ kind: 'bad-version', parameter: 'InstanceType', value: 'm7g.xlarge' });

    const { report } = await withWorkers(fleet, async () => reportOf(await startDeployment(procedures.env, fleet, { ...QUICK, version: { label: 'v1-large', parameters: { InstanceType: 'm7g.xlarge' } } })));

    expect(report.deployment.outcome).toBe('rolled-back');
    expect(stackUpdates(fleet).slice(1)).toEqual(['shop-cell-003 cell.yaml/m7g.xlarge', 'shop-cell-003 cell-v1-hotfix.yaml/m7g.medium']);
    expect(stackVersions(fleet)['cell-003']).toBe('cell-v1-hotfix.yaml/m7g.medium UPDATE_COMPLETE');
  });
});
