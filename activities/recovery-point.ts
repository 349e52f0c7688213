import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { recoveryPointFrom, type AlarmTransition, type RecoveryPoint } from '../domain/procedures/point-in-time-recovery';
import type { AwsTarget, ResolvedDeps } from './deps';
import { ErrorType, activityFailure } from './errors';

export interface FindRecoveryPointInput {
  requestToken: string;
  /** The cell's region (and account): its alarms live there. */
  target?: AwsTarget;
  cellId: string;
  /** The cell's alarms (`Cell.alarms`): the recovery point is the last moment they were all OK. */
  alarms: string[];
  /** How far back to read their history (CloudWatch keeps two weeks). */
  lookbackSeconds: number;
  /** ISO-8601 end of the history read. Default: now. */
  endTime?: string;
}

/** The recovery point, and what it was read from. */
export type FindRecoveryPointResult = RecoveryPoint & { windowStart: string; windowEnd: string; transitions: number };

/** CloudWatch alarm history activities. */
export interface RecoveryPointActivities {
  /**
   * The latest moment before the cell's incident when its alarms were all OK, from their state
   * changes (DescribeAlarmHistory, StateUpdate items, oldest first) and their configurations
   * (DescribeAlarms: each one's look-back, periods × evaluation periods, is the margin taken
   * before it). `found: false` says why there is none. A read: a repeat changes nothing.
   */
  findRecoveryPoint(input: FindRecoveryPointInput): Promise<FindRecoveryPointResult>;
}

const MAX_LOOKBACK_SECONDS = 14 * 86_400;

/** How far back an alarm looks before it goes off: its period times its evaluation periods. */
function lookBackSeconds(alarm: MetricAlarm): number {
  const periods = [alarm.Period, ...(alarm.Metrics ?? []).map((m) => m.MetricStat?.Period ?? m.Period)].filter((p): p is number => p !== undefined);
  return Math.max(60, ...periods) * Math.max(1, alarm.EvaluationPeriods ?? 1);
}

/** Builds the alarm history activities. */
export function createRecoveryPointActivities(deps: ResolvedDeps): RecoveryPointActivities {
  const { cloudWatchCalls: calls } = deps;
  return {
    async findRecoveryPoint(input) {
      const cw = deps.clients.cloudWatch(input.target);
      if (!(input.lookbackSeconds > 0 && input.lookbackSeconds <= MAX_LOOKBACK_SECONDS)) {
        throw activityFailure(ErrorType.ValidationFailed, `lookbackSeconds must be more than 0 and at most ${MAX_LOOKBACK_SECONDS} (CloudWatch keeps two weeks of alarm history), got ${input.lookbackSeconds}`);
      }
      const endMs = input.endTime === undefined ? deps.clock() : Date.parse(input.endTime);
      if (Number.isNaN(endMs)) throw activityFailure(ErrorType.ValidationFailed, `endTime is not an ISO-8601 time: ${input.endTime}`);
      const windowStart = new Date(endMs - input.lookbackSeconds * 1000);
      const windowEnd = new Date(endMs);
      const configs: MetricAlarm[] = [];
      if (input.alarms.length > 0) {
        const out = await calls.call({ operation: 'DescribeAlarms', resource: input.alarms.join(',') }, (abortSignal) =>
          cw.send(new DescribeAlarmsCommand({ AlarmNames: input.alarms, AlarmTypes: ['MetricAlarm'] }), { abortSignal }),
        );
        configs.push(...(out.MetricAlarms ?? []));
      }
      const transitions: AlarmTransition[] = [];
      for (const alarm of configs) {
        const alarmName = alarm.AlarmName ?? '';
        let nextToken: string | undefined;
        do {
          const page = await calls.call({ operation: 'DescribeAlarmHistory', resource: alarmName }, (abortSignal) =>
            cw.send(
              new DescribeAlarmHistoryCommand({ AlarmName: alarmName, HistoryItemType: 'StateUpdate', StartDate: windowStart, EndDate: windowEnd, ScanBy: 'TimestampAscending', NextToken: nextToken }),
              { abortSignal },
            ),
          );
          for (const item of page.AlarmHistoryItems ?? []) {
            const data = JSON.parse(item.HistoryData ?? '{}') as { oldState?: { stateValue?: string }; newState?: { stateValue?: string } };
            if (item.Timestamp === undefined || data.oldState?.stateValue === undefined || data.newState?.stateValue === undefined) continue;
            transitions.push({ alarmName, at: item.Timestamp.toISOString(), from: data.oldState.stateValue, to: data.newState.stateValue });
          }
          nextToken = page.NextToken;
        } while (nextToken !== undefined);
      }
      // Each alarm's state when the window opened: before its first change in it, else what it is now.
      const initial = Object.fromEntries(configs.map((a) => [a.AlarmName ?? '', transitions.find((t) => t.alarmName === a.AlarmName)?.from ?? a.StateValue ?? 'INSUFFICIENT_DATA']));
      const missing = input.alarms.filter((name) => !configs.some((a) => a.AlarmName === name));
      const margin = Math.max(0, ...configs.map(lookBackSeconds));
      const point = missing.length > 0 ? { found: false as const, reason: `alarms ${missing.join(', ')} of ${input.cellId} do not exist` } : recoveryPointFrom(initial, transitions, margin, windowStart.toISOString());
      return { ...point, windowStart: windowStart.toISOString(), windowEnd: windowEnd.toISOString(), transitions: transitions.length };
    },
  };
}
