/**
 * @module Time skipping, as the Java test server (`temporal-test-server`) does it.
 *
 * The server's clock is a {@link VirtualClock}: real time plus an offset that only grows. While
 * time skipping is *locked* the clock runs with real time. While it is *unlocked* and nothing is
 * outstanding (no workflow task scheduled or started, no activity attempt scheduled or started),
 * the clock jumps straight to the next deadline (timer, timeout, retry backoff, start delay) or
 * the next TestService sleeper, fires it, and repeats until something is outstanding again.
 *
 * Locks are counted: external ones (LockTimeSkipping/UnlockTimeSkipping, the server starts with
 * one unless `--enable-time-skipping`) and internal ones, derived from engine state: a run with a
 * workflow task outstanding holds the clock, and so does each activity attempt scheduled or
 * running. UnlockTimeSkippingWithSleep takes one lock away while it sleeps, as on the Java test
 * server, where every lock is one counter: an activity calling `env.sleep` (or a test sleeping
 * while it waits for a result) lets the clock move past that activity.
 *
 * Paced skipping (`pace`, for demonstrations rather than tests): instead of jumping at once, an
 * idle clock runs `rate` times faster than real time towards the next deadline, so waits stay
 * visible but short. Outstanding work still holds the clock at real time, so no timeout of a
 * running task shrinks.
 */
import type { Clock } from './clock';
import type { Txn } from './engine/context';
import type { ExecutionState } from './engine/types';
import { isRunning } from './engine/workflow-tasks';
import type { Logger } from './log';
import type { DeadlineScheduler } from './scheduler';

/** Longest delay `setTimeout` accepts. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** Jumps per evaluation before yielding to I/O, so a long chain cannot starve the server. */
const MAX_JUMPS_PER_TURN = 1000;

/**
 * Real time plus a forward-only offset. `now()` never goes backwards, even if the system clock
 * does.
 */
export class VirtualClock implements Clock {
  private offsetMs = 0;
  private lastMs = 0;

  constructor(private readonly realNow: () => number = Date.now) {}

  now(): number {
    const t = this.realNow() + this.offsetMs;
    if (t > this.lastMs) this.lastMs = t;
    return this.lastMs;
  }

  /** Moves the clock forward to `at` (no-op if `at` is not in the future). */
  jumpTo(at: number): void {
    const now = this.now();
    if (at <= now) return;
    this.offsetMs += at - now;
    this.lastMs = at;
  }

  /** Total time skipped so far, in ms. */
  get skippedMs(): number {
    return this.offsetMs;
  }
}

/** Whether a run holds an internal lock: a workflow task or an activity attempt is outstanding. */
export function hasOutstandingTask(exec: ExecutionState): boolean {
  const { workflowTask, activities } = internalLocks(exec);
  return workflowTask || activities > 0;
}

/**
 * The internal locks a run holds: its outstanding workflow task, and one per activity attempt
 * scheduled or running (as the Java test server locks per activity).
 */
export function internalLocks(exec: ExecutionState): { workflowTask: boolean; activities: number } {
  if (!isRunning(exec)) return { workflowTask: false, activities: 0 };
  let activities = 0;
  for (const act of Object.values(exec.activities)) if (act.phase !== 'backoff') activities++;
  return { workflowTask: exec.wft !== null, activities };
}

/** The latest clock time recorded in run state (0 when there is none). */
export function latestRecordedTime(executions: Iterable<ExecutionState>): number {
  let latest = 0;
  for (const exec of executions) {
    latest = Math.max(latest, exec.startTimeMs, exec.closeTimeMs, exec.wft?.scheduledTimeMs ?? 0, exec.wft?.startedTimeMs ?? 0);
    for (const act of Object.values(exec.activities)) {
      latest = Math.max(latest, act.currentAttemptScheduledTimeMs, act.startedTimeMs, act.lastHeartbeatTimeMs, act.lastAttemptCompleteTimeMs);
    }
  }
  return latest;
}

/** What the controller needs from the engine. */
export interface TimeSkippingHost {
  readonly scheduler: Pick<DeadlineScheduler<unknown>, 'nextDeadline' | 'fireDue' | 'rearm'>;
  readonly executions: ReadonlyMap<string, ExecutionState>;
}

/** Paced skipping: while nothing is outstanding, time runs `rate` times real time. */
export interface SkippingPace {
  /** How many times faster than real time an idle clock runs (> 1). */
  rate: number;
  /** Real time between steps of the clock; default 50 ms. */
  tickMs?: number;
}

const DEFAULT_PACE_TICK_MS = 50;

/** The controller's plain state (for diagnostics and tests). */
export interface TimeSkippingState {
  /**
   * External lock count. Skipping needs it at or below zero. It may go below zero: concurrent
   * result waits each unlock before and lock after, and must balance out whatever their order.
   */
  externalLocks: number;
  /** Run ids holding an internal lock. */
  busyRuns: string[];
  /** Activity attempts scheduled or running, one lock each. */
  activityLocks: number;
  /** Virtual times of pending TestService sleeps, earliest first. */
  sleepers: number[];
  /** Total virtual time skipped, in ms. */
  skippedMs: number;
}

