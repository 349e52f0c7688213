/**
 * Point-in-time recovery: its input, how the recovery point is read from the cell's alarm
 * history, the recovery environment it builds, and its report. Pure, so the activity, the
 * workflow, the CLI's `plan` and the tests share it.
 */
import type { Cell, Registry } from '../registry/schema';
import type { ProcedureInput } from './input';
import type { DataLossWindow, ProcedureReport } from './report';
import { newCell } from './replacement';

/** How far back the cell's alarm history is read for the last moment it was all OK. */
export const DEFAULT_LOOKBACK_SECONDS = 24 * 3600;

/** The template parameter that tells the recovery environment's database the time to restore to. */
export const RESTORE_TIME_PARAMETER = 'RestoreToTime';
/** The template parameter naming the cell whose data is restored. */
export const RESTORE_SOURCE_PARAMETER = 'RestoreFromCell';

/** Input of the `pointInTimeRecovery` workflow. */
export interface PointInTimeRecoveryInput extends ProcedureInput {
  /** How far back (seconds) the alarm history is searched for the recovery point. Default {@link DEFAULT_LOOKBACK_SECONDS}. */
  lookbackSeconds?: number;
}

/** The recovery environment of `cellId`: one per cell, so a repeated recovery finds the same one. */
export function recoveryCellId(cellId: string): string {
  return `${cellId}-pitr`;
}

/**
 * The recovery environment: a new cell from the cell template whose stack restores `cell`'s
 * data to `restoreToTime` (the template's `RestoreToTime` and `RestoreFromCell` parameters,
 * e.g. an Aurora cluster restored with `RestoreToTime`).
 */
export function recoveryCell(registry: Registry, cell: Cell, restoreToTime: string): Cell {
  const base = newCell(registry, recoveryCellId(cell.id), cell.priority);
  return {
    ...base,
    customers: 0,
    stack: { ...base.stack, parameters: { ...base.stack.parameters, [RESTORE_TIME_PARAMETER]: restoreToTime, [RESTORE_SOURCE_PARAMETER]: cell.id } },
  };
}

/** One alarm's state change, from DescribeAlarmHistory. */
export interface AlarmTransition {
  alarmName: string;
  /** ISO-8601. */
  at: string;
  from: string;
  to: string;
}

/** The recovery point, or why none can be named. */
export type RecoveryPoint =
  | {
      found: true;
      /** ISO-8601: restore the data to this time. */
      recoveryPoint: string;
      /** When the alarms last left "all OK": the incident's start as the alarms saw it. */
      incidentStartedAt: string;
      /** How far before `incidentStartedAt` the recovery point lies: the longest look-back of the alarms (periods × evaluation periods). */
      marginSeconds: number;
    }
  | { found: false; reason: string };

/**
 * The latest moment the cell's alarms were all OK before its incident: the last time in the
 * window they went from all OK to not all OK, moved back by the alarms' longest look-back (an
 * alarm goes off only after its evaluation periods breach, so the data went bad up to that long
 * before). None when the alarms never left OK in the window (they do not show when the data went
 * bad) or were never all OK in it.
 * @param initialStates each alarm's state at the window's start.
 */
export function recoveryPointFrom(initialStates: Record<string, string>, transitions: AlarmTransition[], marginSeconds: number, windowStart: string): RecoveryPoint {
  const alarms = Object.keys(initialStates);
  if (alarms.length === 0) return { found: false, reason: 'the cell has no alarms whose history could show when its data went bad' };
  const states = { ...initialStates };
  const allOk = () => alarms.every((a) => states[a] === 'OK');
  let wasAllOk = allOk();
  let everAllOk = wasAllOk;
  let incidentStartedAt: string | undefined;
  for (const t of [...transitions].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    if (!(t.alarmName in states)) continue;
    states[t.alarmName] = t.to;
    const nowAllOk = allOk();
    if (wasAllOk && !nowAllOk) incidentStartedAt = t.at;
    everAllOk ||= nowAllOk;
    wasAllOk = nowAllOk;
  }
  if (incidentStartedAt === undefined) {
    return {
      found: false,
      reason: everAllOk
        ? `the alarms (${alarms.join(', ')}) stayed OK since ${windowStart}: they do not show when the data went bad`
        : `the alarms (${alarms.join(', ')}) were never all OK since ${windowStart}: no known-good time in the history`,
    };
  }
  const recoveryPoint = new Date(Date.parse(incidentStartedAt) - marginSeconds * 1000).toISOString();
  return { found: true, recoveryPoint, incidentStartedAt, marginSeconds };
}

/** What became of the recovery environment. */
export type RecoveryEnvironmentOutcome = 'promoted' | 'removed' | 'not-built';

/** The part of the final report only point-in-time recovery has. */
export interface PointInTimeDetails {
  recoveryCellId: string;
  /** Where the cell's active customers were moved while it was recovered. */
  customersMovedTo?: string;
  customersMoved: number;
  recoveryPoint?: RecoveryPoint;
  recoveryEnvironment: RecoveryEnvironmentOutcome;
  /** Whether the restored data validated. */
  integrity?: { ok: boolean; checkedCustomers: number; problems: string[] };
  /** Writes between the recovery point and the isolation are lost (also the report's `dataLossWindow`). */
  dataLossWindow?: DataLossWindow;
  permitReleased: boolean;
}

/** What `pointInTimeRecovery` returns (and carries in the failure's details when it fails). */
export interface PointInTimeRecoveryReport extends ProcedureReport {
  pointInTime: PointInTimeDetails;
}
