/** DescribeAlarmHistory on the simulator: state changes derived minute by minute from the data the alarms watch. */
import { DescribeAlarmHistoryCommand } from '@aws-sdk/client-cloudwatch';
import { simulate } from './helpers';

describe('simulated DescribeAlarmHistory', () => {
  test('an unhealthy spell shows as OK → ALARM two minutes in (2 of 3 datapoints) and ALARM → OK once it is over, oldest first on request', async () => {
    // GIVEN cell-003 unhealthy for five minutes, then healthy again for ten
    const { fleet, clients, clock } = simulate();
    const start = clock.now();
    const fault = fleet.inject({ kind: 'unhealthy-cell', cellId: 'cell-003' });
    clock.advance(5 * 60_000);
    fault.clear();
    clock.advance(10 * 60_000);

    // WHEN the error-rate alarm's history of the last half hour is read
    const out = await clients.cloudWatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'cell-003-HighErrorRate', HistoryItemType: 'StateUpdate', StartDate: new Date(start - 15 * 60_000), EndDate: new Date(clock.now()), ScanBy: 'TimestampAscending' }),
    );

    // THEN it went to ALARM within three minutes of the fault and back to OK within three of its end
    const items = out.AlarmHistoryItems ?? [];
    expect(items.map((i) => i.HistorySummary)).toEqual(['Alarm updated from OK to ALARM', 'Alarm updated from ALARM to OK']);
    const [alarmAt, okAt] = items.map((i) => i.Timestamp?.getTime() ?? 0);
    expect(alarmAt - start).toBeGreaterThan(0);
    expect(alarmAt - start).toBeLessThanOrEqual(3 * 60_000);
    expect(okAt - (start + 5 * 60_000)).toBeLessThanOrEqual(4 * 60_000);
    expect(JSON.parse(items[0].HistoryData ?? '{}')).toMatchObject({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } });
    // AND an alarm that stayed OK has no history; other item types are not recorded
    const quiet = await clients.cloudWatch.send(new DescribeAlarmHistoryCommand({ AlarmName: 'cell-001-HighErrorRate', StartDate: new Date(start), EndDate: new Date(clock.now()) }));
    expect(quiet.AlarmHistoryItems).toEqual([]);
    const config = await clients.cloudWatch.send(new DescribeAlarmHistoryCommand({ AlarmName: 'cell-003-HighErrorRate', HistoryItemType: 'ConfigurationUpdate' }));
    expect(config.AlarmHistoryItems).toEqual([]);
  });
});
