import {
  AlreadyExistsException,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  InsufficientCapabilitiesException,
  ListStacksCommand,
  TokenAlreadyExistsException,
  UpdateStackCommand,
  waitUntilStackUpdateComplete,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import { errorOf, simulate, type Simulation } from './helpers';

const STACK = 'shop-cell-001';
const restart = (nonce: string, token?: string) =>
  new UpdateStackCommand({
    StackName: STACK,
    UsePreviousTemplate: true,
    Parameters: [
      { ParameterKey: 'InstanceType', UsePreviousValue: true },
      { ParameterKey: 'RestartNonce', ParameterValue: nonce },
    ],
    ClientRequestToken: token,
  });

async function status(cfn: CloudFormationClient, name = STACK): Promise<string | undefined> {
  return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.StackStatus;
}

/** The stack's status at each offset (ms) after now, read through DescribeStacks. */
async function statusesAt(sim: Simulation, offsets: number[], name = STACK): Promise<(string | undefined)[]> {
  const seen: (string | undefined)[] = [];
  const start = sim.clock.now();
  for (const offset of offsets) {
    sim.clock.set(start + offset);
    seen.push(await status(sim.clients.cloudFormation, name));
  }
  return seen;
}

describe('registry stacks', () => {
  test('exist as CREATE_COMPLETE with the registry parameters plus the restart parameter', async () => {
    // GIVEN a fresh fleet
    const { clients } = simulate();
    // WHEN a cell stack is described
    const stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
    // THEN it is complete, with an ARN id and the parameters a restart needs
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack?.StackId).toMatch(/^arn:aws:cloudformation:eu-west-1:123456789012:stack\/shop-cell-001\/[0-9a-f-]{36}$/);
    expect(stack?.Parameters).toEqual([
      { ParameterKey: 'InstanceType', ParameterValue: 'm7g.large' },
      { ParameterKey: 'RestartNonce', ParameterValue: 'initial' },
    ]);
  });
});

