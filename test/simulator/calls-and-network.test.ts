import { DescribeStacksCommand, ListStacksCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetChangeCommand } from '@aws-sdk/client-route-53';
import { SIMULATOR_MIDDLEWARE, SimulatorNetworkError, SimulatorUnsupportedCommandError } from '../../simulator';
import { errorOf, simulate } from './helpers';

describe('recorded calls', () => {
  test('every call is recorded with service, operation, a copy of its input, time and outcome', async () => {
    const { clients, calls, clock } = simulate();
    const input = { StackName: 'shop-cell-001' };
    await clients.cloudFormation.send(new DescribeStacksCommand(input));
    input.StackName = 'changed-after-the-call';
    clock.advance(1_000);
    await errorOf(clients.route53.send(new GetChangeCommand({ Id: 'CUNKNOWN' })));
    await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'cell-001' }));
    expect(calls.list().map((c) => [c.seq, c.service, c.command, c.outcome, c.at - clock.now()])).toEqual([
      [1, 'cloudformation', 'DescribeStacks', 'ok', -1_000],
      [2, 'route53', 'GetChange', 'NoSuchChange', 0],
      [3, 'cloudwatch', 'DescribeAlarms', 'ok', 0],
    ]);
    expect(calls.list()[0].input).toEqual({ StackName: 'shop-cell-001' });
    expect(calls.list()[1].requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('count, list and last filter by service, command (with or without the Command suffix) and outcome', async () => {
    const { clients, calls } = simulate();
    await clients.cloudFormation.send(new DescribeStacksCommand({}));
    await clients.cloudFormation.send(new ListStacksCommand({}));
    await errorOf(clients.cloudFormation.send(new DescribeStacksCommand({ StackName: 'nope' })));
    expect(calls.count()).toBe(3);
    expect(calls.count({ service: 'cloudformation', command: 'DescribeStacksCommand' })).toBe(2);
    expect(calls.count({ outcome: 'error' })).toBe(1);
    expect(calls.count({ outcome: 'ValidationError' })).toBe(1);
    expect(calls.count((c) => c.command.startsWith('List'))).toBe(1);
    expect(calls.last({ command: 'DescribeStacks' })?.outcome).toBe('ValidationError');
    expect(calls.summary()).toEqual({
      'cloudformation.DescribeStacks ValidationError': 1,
      'cloudformation.DescribeStacks ok': 1,
      'cloudformation.ListStacks ok': 1,
    });
    calls.clear();
    expect(calls.count()).toBe(0);
  });
});

describe('no network', () => {
  test('the clients are real SDK clients whose request handler refuses to send; the simulator answers before it', async () => {
    const { clients, calls } = simulate();
    await clients.cloudFormation.send(new DescribeStacksCommand({}));
    // WHEN the simulator's middleware is removed, a call reaches the request handler...
    clients.cloudFormation.middlewareStack.remove(SIMULATOR_MIDDLEWARE);
    const err = await errorOf(clients.cloudFormation.send(new DescribeStacksCommand({})));
    // THEN it fails there instead of going to AWS, and the simulator never saw it
    expect(err).toBeInstanceOf(SimulatorNetworkError);
    expect(calls.count()).toBe(1);
  });

  test('an operation the simulator does not implement fails loudly, not as an AWS error', async () => {
    const { clients, calls } = simulate();
    const err = await errorOf(clients.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: 'shop-cell-001' })));
    expect(err).toBeInstanceOf(SimulatorUnsupportedCommandError);
    expect(err.$metadata).toBeUndefined();
    expect(calls.last()?.outcome).toBe('SimulatorUnsupportedCommandError');
  });
});
