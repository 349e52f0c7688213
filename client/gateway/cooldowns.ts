/**
 * Cooldowns, read from Temporal rather than kept in the gateway, so they hold across a restart and
 * for every replica: the cell's recovery workflow (`cell-recovery-<cellId>`, or the router's,
 * described by id, so the answer is current) says when its last procedure ended, and a visibility query lists the
 * procedures alarms started in the last hour (those carry an `alarm` memo): the fleet-wide budget,
 * and which other cells alarmed within the correlation window.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Policies, Registry } from '../../domain/registry/schema';
import { CellIdAttribute, ProcedureAttribute } from '../../domain/search-attributes';

/** The memo a procedure started by an alarm carries; the fleet-wide budget counts these. */
export interface AlarmStartMemo {
  alarm: { name: string; source: string; requestedAt: string };
}

/** The cell's latest recovery run. */
export interface RecoveryRun {
  workflowId: string;
  runId: string;
  running: boolean;
  procedure: string;
  closeTime?: Date;
}

export type CooldownVerdict = { allowed: true } | { allowed: false; until: Date; why: string };

const HOUR_MS = 3_600_000;

/** The latest run under a recovery id (`cell-recovery-<cellId>`, `router-recovery-<fleet>`), or undefined when there never was one (or its history is gone). */
export async function latestRecovery(client: Client, workflowId: string): Promise<RecoveryRun | undefined> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    return {
      workflowId,
      runId: described.runId,
      running: described.status.name === 'RUNNING',
      procedure: described.typedSearchAttributes.get(ProcedureAttribute) ?? described.type,
      closeTime: described.closeTime,
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Not the same cell again within `perCellSeconds` of its last procedure's end. */
export function perCellCooldown(run: RecoveryRun | undefined, policy: Policies['cooldowns'], now: Date): CooldownVerdict {
  if (!run?.closeTime) return { allowed: true };
  const until = new Date(run.closeTime.getTime() + policy.perCellSeconds * 1000);
  if (until <= now) return { allowed: true };
  return {
    allowed: false,
    until,
    why: `${run.procedure} on this cell ended at ${run.closeTime.toISOString()}; the cell's cooldown is ${policy.perCellSeconds} s`,
  };
}

/** A procedure an alarm started: on which cell (`CellId`: a cell id, `router` or `fleet`), under which id, when. */
export interface AlarmStart {
  workflowId: string;
  cellId: string | undefined;
  requestedAt: Date;
}

/**
 * The procedures alarms started in the hour before `now`, oldest first. A procedure that
 * continued as new (restart → replacement) shows as several runs with one memo: counted once.
 */
export async function alarmStartsInLastHour(client: Client, now: Date): Promise<AlarmStart[]> {
  const since = new Date(now.getTime() - HOUR_MS);
  // Every recovery (cells and router) carries CellId; only the alarms' starts carry the memo.
  const query = `CellId IS NOT NULL AND StartTime >= "${since.toISOString()}"`;
  const seen = new Map<string, AlarmStart>();
  for await (const execution of client.workflow.list({ query })) {
    const memo = execution.memo?.alarm as Partial<AlarmStartMemo['alarm']> | undefined;
    if (typeof memo?.requestedAt !== 'string') continue;
    const requestedAt = new Date(memo.requestedAt);
    if (Number.isNaN(requestedAt.getTime()) || requestedAt <= since) continue;
    seen.set(`${execution.workflowId}|${memo.requestedAt}`, { workflowId: execution.workflowId, cellId: execution.typedSearchAttributes.get(CellIdAttribute), requestedAt });
  }
  return [...seen.values()].sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
}

/**
 * The other cells of `registry` on which alarms started procedures within the policy's
 * correlation window before `now` (in the order they started, each once): with the alarm's own
 * cell, the incident's affected cells. None when the window is 0.
 */
export function correlatedCells(starts: readonly AlarmStart[], cellId: string, registry: Registry, now: Date): string[] {
  const windowMs = registry.policies.cooldowns.correlationWindowSeconds * 1000;
  if (windowMs === 0) return [];
  const cells = new Set(registry.cells.map((c) => c.id));
  const since = now.getTime() - windowMs;
  const others = starts.filter((s) => s.cellId !== undefined && s.cellId !== cellId && cells.has(s.cellId) && s.requestedAt.getTime() >= since).map((s) => s.cellId as string);
  return [...new Set(others)];
}

/** At most `maxAutomaticPerHour` procedures started by alarms across the fleet in any hour. */
export function fleetBudget(starts: readonly AlarmStart[], policy: Policies['cooldowns'], now: Date): CooldownVerdict {
  const startsInLastHour = starts.map((s) => s.requestedAt);
  const max = policy.maxAutomaticPerHour;
  if (startsInLastHour.length < max) return { allowed: true };
  // The budget frees up when the oldest start that keeps it full is an hour old.
  const freedBy = startsInLastHour[startsInLastHour.length - max];
  const until = new Date((freedBy ?? now).getTime() + HOUR_MS);
  return { allowed: false, until, why: `alarms already started ${startsInLastHour.length} procedures across the fleet in the last hour (at most ${max})` };
}