describe('UpdateStack', () => {
  test('moves through UPDATE_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, UPDATE_COMPLETE over time', async () => {
    // GIVEN update 1000 ms and cleanup 200 ms
    const sim = simulate();
    // WHEN the restart nonce changes
    await sim.clients.cloudFormation.send(restart('n-1'));
    // THEN DescribeStacks shows each phase at its time
    expect(await statusesAt(sim, [0, 999, 1_000, 1_199, 1_200])).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
    expect(sim.fleet.stack(STACK)?.parameters.RestartNonce).toBe('n-1');
  });

  test('says "No updates are to be performed." as a ValidationError when nothing changes', async () => {
    // GIVEN a stack whose nonce is already n-1
    const { clients, clock } = simulate();
    await clients.cloudFormation.send(restart('n-1'));
    clock.advance(5_000);
    // WHEN the same parameters are sent again
    const err = await errorOf(clients.cloudFormation.send(restart('n-1')));
    // THEN CloudFormation's exact answer, with the SDK's error shape
    expect(err).toBeInstanceOf(CloudFormationServiceException);
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe('No updates are to be performed.');
    expect(err.$fault).toBe('client');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 400, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
  });

  test('refuses a stack that is busy with the wording AWS uses', async () => {
    const { clients } = simulate();
    await clients.cloudFormation.send(restart('n-1'));
    const err = await errorOf(clients.cloudFormation.send(restart('n-2')));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toMatch(/^Stack:arn:aws:cloudformation:eu-west-1:123456789012:stack\/shop-cell-001\/\S+ is in UPDATE_IN_PROGRESS state and can not be updated\.$/);
  });

  test('of a missing stack is "Stack [name] does not exist"', async () => {
    const { clients } = simulate();
    const err = await errorOf(clients.cloudFormation.send(new UpdateStackCommand({ StackName: 'nope', UsePreviousTemplate: true })));
    expect([err.name, err.message]).toEqual(['ValidationError', 'Stack [nope] does not exist']);
  });

  test('a failing update rolls back to UPDATE_ROLLBACK_COMPLETE with a resource UPDATE_FAILED event and its reason', async () => {
    // GIVEN a failing-update fault on the stack
    const sim = simulate();
    sim.fleet.inject({ kind: 'failing-stack-update', stackName: STACK, reason: 'Service did not stabilize', count: 1 });
    // WHEN it is restarted
    await sim.clients.cloudFormation.send(restart('n-1', 'tok-fail'));
    // THEN update, rollback, rollback cleanup, rolled back (update 1000, rollback 500, cleanup 200)
    expect(await statusesAt(sim, [0, 1_000, 1_500, 1_700])).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    const events = (await sim.clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents ?? [];
    const failed = events.find((e) => e.ResourceStatus === 'UPDATE_FAILED');
    expect(failed).toMatchObject({ LogicalResourceId: 'CellService', ResourceType: 'AWS::ECS::Service', ResourceStatusReason: 'Service did not stabilize', ClientRequestToken: 'tok-fail' });
    const rollback = events.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollback?.ResourceStatusReason).toBe('The following resource(s) failed to update: [CellService]. ');
    // AND the parameters are back to what they were
    expect(sim.fleet.stack(STACK)?.parameters.RestartNonce).toBe('initial');
    // AND the fault was used up: the next update succeeds
    sim.clock.advance(10);
    await sim.clients.cloudFormation.send(restart('n-2'));
    sim.clock.advance(1_200);
    expect(await status(sim.clients.cloudFormation)).toBe('UPDATE_COMPLETE');
  });

  test('tags every event of an operation with its ClientRequestToken; a repeat of the token is recognised', async () => {
    const { clients, clock, calls } = simulate();
    const first = await clients.cloudFormation.send(restart('n-1', 'tok-a'));
    // A retry with the same token (its response lost) is the same request, not a second update.
    const again = await clients.cloudFormation.send(restart('n-1', 'tok-a'));
    expect(again.StackId).toBe(first.StackId);
    clock.advance(2_000);
    const events = (await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents ?? [];
    const ofOperation = events.filter((e) => e.ClientRequestToken === 'tok-a');
    expect(ofOperation.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`)).toEqual([
      'shop-cell-001 UPDATE_COMPLETE',
      'shop-cell-001 UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'CellService UPDATE_COMPLETE',
      'CellTaskDefinition UPDATE_COMPLETE',
      'CellService UPDATE_IN_PROGRESS',
      'CellTaskDefinition UPDATE_IN_PROGRESS',
      'shop-cell-001 UPDATE_IN_PROGRESS',
    ]);
    expect(calls.count({ command: 'UpdateStack', outcome: 'ok' })).toBe(2);
  });

  test('reusing a token of an earlier operation is TokenAlreadyExistsException', async () => {
    const { clients, clock } = simulate();
    await clients.cloudFormation.send(restart('n-1', 'tok-a'));
    clock.advance(2_000);
    await clients.cloudFormation.send(restart('n-2', 'tok-b'));
    clock.advance(2_000);
    const err = await errorOf(clients.cloudFormation.send(restart('n-3', 'tok-a')));
    expect(err).toBeInstanceOf(TokenAlreadyExistsException);
    expect(err.name).toBe('TokenAlreadyExistsException');
  });

  test('a parameter the template does not declare is refused; one left out takes the template default', async () => {
    const { clients, clock, fleet } = simulate();
    const unknown = await errorOf(
      clients.cloudFormation.send(new UpdateStackCommand({ StackName: STACK, UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Colour', ParameterValue: 'blue' }] })),
    );
    expect(unknown.message).toBe('Parameters: [Colour] do not exist in the template');
    await clients.cloudFormation.send(restart('n-1'));
    clock.advance(2_000);
    // Leaving RestartNonce out resets it to the template's default: itself a change (a restart).
    await clients.cloudFormation.send(new UpdateStackCommand({ StackName: STACK, UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'InstanceType', UsePreviousValue: true }] }));
    expect(fleet.stack(STACK)?.parameters).toEqual({ InstanceType: 'm7g.large', RestartNonce: 'initial' });
  });

  test('waitUntilStackUpdateComplete from the SDK works against the simulator', async () => {
    const { clients } = simulate({ timing: { stackUpdateMs: 0, stackCleanupMs: 0 } });
    await clients.cloudFormation.send(restart('n-1'));
    const result = await waitUntilStackUpdateComplete({ client: clients.cloudFormation, maxWaitTime: 5, minDelay: 1 }, { StackName: STACK });
    expect(result.state).toBe('SUCCESS');
  });
});

describe('CreateStack', () => {
  const create = (name: string, token?: string, body?: string) =>
    new CreateStackCommand({
      StackName: name,
      TemplateURL: body === undefined ? 'https://cellops-templates.s3.eu-west-1.amazonaws.com/cell.yaml' : undefined,
      TemplateBody: body,
      Parameters: [{ ParameterKey: 'RestartNonce', ParameterValue: 'x' }],
      ClientRequestToken: token,
    });

  test('goes CREATE_IN_PROGRESS then CREATE_COMPLETE', async () => {
    const sim = simulate();
    const out = await sim.clients.cloudFormation.send(create('shop-cell-004', 'tok-c'));
    expect(out.StackId).toMatch(/stack\/shop-cell-004\//);
    expect(await statusesAt(sim, [0, 999, 1_000], 'shop-cell-004')).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
  });

  test('of an existing name is AlreadyExistsException, unless it repeats the creating token', async () => {
    const { clients } = simulate();
    const first = await clients.cloudFormation.send(create('shop-cell-004', 'tok-c'));
    const repeat = await clients.cloudFormation.send(create('shop-cell-004', 'tok-c'));
    expect(repeat.StackId).toBe(first.StackId);
    const err = await errorOf(clients.cloudFormation.send(create('shop-cell-004', 'tok-other')));
    expect(err).toBeInstanceOf(AlreadyExistsException);
    expect([err.name, err.message, err.$fault]).toEqual(['AlreadyExistsException', 'Stack [shop-cell-004] already exists', 'client']);
  });

  test('a create failure rolls back to ROLLBACK_COMPLETE, which can only be deleted', async () => {
    const sim = simulate();
    sim.fleet.inject({ kind: 'stack-create-failure', stackName: 'shop-cell-004', reason: 'Subnet has no free addresses' });
    await sim.clients.cloudFormation.send(create('shop-cell-004'));
    expect(await statusesAt(sim, [0, 1_000, 1_500], 'shop-cell-004')).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    const events = sim.fleet.stackEvents('shop-cell-004');
    expect(events.find((e) => e.reason === 'Subnet has no free addresses')).toMatchObject({ logicalResourceId: 'CellService', status: 'CREATE_FAILED' });
    const update = await errorOf(sim.clients.cloudFormation.send(new UpdateStackCommand({ StackName: 'shop-cell-004', UsePreviousTemplate: true })));
    expect(update.message).toMatch(/is in ROLLBACK_COMPLETE state and can not be updated\.$/);
  });

  test('a template body with IAM resources needs capabilities', async () => {
    const { clients } = simulate();
    const err = await errorOf(clients.cloudFormation.send(create('shop-cell-005', undefined, 'Resources: { Role: { Type: AWS::IAM::Role } }')));
    expect(err).toBeInstanceOf(InsufficientCapabilitiesException);
  });
});

describe('DeleteStack and DescribeStacks', () => {
  test('DELETE_IN_PROGRESS then DELETE_COMPLETE; by name the stack then "does not exist", by id it is still described', async () => {
    const sim = simulate();
    const id = (await sim.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0]?.StackId ?? '';
    await sim.clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK }));
    expect(await status(sim.clients.cloudFormation)).toBe('DELETE_IN_PROGRESS');
    sim.clock.advance(800);
    const err = await errorOf(sim.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: STACK })));
    expect(err).toBeInstanceOf(CloudFormationServiceException);
    expect([err.name, err.message, (err.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual(['ValidationError', `Stack with id ${STACK} does not exist`, 400]);
    expect(await status(sim.clients.cloudFormation, id)).toBe('DELETE_COMPLETE');
    const listed = await sim.clients.cloudFormation.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(listed.StackSummaries?.map((s) => s.StackName)).toEqual([STACK]);
  });

  test('deleting a missing or deleted stack succeeds (200)', async () => {
    const { clients, clock } = simulate();
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK }));
    clock.advance(1_000);
    const again = await clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK }));
    const never = await clients.cloudFormation.send(new DeleteStackCommand({ StackName: 'never-existed' }));
    expect([again.$metadata.httpStatusCode, never.$metadata.httpStatusCode]).toEqual([200, 200]);
  });

  test('a stack busy with an update cannot be deleted, in the words AWS uses', async () => {
    const { clients } = simulate();
    await clients.cloudFormation.send(restart('n-1'));
    const err = await errorOf(clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK })));
    expect(err.message).toMatch(/^Stack \[arn:aws:cloudformation:\S+\] cannot be deleted while in status UPDATE_IN_PROGRESS$/);
  });

  test('DescribeStackEvents pages newest first with NextToken', async () => {
    const { clients, clock } = simulate();
    for (let i = 1; i <= 20; i += 1) {
      await clients.cloudFormation.send(restart(`n-${i}`));
      clock.advance(1_200);
    }
    const first = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: STACK }));
    const second = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: STACK, NextToken: first.NextToken }));
    const all = [...(first.StackEvents ?? []), ...(second.StackEvents ?? [])];
    expect(first.StackEvents).toHaveLength(100);
    expect(second.NextToken).toBeUndefined();
    // The create's 8 events (stack and three resources, each in progress then complete), then 7 per update.
    expect(all).toHaveLength(8 + 20 * 7);
    const times = all.map((e) => e.Timestamp?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(all.map((e) => e.EventId)).size).toBe(all.length);
  });
});
