import { CreateStackCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { createSimulatedHooks } from '../../simulator';
import { cellRecord, simulate, ZONE } from './helpers';

/** The same scripted run: a drain, a restart, an emergency cell, a fault, hooks, reads. */
async function scriptedRun(seed: number | string) {
  const sim = simulate({ seed });
  const { clients, clock, fleet } = sim;
  const hooks = createSimulatedHooks(fleet);
  await clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-002', 0) }] } }));
  clock.advance(2_000);
  await clients.cloudFormation.send(
    new UpdateStackCommand({
      StackName: 'shop-cell-002',
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'InstanceType', UsePreviousValue: true },
        { ParameterKey: 'RestartNonce', ParameterValue: 'r-1' },
      ],
      ClientRequestToken: 'restart-1',
    }),
  );
  await clients.cloudFormation.send(new CreateStackCommand({ StackName: 'shop-cell-004', TemplateURL: 'https://example.com/cell.yaml', ClientRequestToken: 'create-4' }));
  fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
  await hooks.backupCellData({ requestToken: 'wf-1/backup', cellId: 'cell-002' });
  clock.advance(5 * 60_000);
  await clients.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cellRecord('cell-004', 50) }] } }));
  clock.advance(5 * 60_000);
  const end = Math.floor(clock.now() / 60_000) * 60_000;
  const metrics = await clients.cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end - 10 * 60_000),
      EndTime: new Date(end),
      MetricDataQueries: ['cell-001', 'cell-002', 'cell-003', 'cell-004'].flatMap((cellId, i) => [
        { Id: `r${i}`, MetricStat: { Metric: { Namespace: 'Shop/Cells', MetricName: 'RequestCount', Dimensions: [{ Name: 'CellId', Value: cellId }] }, Period: 60, Stat: 'Sum' } },
        { Id: `l${i}`, MetricStat: { Metric: { Namespace: 'Shop/Cells', MetricName: 'Latency', Dimensions: [{ Name: 'CellId', Value: cellId }] }, Period: 60, Stat: 'p99' } },
      ]),
    }),
  );
  const { $metadata: _, ...series } = metrics;
  return { snapshot: fleet.snapshot(), series };
}

describe('seeded runs', () => {
  test('two runs with the same seed give identical snapshots and metric series', async () => {
    const [a, b] = [await scriptedRun(7), await scriptedRun(7)];
    expect(a.snapshot).toEqual(b.snapshot);
    expect(a.series).toEqual(b.series);
    // The snapshot is plain JSON: it survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(a.snapshot))).toEqual(a.snapshot);
    // The run did something worth comparing.
    expect(a.snapshot.cells.map((c) => c.id)).toEqual(['cell-001', 'cell-002', 'cell-003', 'cell-004']);
    expect(a.snapshot.hooks.backups).toHaveLength(1);
  });

  test('metric noise depends on the seed and the time since the fleet was created, not on the date or second it started at', async () => {
    const minutesSinceStart = async (start: string) => {
      const { clients, clock } = simulate({ seed: 7, start });
      clock.advance(10 * 60_000);
      const end = Math.floor(clock.now() / 60_000) * 60_000;
      const metrics = await clients.cloudWatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(end - 8 * 60_000),
          EndTime: new Date(end),
          MetricDataQueries: ['cell-001', 'cell-002'].flatMap((cellId, i) => [
            { Id: `r${i}`, MetricStat: { Metric: { Namespace: 'Shop/Cells', MetricName: 'RequestCount', Dimensions: [{ Name: 'CellId', Value: cellId }] }, Period: 60, Stat: 'Sum' } },
            { Id: `l${i}`, MetricStat: { Metric: { Namespace: 'Shop/Cells', MetricName: 'Latency', Dimensions: [{ Name: 'CellId', Value: cellId }] }, Period: 60, Stat: 'p99' } },
          ]),
        }),
      );
      return metrics.MetricDataResults?.map((r) => r.Values);
    };
    const first = await minutesSinceStart('2026-01-05T00:00:00.000Z');
    expect(await minutesSinceStart('2026-07-19T13:42:00.000Z')).toEqual(first);
    expect(await minutesSinceStart('2026-07-19T13:42:37.250Z')).toEqual(first);
    // It is noise: eight minutes of one series are not all the same.
    expect(first?.[0]).toHaveLength(8);
    expect(new Set(first?.[0]).size).toBeGreaterThan(1);
  });

  test('different seeds give different ids and metric noise', async () => {
    const [a, b] = [await scriptedRun(7), await scriptedRun('another seed')];
    expect(a.snapshot.stacks[0].stackId).not.toBe(b.snapshot.stacks[0].stackId);
    expect(a.series.MetricDataResults?.[0]?.Values).not.toEqual(b.series.MetricDataResults?.[0]?.Values);
    // Only the noise differs: what the fleet did is the same.
    expect(a.snapshot.cells.map((c) => [c.id, c.stackStatus, c.health, c.weight])).toEqual(b.snapshot.cells.map((c) => [c.id, c.stackStatus, c.health, c.weight]));
  });
});
