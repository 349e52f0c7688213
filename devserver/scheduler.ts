import type { Clock } from './clock';

interface Entry<T> {
  key: string;
  at: number;
  seq: number;
  task: T;
  live: boolean;
}

/** Told of every change of the deadline set: `at`/`task` undefined when a deadline went (cancelled or fired). */
export type DeadlineObserver<T> = (key: string, at: number | undefined, task: T | undefined) => void;

/** Longest delay `setTimeout` accepts; longer deadlines re-arm when it fires. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Every deadline of the dev server (timers, activity and workflow-task timeouts, retry backoffs,
 * execution timeouts) lives in this one min-heap, keyed on clock time. Each deadline has a string
 * key derived from engine state, so setting a key again replaces it and the engine can cancel a
 * deadline without remembering handles.
 *
 * Driving is separate from ordering: {@link start} arms one real `setTimeout` for the earliest
 * deadline; a virtual clock can instead read {@link nextDeadline}, move itself there and call
 * {@link fireDue}.
 */
export class DeadlineScheduler<T> {
  private readonly heap: Entry<T>[] = [];
  private readonly byKey = new Map<string, Entry<T>>();
  private seq = 0;
  private dead = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private running = false;
  private firing = false;
  private observer: DeadlineObserver<T> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (task: T, key: string) => void,
  ) {}

  /** Schedules `task` at clock time `at`, replacing any deadline with the same key. */
  set(key: string, at: number, task: T): void {
    this.delete(key);
    const entry: Entry<T> = { key, at, seq: this.seq++, task, live: true };
    this.byKey.set(key, entry);
    this.push(entry);
    this.observer?.(key, at, task);
    this.arm();
  }

  /** Cancels the deadline with this key, if any. */
  delete(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) return;
    entry.live = false;
    this.byKey.delete(key);
    this.observer?.(key, undefined, undefined);
    this.dead++;
    if (this.dead > 1024 && this.dead > this.byKey.size * 2) this.compact();
  }

  /** The clock time of the deadline with this key, if scheduled. */
  get(key: string): number | undefined {
    return this.byKey.get(key)?.at;
  }

  /** Every live deadline, in no particular order. */
  *entries(): IterableIterator<{ key: string; at: number; task: T }> {
    for (const { key, at, task } of this.byKey.values()) yield { key, at, task };
  }

  /** Installs (or, with undefined, removes) the one observer of changes; persistence journals them. */
  observe(observer: DeadlineObserver<T> | undefined): void {
    this.observer = observer;
  }

  /** The earliest live deadline, or undefined when none is scheduled. */
  nextDeadline(): number | undefined {
    this.pruneTop();
    return this.heap[0]?.at;
  }

  /** Number of live deadlines. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Runs every deadline due at the current clock time, in deadline order (ties in scheduling
   * order). A task that schedules another due deadline sees it run in the same call.
   */
  fireDue(): number {
    if (this.firing) return 0;
    this.firing = true;
    let fired = 0;
    try {
      for (;;) {
        this.pruneTop();
        const top = this.heap[0];
        if (!top || top.at > this.clock.now()) break;
        this.pop();
        this.byKey.delete(top.key);
        top.live = false;
        this.observer?.(top.key, undefined, undefined);
        fired++;
        this.onDue(top.task, top.key);
      }
    } finally {
      this.firing = false;
    }
    return fired;
  }

  /** Drives the scheduler with a real timer until {@link stop}. */
  start(): void {
    this.running = true;
    this.arm();
  }

  /** Stops the real timer; deadlines stay scheduled. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Re-aims the real timer at the earliest deadline. A virtual clock calls this after jumping,
   * since the armed delay was computed against the time before the jump.
   */
  rearm(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.arm();
  }

  private arm(): void {
    if (!this.running || this.firing) return;
    const next = this.nextDeadline();
    if (next === undefined || next >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = next;
    const delay = Math.min(Math.max(0, next - this.clock.now()), MAX_TIMER_DELAY_MS);
    this.timer = setTimeout(() => this.onTimer(), delay);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.fireDue();
    this.arm();
  }

  private pruneTop(): void {
    while (this.heap.length > 0 && !this.heap[0].live) {
      this.pop();
      this.dead--;
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => e.live);
    this.heap.length = 0;
    this.dead = 0;
    for (const entry of live) this.push(entry);
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry<T>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.less(heap[l], heap[smallest])) smallest = l;
        if (r < heap.length && this.less(heap[r], heap[smallest])) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}
