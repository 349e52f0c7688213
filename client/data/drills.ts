/**
 * Recovery drills as Temporal schedules: one schedule per drill (`drill-<name>`) starting the
 * `recoveryDrill` workflow, which runs the real procedure on a healthy cell. Plain functions of a
 * `Client`, for the CLI and tests.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { drillScheduleId, type DrillInput, type DrillReport, type FreezeWindow } from '../../domain/drills';
import type { Registry } from '../../domain/registry/schema';
import { TASK_QUEUE } from '../../domain/task-queues';
import { InvalidInputError, ProcedureNotFoundError } from './errors';

export interface ScheduleDrillOptions {
  name: string;
  procedure: 'cellRestart';
  /** One cell, or undefined with `rotate` for every cell of the registry in turn. */
  cellId?: string;
  rotate?: boolean;
  /** Cron expression (5 to 7 fields, `CRON_TZ=` allowed), in UTC unless `timezone` says. */
  cron: string;
  timezone?: string;
  blockingAlarms?: string[];
  outcomeAlarms?: string[];
  freezeWindows?: FreezeWindow[];
  requestedBy: string;
  registry: Registry;
}

export interface DrillSummary {
  name: string;
  scheduleId: string;
  cron: string;
  paused: boolean;
  note?: string;
  cells: string[];
  nextRunAt?: string;
  lastRun?: { workflowId: string; scheduledAt: string; status: string; outcome?: string; cellId?: string; why?: string };
}

/** Creates the drill's schedule. */
export async function scheduleDrill(client: Client, options: ScheduleDrillOptions): Promise<{ scheduleId: string; nextRuns: string[] }> {
  if (!/^[a-z0-9][a-z0-9-]{0,60}$/.test(options.name)) throw new InvalidInputError(`drill name "${options.name}": lower-case letters, digits and dashes`);
  const known = options.registry.cells.map((c) => c.id);
  let cells: string[];
  if (options.rotate) {
    if (options.cellId) throw new InvalidInputError('give --cell or --rotate, not both');
    cells = known;
  } else {
    if (!options.cellId) throw new InvalidInputError('give --cell <id> or --rotate');
    if (!known.includes(options.cellId)) throw new InvalidInputError(`no cell ${options.cellId} in the registry`);
    cells = [options.cellId];
  }
  for (const w of options.freezeWindows ?? []) {
    if (Number.isNaN(Date.parse(w.start)) || Number.isNaN(Date.parse(w.end)) || Date.parse(w.end) <= Date.parse(w.start)) {
      throw new InvalidInputError(`freeze window ${w.start}/${w.end}: expected two ISO-8601 times, the end after the start`);
    }
  }
  const input: DrillInput = {
    name: options.name,
    procedure: options.procedure,
    cells,
    blockingAlarms: options.blockingAlarms ?? [],
    outcomeAlarms: options.outcomeAlarms ?? [],
    freezeWindows: options.freezeWindows ?? [],
    requestedBy: options.requestedBy,
    registry: options.registry,
  };
  const scheduleId = drillScheduleId(options.name);
  const handle = await client.schedule.create({
    scheduleId,
    spec: { cronExpressions: [options.cron], ...(options.timezone ? { timezone: options.timezone } : {}) },
    action: { type: 'startWorkflow', workflowType: 'recoveryDrill', workflowId: scheduleId, args: [input], taskQueue: TASK_QUEUE },
    // One drill at a time: a drill due while the previous one still runs is skipped.
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { drill: options.name, cron: options.cron, cells },
  });
  const described = await handle.describe();
  return { scheduleId, nextRuns: described.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()) };
}

/** Every drill schedule with its last run's outcome. */
export async function listDrills(client: Client): Promise<DrillSummary[]> {
  const drills: DrillSummary[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('drill-')) continue;
    const d = await client.schedule.getHandle(s.scheduleId).describe();
    const memo = (d.memo ?? {}) as { drill?: string; cron?: string; cells?: string[] };
    const summary: DrillSummary = {
      name: memo.drill ?? s.scheduleId.slice('drill-'.length),
      scheduleId: s.scheduleId,
      cron: memo.cron ?? '',
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      cells: memo.cells ?? [],
      ...(d.info.nextActionTimes[0] ? { nextRunAt: d.info.nextActionTimes[0].toISOString() } : {}),
    };
    const last = d.info.recentActions[d.info.recentActions.length - 1];
    if (last) {
      const handle = client.workflow.getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId);
      const status = (await handle.describe()).status.name;
      const lastRun: NonNullable<DrillSummary['lastRun']> = { workflowId: last.action.workflow.workflowId, scheduledAt: last.scheduledAt.toISOString(), status };
      if (status === 'COMPLETED') {
        const report = (await handle.result()) as DrillReport;
        lastRun.outcome = report.outcome;
        lastRun.cellId = report.cellId;
        if (report.why) lastRun.why = report.why;
      }
      summary.lastRun = lastRun;
    }
    drills.push(summary);
  }
  return drills;
}

async function withDrill<T>(client: Client, name: string, body: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
  const handle = client.schedule.getHandle(drillScheduleId(name));
  try {
    return await body(handle);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ProcedureNotFoundError(drillScheduleId(name));
    throw err;
  }
}

export async function pauseDrill(client: Client, name: string, note: string): Promise<void> {
  await withDrill(client, name, (h) => h.pause(note));
}

export async function resumeDrill(client: Client, name: string, note: string): Promise<void> {
  await withDrill(client, name, (h) => h.unpause(note));
}

/** Deletes the drill's schedule; a drill running now goes on to its end. */
export async function deleteDrill(client: Client, name: string): Promise<void> {
  await withDrill(client, name, (h) => h.delete());
}