interface Sleeper {
  at: number;
  /** UnlockTimeSkippingWithSleep: take the external lock back when woken. */
  relock: boolean;
  wake: () => void;
}

/**
 * Drives the engine's {@link DeadlineScheduler} on a {@link VirtualClock}. Call
 * {@link TimeSkipping.onCommit} from the engine's commit point so internal locks follow state.
 */
export class TimeSkipping {
  private externalLocks: number;
  /** Runs with a workflow task outstanding: these always hold the clock. */
  private readonly workflowTaskRuns = new Set<string>();
  /** Activity locks per run (attempts scheduled or running). */
  private readonly activityLocksByRun = new Map<string, number>();
  private activityLocks = 0;
  /** UnlockTimeSkippingWithSleep calls still sleeping: each takes one lock away while it sleeps. */
  private sleepUnlocks = 0;
  private sleepers: Sleeper[] = [];
  private evaluation: NodeJS.Immediate | undefined;
  private sleeperTimer: NodeJS.Timeout | undefined;
  /** Virtual time the sleeper timer aims at. */
  private sleeperTimerAt: number | undefined;
  private stopped = false;
  private readonly pace: Required<SkippingPace> | undefined;
  /** Paced: how far this tick may move the clock; cleared when the tick's real time has passed. */
  private paceLimit: number | undefined;
  private paceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: TimeSkippingHost,
    readonly clock: VirtualClock,
    private readonly log: Logger,
    options: { locked: boolean; pace?: SkippingPace },
  ) {
    this.externalLocks = options.locked ? 1 : 0;
    if (options.pace !== undefined) {
      if (!(options.pace.rate > 1)) throw new RangeError(`time skipping pace: rate must be above 1, got ${options.pace.rate}`);
      this.pace = { rate: options.pace.rate, tickMs: options.pace.tickMs ?? DEFAULT_PACE_TICK_MS };
    }
    for (const exec of host.executions.values()) this.track(exec);
    // Restored state may be ahead of real time (time was skipped before a restart).
    clock.jumpTo(latestRecordedTime(host.executions.values()));
    this.schedule();
  }

  /** The engine committed `txn`: re-derive the internal locks of the runs it touched. */
  onCommit(txn: Txn): void {
    for (const exec of txn.touched) this.track(exec);
    // New deadlines may be the next jump target too, so evaluate after any commit (coalesced).
    this.schedule();
  }

  /** Re-derives the internal locks of one run from its state. */
  private track(exec: ExecutionState): void {
    const { workflowTask, activities } = internalLocks(exec);
    if (workflowTask) this.workflowTaskRuns.add(exec.runId);
    else this.workflowTaskRuns.delete(exec.runId);
    this.activityLocks += activities - (this.activityLocksByRun.get(exec.runId) ?? 0);
    if (activities > 0) this.activityLocksByRun.set(exec.runId, activities);
    else this.activityLocksByRun.delete(exec.runId);
  }

  /** LockTimeSkipping. */
  lock(): void {
    this.externalLocks++;
  }

  /** UnlockTimeSkipping. */
  unlock(): void {
    this.externalLocks--;
    this.schedule();
  }

  /** Current virtual time (GetCurrentTime). */
  now(): number {
    return this.clock.now();
  }

  /** Sleep / SleepUntil: resolves once virtual time reaches `at`; does not unlock. */
  sleepUntil(at: number, onCancel?: (cancel: () => void) => void): Promise<void> {
    return this.addSleeper(at, false, onCancel);
  }

  /**
   * UnlockTimeSkippingWithSleep: unlocks, lets virtual time reach now + `ms` (firing everything
   * due on the way), locks again and resolves. As on the Java test server, whose lock is one
   * counter, the lock the sleep takes away may be a running activity's: an activity (or a test
   * waiting on a result) that sleeps this way lets the clock move past itself.
   */
  unlockWithSleep(ms: number, onCancel?: (cancel: () => void) => void): Promise<void> {
    const promise = this.addSleeper(this.clock.now() + Math.max(0, ms), true, onCancel);
    this.externalLocks--;
    this.sleepUnlocks++;
    this.schedule();
    return promise;
  }

  /** A snapshot of the controller's state. */
  state(): TimeSkippingState {
    return {
      externalLocks: this.externalLocks,
      busyRuns: [...new Set([...this.workflowTaskRuns, ...this.activityLocksByRun.keys()])],
      activityLocks: this.activityLocks,
      sleepers: this.sleepers.map((s) => s.at),
      skippedMs: this.clock.skippedMs,
    };
  }

  /** Stops evaluating; pending sleeps never resolve (the server is going away). */
  stop(): void {
    this.stopped = true;
    if (this.evaluation) clearImmediate(this.evaluation);
    if (this.sleeperTimer) clearTimeout(this.sleeperTimer);
    if (this.paceTimer) clearTimeout(this.paceTimer);
    this.evaluation = undefined;
    this.sleeperTimer = undefined;
    this.paceTimer = undefined;
  }

  private addSleeper(at: number, relock: boolean, onCancel?: (cancel: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const sleeper: Sleeper = { at, relock, wake: resolve };
      const index = this.sleepers.findIndex((s) => s.at > at);
      if (index < 0) this.sleepers.push(sleeper);
      else this.sleepers.splice(index, 0, sleeper);
      onCancel?.(() => {
        const i = this.sleepers.indexOf(sleeper);
        if (i < 0) return;
        this.sleepers.splice(i, 1);
        // The caller gave up: give the lock back as if the sleep had ended.
        if (relock) this.relock();
        resolve();
      });
      this.schedule();
    });
  }

  /** An UnlockTimeSkippingWithSleep ended: its lock is back. */
  private relock(): void {
    this.externalLocks++;
    this.sleepUnlocks--;
  }

  /**
   * Whether the clock may jump. Workflow tasks always hold it. Otherwise the locks are counted
   * as the Java test server counts them: external ones (a count below zero from concurrent result
   * waits counts as none, so it never cancels an activity's lock) plus one per activity attempt,
   * minus one per UnlockTimeSkippingWithSleep still sleeping.
   */
  private canSkip(): boolean {
    if (this.workflowTaskRuns.size > 0) return false;
    const externalWithoutSleeps = this.externalLocks + this.sleepUnlocks;
    return Math.max(0, externalWithoutSleeps) + this.activityLocks - this.sleepUnlocks <= 0;
  }

  /** Evaluates once the current turn's commits are done (coalesced). */
  private schedule(): void {
    if (this.evaluation || this.stopped) return;
    this.evaluation = setImmediate(() => {
      this.evaluation = undefined;
      this.evaluate();
    });
  }

  private evaluate(): void {
    if (this.stopped) return;
    let jumps = 0;
    for (;;) {
      this.wakeDueSleepers();
      if (!this.canSkip()) break;
      if (jumps >= MAX_JUMPS_PER_TURN) {
        this.schedule();
        break;
      }
      const target = this.nextTarget();
      if (target === undefined) break;
      const from = this.clock.now();
      const next = this.pace ? Math.min(target, this.pacedLimit(from)) : target;
      this.clock.jumpTo(next);
      jumps++;
      if (next < target) break;
      let fired = 0;
      try {
        fired = this.host.scheduler.fireDue();
      } catch (err) {
        this.log.error('deadline firing failed while skipping time', { error: String(err) });
      }
      if (next > from) this.log.debug('skipped time', { fromMs: from, toMs: next, fired });
      if (fired === 0 && !this.sleepers.some((s) => s.at <= this.clock.now())) break;
    }
    // The scheduler's real timer was aimed before the jump.
    if (jumps > 0) this.host.scheduler.rearm();
    this.armSleeperTimer(jumps > 0);
  }

  /** The furthest the clock may go in the current tick; starts a tick when none runs. */
  private pacedLimit(now: number): number {
    const pace = this.pace as Required<SkippingPace>;
    if (this.paceLimit === undefined) {
      // Real time moves one tick meanwhile, so the jumps make up the other (rate - 1) ticks.
      this.paceLimit = now + pace.tickMs * (pace.rate - 1);
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.paceLimit = undefined;
        this.schedule();
      }, pace.tickMs);
      this.paceTimer.unref();
    }
    return this.paceLimit;
  }

  private nextTarget(): number | undefined {
    const deadline = this.host.scheduler.nextDeadline();
    const sleeper = this.sleepers[0]?.at;
    if (deadline === undefined) return sleeper;
    if (sleeper === undefined) return deadline;
    return Math.min(deadline, sleeper);
  }

  private wakeDueSleepers(): void {
    const now = this.clock.now();
    while (this.sleepers.length > 0 && this.sleepers[0].at <= now) {
      const sleeper = this.sleepers.shift() as Sleeper;
      if (sleeper.relock) this.relock();
      sleeper.wake();
    }
  }

  /** While locked, sleepers wake on real time: one real timer for the earliest. */
  private armSleeperTimer(jumped: boolean): void {
    const first = this.sleepers[0];
    if (!jumped && first?.at === this.sleeperTimerAt && (first === undefined || this.sleeperTimer)) return;
    if (this.sleeperTimer) clearTimeout(this.sleeperTimer);
    this.sleeperTimer = undefined;
    this.sleeperTimerAt = first?.at;
    if (!first || this.stopped) return;
    const delay = Math.min(Math.max(0, first.at - this.clock.now()), MAX_TIMER_DELAY_MS);
    this.sleeperTimer = setTimeout(() => {
      this.sleeperTimer = undefined;
      this.sleeperTimerAt = undefined;
      this.evaluate();
    }, delay);
    this.sleeperTimer.unref();
  }
}
