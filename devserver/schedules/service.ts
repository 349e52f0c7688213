import { status } from '@grpc/grpc-js';
import type { DeadlineTask, EngineContext, Txn } from '../engine/context';
import { failedPrecondition, invalidArgument, notFound, ServiceError } from '../engine/errors';
import { terminateRun } from '../engine/close';
import { requestCancelRun, startRun } from '../engine/lifecycle';
import { requireNamespace } from '../engine/namespaces';
import { duration, durationMs, enumName, enums, history, i64, num, timestamp, timestampMs, type api, type common, type wsv } from '../engine/proto';
import { customAttributeTypes, decodeSearchAttributes, mergeSearchAttributes, withTypeMetadata } from '../engine/search-attributes';
import { currentRun } from '../engine/namespaces';
import { startParams } from '../engine/start';
import type { ExecutionState, NamespaceState } from '../engine/types';
import { isRunning } from '../engine/workflow-tasks';
import { matchesQuery, parseVisibilityQuery, VisibilityQueryError, type VisibilityRecord } from '../visibility/query';
import { CompiledSpec, normalizeSpec } from './spec';
import type { PendingStart, ScheduleState } from './types';

const Overlap = enums.ScheduleOverlapPolicy;
const Status = enums.WorkflowExecutionStatus;

/** The real server's defaults and limits. */
const DEFAULT_CATCHUP_WINDOW_MS = 365 * 24 * 3_600_000;
const MIN_CATCHUP_WINDOW_MS = 10_000;
const RECENT_ACTIONS = 10;
const FUTURE_ACTIONS = 10;
const MAX_BUFFER = 1000;
const SCHEDULER_IDENTITY = 'temporal-scheduler';

/** The deadline that wakes a schedule: its next action time, or at once after one of its workflows closed. */
export type ScheduleDeadline = Extract<DeadlineTask, { kind: 'schedule' }>;

/** What the schedules need of the engine besides its context. */
export interface ScheduleHost extends EngineContext {
  transact<T>(fn: (txn: Txn) => T): T;
  onCommit(observer: (txn: Txn) => void): void;
}

function scheduleKey(namespace: string, scheduleId: string): string {
  return `schedule/${namespace}/${scheduleId}`;
}

function watchKey(namespace: string, scheduleId: string): string {
  return `schedule/${namespace}/${scheduleId}/closed`;
}

function schedulesOf(ns: NamespaceState): Map<string, ScheduleState> {
  ns.schedules ??= new Map();
  return ns.schedules;
}

function conflictTokenBytes(token: number): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(BigInt(token));
  return bytes;
}

function keywordPayload(value: string, type: string): common.IPayload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(value)),
  };
}

