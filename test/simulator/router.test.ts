/**
 * The simulated router: its primary (a stack with alarms and metrics) and its hash-based
 * fallback, one weighted group; `router-failure` faults on either, and a restart of the
 * primary's stack recovering it.
 */
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, type Change } from '@aws-sdk/client-route-53';
import { simulate, ZONE } from './helpers';

const routerRecord = (id: string, weight: number, value: string): Change => ({
  Action: 'UPSERT',
  ResourceRecordSet: { Name: 'api.shop.example.com.', Type: 'CNAME', SetIdentifier: id, Weight: weight, TTL: 60, ResourceRecords: [{ Value: value }] },
});
const failOver = [routerRecord('router-primary', 0, 'router.shop.example.com'), routerRecord('router-fallback', 255, 'hash-router.shop.example.com')];

describe('simulated router', () => {
  test('starts with the primary stack CREATE_COMPLETE taking every request, its alarms OK, the fallback idle', () => {
    const { fleet } = simulate();
    expect(fleet.stack('shop-router')).toMatchObject({ status: 'CREATE_COMPLETE', parameters: { RestartNonce: 'initial' } });
    expect(fleet.router()).toMatchObject({
      primary: { setIdentifier: 'router-primary', role: 'primary', stackStatus: 'CREATE_COMPLETE', health: 'healthy', weight: 255, observedSharePercent: 100 },
      fallback: { setIdentifier: 'router-fallback', role: 'fallback', stackStatus: 'NONE', health: 'healthy', weight: 0, observedSharePercent: 0 },
    });
    expect(fleet.alarms().filter((a) => a.name.startsWith('router-')).map((a) => [a.name, a.state, a.cellId])).toEqual([
      ['router-HighErrorRate', 'OK', 'router-primary'],
      ['router-LowAvailability', 'OK', 'router-primary'],
    ]);
  });

  test('a failing primary errs and goes into ALARM; a restart of its stack recovers it', async () => {
    const { fleet, clients, clock } = simulate();
    fleet.inject({ kind: 'router-failure' });
    clock.advance(4 * 60_000);
    expect(fleet.router().primary.health).toBe('unhealthy');
    const alarms = await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ['router-HighErrorRate', 'router-LowAvailability'] }));
    expect(alarms.MetricAlarms?.map((a) => a.StateValue)).toEqual(['ALARM', 'ALARM']);

    await clients.cloudFormation.send(new UpdateStackCommand({ StackName: 'shop-router', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'RestartNonce', ParameterValue: 'r1' }] }));
    expect(fleet.router().primary).toMatchObject({ stackStatus: 'UPDATE_IN_PROGRESS', health: 'unhealthy' });
    clock.advance(5 * 60_000);
    expect(fleet.router().primary).toMatchObject({ stackStatus: 'UPDATE_COMPLETE', health: 'healthy' });
    expect(fleet.router().primary.alarms.map((a) => a.state)).toEqual(['OK', 'OK']);
  });

  test('a primary that does not recover on restart stays unhealthy after it', async () => {
    const { fleet, clients, clock } = simulate();
    fleet.inject({ kind: 'router-failure', recoversOnRestart: false });
    await clients.cloudFormation.send(new UpdateStackCommand({ StackName: 'shop-router', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'RestartNonce', ParameterValue: 'r1' }] }));
    clock.advance(5 * 60_000);
    expect(fleet.router().primary).toMatchObject({ stackStatus: 'UPDATE_COMPLETE', health: 'unhealthy' });
  });

  test('failing over moves the router requests to the fallback, which spreads them equally; a misrouting fallback shows errors in its metrics', async () => {
    const { fleet, clients, clock } = simulate({ timing: { changePropagationMs: 0, dnsLagMs: 0 } });
    await clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: failOver } }));
    fleet.inject({ kind: 'router-failure', member: 'fallback', errorRatePercent: 12 });
    clock.advance(3 * 60_000);
    expect(fleet.router()).toMatchObject({ primary: { weight: 0, observedSharePercent: 0 }, fallback: { weight: 255, observedSharePercent: 100, health: 'unhealthy' } });
    expect(fleet.cell('cell-002').observedSharePercent).toBeCloseTo(33.333, 2);

    const end = new Date(Math.floor(clock.now() / 60_000) * 60_000);
    const metric = (name: string) => ({ Namespace: 'Shop/Router', MetricName: name, Dimensions: [{ Name: 'Router', Value: 'router-fallback'.replace('router-', '') }] });
    const data = await clients.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 60_000),
        EndTime: end,
        MetricDataQueries: [
          { Id: 'requests', MetricStat: { Metric: metric('RequestCount'), Period: 60, Stat: 'Sum' } },
          { Id: 'errors', MetricStat: { Metric: metric('ErrorCount'), Period: 60, Stat: 'Sum' } },
        ],
      }),
    );
    const [requests, errors] = (data.MetricDataResults ?? []).map((r) => r.Values?.[0] ?? 0);
    expect(requests).toBeGreaterThan(0);
    expect((100 * errors) / requests).toBeCloseTo(12, 0);
  });
});