/** The workflow id of an action: the schedule's, with the nominal time appended (to the second, UTC). */
export function scheduledWorkflowId(base: string, nominalMs: number, keepOriginal: boolean): string {
  if (keepOriginal) return base;
  const iso = new Date(Math.floor(nominalMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return `${base}-${iso}`;
}

/**
 * The Schedule API (CreateSchedule … ListScheduleMatchingTimes) and the schedules' own
 * processing: each schedule arms one deadline at its next action time; when it fires, or when
 * one of its workflows closes, the schedule takes the actions due (catch-up window, overlap
 * policy, pause, limited actions) in one transaction, so a restart with `--db-filename` neither
 * repeats nor loses an action.
 */
export class Schedules {
  private readonly specs = new Map<string, { spec: api.schedule.v1.IScheduleSpec; compiled: CompiledSpec }>();

  constructor(private readonly host: ScheduleHost) {
    host.onCommit((txn) => this.watchClosures(txn));
  }

  // ---------------------------------------------------------------------------------------------
  // RPCs

  createSchedule(req: wsv.ICreateScheduleRequest): wsv.ICreateScheduleResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const id = req.scheduleId ?? '';
    if (!id) throw invalidArgument('ScheduleId is not set on request.');
    if (schedulesOf(ns).has(id)) throw new ServiceError(status.ALREADY_EXISTS, 'Schedule with this ID is already registered.');
    const searchAttributes = mergeSearchAttributes(ns, {}, req.searchAttributes);
    return this.host.transact((txn) => {
      const now = this.host.clock.now();
      const s: ScheduleState = {
        id,
        ...this.validated(ns, id, req.schedule),
        memo: req.memo ?? null,
        searchAttributes,
        createTimeMs: now,
        updateTimeMs: 0,
        conflictToken: 1,
        lastNominalMs: now,
        actionCount: 0,
        missedCatchupWindow: 0,
        overlapSkipped: 0,
        bufferDropped: 0,
        buffer: [],
        running: [],
        recent: [],
        cancelRequested: [],
        lastCompletionResult: null,
        lastFailure: null,
      };
      schedulesOf(ns).set(id, s);
      txn.namespaces.add(ns);
      if (req.initialPatch) this.applyPatch(ns, s, req.initialPatch, txn);
      this.step(ns, s, txn);
      return { conflictToken: conflictTokenBytes(s.conflictToken) };
    });
  }

  describeSchedule(req: wsv.IDescribeScheduleRequest): wsv.IDescribeScheduleResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const s = this.require(ns, req.scheduleId);
    return {
      schedule: this.scheduleProto(s),
      info: {
        actionCount: i64(s.actionCount),
        missedCatchupWindow: i64(s.missedCatchupWindow),
        overlapSkipped: i64(s.overlapSkipped),
        bufferDropped: i64(s.bufferDropped),
        bufferSize: i64(s.buffer.length),
        runningWorkflows: s.running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
        recentActions: this.recentActions(s),
        futureActionTimes: this.futureTimes(ns, s).map(timestamp),
        createTime: timestamp(s.createTimeMs),
        updateTime: s.updateTimeMs > 0 ? timestamp(s.updateTimeMs) : null,
      },
      memo: s.memo,
      searchAttributes: { indexedFields: withTypeMetadata(ns, s.searchAttributes) },
      conflictToken: conflictTokenBytes(s.conflictToken),
    };
  }

  updateSchedule(req: wsv.IUpdateScheduleRequest): wsv.IUpdateScheduleResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const s = this.require(ns, req.scheduleId);
    if (req.conflictToken && req.conflictToken.length > 0) {
      const given = Buffer.from(req.conflictToken);
      if (given.length !== 8 || Number(given.readBigInt64LE()) !== s.conflictToken) {
        throw failedPrecondition('mismatched conflict token');
      }
    }
    const validated = this.validated(ns, s.id, req.schedule);
    const searchAttributes = req.searchAttributes ? mergeSearchAttributes(ns, {}, req.searchAttributes) : s.searchAttributes;
    return this.host.transact((txn) => {
      Object.assign(s, validated);
      s.searchAttributes = searchAttributes;
      s.updateTimeMs = this.host.clock.now();
      s.conflictToken++;
      this.specs.delete(this.specKey(ns, s));
      // Times between the last action and now are not taken again under the new spec.
      s.lastNominalMs = Math.max(s.lastNominalMs, s.updateTimeMs);
      txn.namespaces.add(ns);
      this.step(ns, s, txn);
      return {};
    });
  }

  patchSchedule(req: wsv.IPatchScheduleRequest): wsv.IPatchScheduleResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const s = this.require(ns, req.scheduleId);
    const patch = req.patch ?? {};
    return this.host.transact((txn) => {
      this.applyPatch(ns, s, patch, txn);
      txn.namespaces.add(ns);
      this.step(ns, s, txn);
      return {};
    });
  }

  deleteSchedule(req: wsv.IDeleteScheduleRequest): wsv.IDeleteScheduleResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const s = this.require(ns, req.scheduleId);
    return this.host.transact((txn) => {
      // The workflows it started keep running, as on a real server.
      schedulesOf(ns).delete(s.id);
      this.specs.delete(this.specKey(ns, s));
      this.host.scheduler.delete(scheduleKey(ns.name, s.id));
      this.host.scheduler.delete(watchKey(ns.name, s.id));
      txn.namespaces.add(ns);
      return {};
    });
  }

  listSchedules(req: wsv.IListSchedulesRequest): wsv.IListSchedulesResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const types = customAttributeTypes(ns) as Map<string, string>;
    types.set('ScheduleId', 'Keyword');
    let query;
    try {
      query = parseVisibilityQuery(req.query ?? '', types as Parameters<typeof parseVisibilityQuery>[1]);
    } catch (err) {
      if (err instanceof VisibilityQueryError) throw invalidArgument(`invalid query: ${err.message}`);
      throw err;
    }
    const all = [...schedulesOf(ns).values()]
      .filter((s) => matchesQuery(query, this.visibilityRecord(ns, s)))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const offset = req.nextPageToken && req.nextPageToken.length > 0 ? Number(Buffer.from(req.nextPageToken).toString()) || 0 : 0;
    const size = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    const page = all.slice(offset, offset + size);
    return {
      schedules: page.map((s) => ({
        scheduleId: s.id,
        memo: s.memo,
        searchAttributes: { indexedFields: withTypeMetadata(ns, s.searchAttributes) },
        info: {
          spec: s.spec,
          workflowType: s.action.workflowType ?? null,
          notes: s.notes,
          paused: s.paused,
          recentActions: this.recentActions(s).slice(-3),
          futureActionTimes: this.futureTimes(ns, s).slice(0, 5).map(timestamp),
        },
      })),
      nextPageToken: offset + size < all.length ? Buffer.from(String(offset + size)) : Buffer.alloc(0),
    };
  }

  listScheduleMatchingTimes(req: wsv.IListScheduleMatchingTimesRequest): wsv.IListScheduleMatchingTimesResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const s = this.require(ns, req.scheduleId);
    const start = timestampMs(req.startTime);
    const end = timestampMs(req.endTime);
    if (!req.startTime || !req.endTime || end < start) throw invalidArgument('Invalid start and end times.');
    return { startTime: this.compiled(ns, s).timesBetween(start, end).map((t) => timestamp(t.actualMs)) };
  }

  // ---------------------------------------------------------------------------------------------
  // Processing

  /** A schedule's deadline fired. */
  onDeadline(task: ScheduleDeadline): void {
    this.host.transact((txn) => {
      const ns = this.host.namespaces.get(task.namespace);
      const s = ns?.schedules?.get(task.scheduleId);
      if (!ns || !s) return;
      txn.namespaces.add(ns);
      this.step(ns, s, txn);
    });
  }

  /** At a commit: a closed workflow of a schedule wakes the schedule at once (buffered starts, pause on failure). */
  private watchClosures(txn: Txn): void {
    for (const exec of txn.touched) {
      if (isRunning(exec)) continue;
      const schedules = this.host.namespaces.get(exec.namespace)?.schedules;
      if (!schedules || schedules.size === 0) continue;
      for (const s of schedules.values()) {
        if (!s.running.some((r) => r.workflowId === exec.workflowId)) continue;
        const task: ScheduleDeadline = { kind: 'schedule', namespace: exec.namespace, scheduleId: s.id };
        this.host.scheduler.set(watchKey(exec.namespace, s.id), this.host.clock.now(), task);
      }
    }
  }

  /** Brings a schedule up to now: closed workflows, the times due, the buffer, then its next deadline. */
  private step(ns: NamespaceState, s: ScheduleState, txn: Txn): void {
    const now = this.host.clock.now();
    this.refreshRunning(ns, s, txn);
    const spec = this.compiled(ns, s);
    for (let next = spec.next(s.lastNominalMs); next && next.actualMs <= now; next = spec.next(s.lastNominalMs)) {
      s.lastNominalMs = next.nominalMs;
      if (s.paused) continue;
      if (now - next.actualMs > s.catchupWindowMs) {
        s.missedCatchupWindow++;
        continue;
      }
      s.buffer.push({ nominalMs: next.nominalMs, actualMs: next.actualMs, overlapPolicy: 0, manual: false });
    }
    this.processBuffer(ns, s, txn);
    this.arm(ns, s);
  }

  private arm(ns: NamespaceState, s: ScheduleState): void {
    const key = scheduleKey(ns.name, s.id);
    const next = s.paused || (s.limitedActions && s.remainingActions <= 0) ? undefined : this.compiled(ns, s).next(s.lastNominalMs);
    if (!next) {
      this.host.scheduler.delete(key);
      return;
    }
    const task: ScheduleDeadline = { kind: 'schedule', namespace: ns.name, scheduleId: s.id };
    this.host.scheduler.set(key, next.actualMs, task);
  }

  /** Forgets workflows that closed, records how they ended, and pauses on a failure if asked to. */
  private refreshRunning(ns: NamespaceState, s: ScheduleState, txn: Txn): void {
    const still: ScheduleState['running'] = [];
    for (const r of s.running) {
      const current = currentRun(this.host, ns, r.workflowId);
      if (current && isRunning(current)) {
        still.push(r);
        continue;
      }
      const closedStatus = current?.status ?? Status.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
      if (current) this.rememberOutcome(s, current);
      for (const action of s.recent) if (action.workflowId === r.workflowId) action.status = closedStatus;
      s.cancelRequested = s.cancelRequested.filter((id) => id !== r.workflowId);
      if (
        s.pauseOnFailure &&
        (closedStatus === Status.WORKFLOW_EXECUTION_STATUS_FAILED || closedStatus === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)
      ) {
        s.paused = true;
        s.notes = `paused due to workflow failure: ${r.workflowId}: ${enumName(Status, closedStatus).replace('WORKFLOW_EXECUTION_STATUS_', '')}`;
        // Starts due while paused are dropped, as the real server does.
        s.buffer = s.buffer.filter((start) => start.manual);
      }
    }
    s.running = still;
    void txn;
  }

  /** The result of a completed run, or the failure of a failed one, from its close event. */
  private rememberOutcome(s: ScheduleState, exec: ExecutionState): void {
    const encoded = exec.log.encoded[exec.log.encoded.length - 1];
    if (!encoded) return;
    const event = history.HistoryEvent.decode(encoded);
    if (event.workflowExecutionCompletedEventAttributes) {
      s.lastCompletionResult = event.workflowExecutionCompletedEventAttributes.result ?? null;
      s.lastFailure = null;
    } else if (event.workflowExecutionFailedEventAttributes) {
      s.lastFailure = event.workflowExecutionFailedEventAttributes.failure ?? null;
    }
  }

  /** Starts what the overlap policies allow now; keeps what waits for the running workflows. */
  private processBuffer(ns: NamespaceState, s: ScheduleState, txn: Txn): void {
    let running = s.running.length > 0;
    const keep: PendingStart[] = [];
    for (const start of s.buffer) {
      const policy = (start.overlapPolicy || s.overlapPolicy) as enums.ScheduleOverlapPolicy;
      if (policy === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL || (!running && keep.length === 0)) {
        if (this.startAction(ns, s, start, txn)) running = true;
        continue;
      }
      switch (policy) {
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
          if (keep.length > 0) s.bufferDropped++;
          else keep.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
          if (keep.length >= MAX_BUFFER) s.bufferDropped++;
          else keep.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
          this.cancelRunning(ns, s, txn);
          s.bufferDropped += keep.length;
          keep.length = 0;
          keep.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
          this.terminateRunning(ns, s, txn);
          s.bufferDropped += keep.length;
          keep.length = 0;
          running = this.startAction(ns, s, start, txn);
          break;
        default:
          s.overlapSkipped++;
      }
    }
    s.buffer = keep;
  }

  private cancelRunning(ns: NamespaceState, s: ScheduleState, txn: Txn): void {
    for (const r of s.running) {
      if (s.cancelRequested.includes(r.workflowId)) continue;
      const exec = currentRun(this.host, ns, r.workflowId);
      if (exec && isRunning(exec)) requestCancelRun(this.host, exec, 'cancelled by schedule overlap policy', SCHEDULER_IDENTITY, txn);
      s.cancelRequested.push(r.workflowId);
    }
  }

  private terminateRunning(ns: NamespaceState, s: ScheduleState, txn: Txn): void {
    for (const r of s.running) {
      const exec = currentRun(this.host, ns, r.workflowId);
      if (exec && isRunning(exec)) terminateRun(this.host, exec, 'terminated by schedule overlap policy', null, SCHEDULER_IDENTITY, txn);
    }
    this.refreshRunning(ns, s, txn);
  }

  /** Starts one workflow for the schedule; false when it may not (paused, out of actions) or cannot. */
  private startAction(ns: NamespaceState, s: ScheduleState, start: PendingStart, txn: Txn): boolean {
    if (!start.manual) {
      if (s.paused) return false;
      if (s.limitedActions) {
        if (s.remainingActions <= 0) return false;
        s.remainingActions--;
      }
    }
    const workflowId = scheduledWorkflowId(s.action.workflowId ?? '', start.nominalMs, s.keepOriginalWorkflowId);
    const existing = currentRun(this.host, ns, workflowId);
    if (existing && isRunning(existing)) {
      this.host.log.warn('schedule action skipped: workflow already running', { scheduleId: s.id, workflowId });
      return false;
    }
    try {
      const params = startParams(this.host, ns, {
        ...s.action,
        workflowId,
        identity: SCHEDULER_IDENTITY,
        requestId: this.host.newId(),
      });
      params.fromSchedule = { lastCompletionResult: s.lastCompletionResult ?? null, lastFailure: s.lastFailure ?? null };
      params.searchAttributes = {
        ...params.searchAttributes,
        TemporalScheduledStartTime: keywordPayload(new Date(start.nominalMs).toISOString(), 'Datetime'),
        TemporalScheduledById: keywordPayload(s.id, 'Keyword'),
      };
      const exec = startRun(this.host, ns, params, txn);
      s.running.push({ workflowId, runId: exec.runId });
      s.actionCount++;
      s.recent.push({
        scheduleMs: start.nominalMs,
        actualMs: this.host.clock.now(),
        workflowId,
        runId: exec.runId,
        status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      });
      if (s.recent.length > RECENT_ACTIONS) s.recent.splice(0, s.recent.length - RECENT_ACTIONS);
      return true;
    } catch (err) {
      this.host.log.warn('schedule action failed to start', { scheduleId: s.id, workflowId, error: String(err) });
      return false;
    }
  }

  private applyPatch(ns: NamespaceState, s: ScheduleState, patch: api.schedule.v1.ISchedulePatch, txn: Txn): void {
    const now = this.host.clock.now();
    if (patch.pause) {
      s.paused = true;
      s.notes = patch.pause;
    }
    if (patch.unpause) {
      // Times that passed while paused are not caught up.
      this.step(ns, s, txn);
      s.paused = false;
      s.notes = patch.unpause;
    }
    if (patch.triggerImmediately) {
      const at = timestampMs(patch.triggerImmediately.scheduledTime) || now;
      s.buffer.push({ nominalMs: at, actualMs: now, overlapPolicy: patch.triggerImmediately.overlapPolicy ?? 0, manual: true });
    }
    for (const backfill of patch.backfillRequest ?? []) {
      const from = timestampMs(backfill.startTime);
      const to = timestampMs(backfill.endTime);
      if (!backfill.startTime || !backfill.endTime || to < from) throw invalidArgument('Invalid backfill start and end times.');
      for (const t of this.compiled(ns, s).timesBetween(from, to)) {
        s.buffer.push({ nominalMs: t.nominalMs, actualMs: t.actualMs, overlapPolicy: backfill.overlapPolicy ?? 0, manual: true });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private require(ns: NamespaceState, scheduleId: string | null | undefined): ScheduleState {
    if (!scheduleId) throw invalidArgument('ScheduleId is not set on request.');
    const s = ns.schedules?.get(scheduleId);
    if (!s) throw notFound(`schedule "${scheduleId}" not found`);
    return s;
  }

  /** The parts of a Create/Update request that become schedule state, validated. */
  private validated(
    ns: NamespaceState,
    id: string,
    schedule: api.schedule.v1.ISchedule | null | undefined,
  ): Pick<
    ScheduleState,
    | 'spec'
    | 'action'
    | 'overlapPolicy'
    | 'catchupWindowMs'
    | 'pauseOnFailure'
    | 'keepOriginalWorkflowId'
    | 'paused'
    | 'notes'
    | 'limitedActions'
    | 'remainingActions'
  > {
    if (!schedule) throw invalidArgument('Schedule is not set on request.');
    const action = schedule.action?.startWorkflow;
    if (!action) throw invalidArgument('Schedule action is not set.');
    // The same checks as a start, with a stand-in id.
    startParams(this.host, ns, { ...action, workflowId: action.workflowId || '' });
    const spec = normalizeSpec(schedule.spec);
    const policies = schedule.policies ?? {};
    const overlapPolicy = policies.overlapPolicy || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
    if (!enumName(Overlap, overlapPolicy).startsWith('SCHEDULE_OVERLAP_POLICY_')) throw invalidArgument('Invalid overlap policy.');
    const catchup = durationMs(policies.catchupWindow);
    const state = schedule.state ?? {};
    void id;
    return {
      spec,
      action,
      overlapPolicy,
      catchupWindowMs: catchup > 0 ? Math.max(catchup, MIN_CATCHUP_WINDOW_MS) : DEFAULT_CATCHUP_WINDOW_MS,
      pauseOnFailure: policies.pauseOnFailure === true,
      keepOriginalWorkflowId: policies.keepOriginalWorkflowId === true,
      paused: state.paused === true,
      notes: state.notes ?? '',
      limitedActions: state.limitedActions === true,
      remainingActions: state.limitedActions ? num(state.remainingActions) : 0,
    };
  }

  private specKey(ns: NamespaceState, s: ScheduleState): string {
    return `${ns.name}/${s.id}`;
  }

  private compiled(ns: NamespaceState, s: ScheduleState): CompiledSpec {
    const key = this.specKey(ns, s);
    const cached = this.specs.get(key);
    if (cached && cached.spec === s.spec) return cached.compiled;
    const compiled = new CompiledSpec(s.spec, `${ns.name}/${s.id}`);
    this.specs.set(key, { spec: s.spec, compiled });
    return compiled;
  }

  private scheduleProto(s: ScheduleState): api.schedule.v1.ISchedule {
    return {
      spec: s.spec,
      action: { startWorkflow: s.action },
      policies: {
        overlapPolicy: s.overlapPolicy,
        catchupWindow: duration(s.catchupWindowMs),
        pauseOnFailure: s.pauseOnFailure,
        keepOriginalWorkflowId: s.keepOriginalWorkflowId,
      },
      state: {
        paused: s.paused,
        notes: s.notes,
        limitedActions: s.limitedActions,
        remainingActions: i64(s.remainingActions),
      },
    };
  }

  private recentActions(s: ScheduleState): api.schedule.v1.IScheduleActionResult[] {
    return s.recent.map((a) => ({
      scheduleTime: timestamp(a.scheduleMs),
      actualTime: timestamp(a.actualMs),
      startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
      startWorkflowStatus: a.status,
    }));
  }

  /** The next action times, ignoring pause (as the real server does) but not limited actions. */
  private futureTimes(ns: NamespaceState, s: ScheduleState): number[] {
    const spec = this.compiled(ns, s);
    const count = s.limitedActions ? Math.min(FUTURE_ACTIONS, s.remainingActions) : FUTURE_ACTIONS;
    const times: number[] = [];
    let after = s.lastNominalMs;
    while (times.length < count) {
      const next = spec.next(after);
      if (!next) break;
      times.push(next.actualMs);
      after = next.nominalMs;
    }
    return times;
  }

  private visibilityRecord(ns: NamespaceState, s: ScheduleState): VisibilityRecord {
    return {
      ...decodeSearchAttributes(ns, s.searchAttributes),
      ScheduleId: s.id,
      WorkflowId: s.id,
      WorkflowType: s.action.workflowType?.name ?? '',
      TemporalSchedulePaused: s.paused,
      StartTime: new Date(s.createTimeMs),
      ExecutionStatus: 'Running',
    };
  }
}
