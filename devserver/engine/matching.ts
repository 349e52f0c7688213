/**
 * Task queues: a FIFO backlog of task references and a FIFO of waiting long-poll callers per
 * (namespace, task queue, task type). References only name state; whether a reference is still
 * valid is decided by the engine when it tries to start the task.
 */

/** A long-poll caller waiting for a task. */
export interface Poller<T> {
  /** False once the call was cancelled or expired. */
  active: boolean;
  /** Tries to start `task` for this poller; false if the task turned out to be stale. */
  offer(task: T): boolean;
  /** Whether this poller may take `task` at all (worker versioning); absent means any task. */
  accepts?(task: T): boolean;
}

/** Simple array-backed FIFO with amortised O(1) shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  removeWhere(pred: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter((item) => !pred(item));
    this.head = 0;
  }
}

class TaskQueue<T> {
  readonly backlog = new Fifo<T>();
  readonly pollers = new Fifo<Poller<T>>();
  lastPollTimeMs = 0;
  /** Worker identity → time of its latest poll, for DescribeTaskQueue. */
  readonly pollerHistory = new Map<string, number>();
}

/** A worker seen polling a task queue. */
export interface PollerSeen {
  identity: string;
  lastAccessTimeMs: number;
}

/** All task queues of one task type (workflow or activity). */
export class Matching<T> {
  private readonly queues = new Map<string, TaskQueue<T>>();

  private queue(namespace: string, name: string): TaskQueue<T> {
    const key = `${namespace}\u0000${name}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new TaskQueue<T>();
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Hands `task` to a waiting poller, or keeps it in the backlog until one arrives. */
  add(namespace: string, taskQueue: string, task: T): void {
    const queue = this.queue(namespace, taskQueue);
    // Pollers that may not take the task keep their place, ahead of the others.
    const passed: Poller<T>[] = [];
    let taken = false;
    for (;;) {
      const poller = queue.pollers.shift();
      if (!poller) break;
      if (!poller.active) continue;
      if (poller.accepts && !poller.accepts(task)) {
        passed.push(poller);
        continue;
      }
      taken = true;
      if (poller.offer(task)) break;
      // The task was stale; the poller keeps waiting for the next one.
      passed.push(poller);
      break;
    }
    for (let i = passed.length - 1; i >= 0; i--) queue.pollers.unshift(passed[i]);
    if (!taken) queue.backlog.push(task);
  }

  /** Offers the backlog again to the waiting pollers (after a change of which poller may take which task). */
  rematch(namespace: string, taskQueue: string): void {
    const queue = this.queues.get(`${namespace}\u0000${taskQueue}`);
    if (!queue || queue.pollers.length === 0 || queue.backlog.length === 0) return;
    const tasks: T[] = [];
    for (let task = queue.backlog.shift(); task !== undefined; task = queue.backlog.shift()) tasks.push(task);
    for (const task of tasks) this.add(namespace, taskQueue, task);
  }

  /**
   * Serves a poll from the backlog, skipping stale entries; registers the poller to wait when
   * the backlog has nothing startable. Returns true when the poller got a task right away.
   */
  poll(namespace: string, taskQueue: string, poller: Poller<T>, nowMs: number, identity = ''): boolean {
    const queue = this.queue(namespace, taskQueue);
    queue.lastPollTimeMs = nowMs;
    if (identity) {
      // Re-inserting keeps the map ordered by last access, oldest first.
      queue.pollerHistory.delete(identity);
      queue.pollerHistory.set(identity, nowMs);
    }
    // Tasks this poller may not take keep their place at the head of the backlog.
    const passed: T[] = [];
    let served = false;
    for (;;) {
      const task = queue.backlog.shift();
      if (task === undefined) break;
      if (poller.accepts && !poller.accepts(task)) {
        passed.push(task);
        continue;
      }
      if (poller.offer(task)) {
        served = true;
        break;
      }
    }
    for (let i = passed.length - 1; i >= 0; i--) queue.backlog.unshift(passed[i]);
    if (served) return true;
    queue.pollers.push(poller);
    return false;
  }

  /** Removes inactive pollers (cancelled or expired calls) from a queue. */
  prune(namespace: string, taskQueue: string): void {
    this.queue(namespace, taskQueue).pollers.removeWhere((p) => !p.active);
  }

  /** Number of backlog entries (including stale ones not yet skipped). */
  backlogSize(namespace: string, taskQueue: string): number {
    return this.queues.get(`${namespace}\u0000${taskQueue}`)?.backlog.length ?? 0;
  }

  /**
   * The workers that polled the queue since `sinceMs`, most recent first; older entries are
   * forgotten (the real server keeps poller history for 5 minutes).
   */
  pollersSince(namespace: string, taskQueue: string, sinceMs: number): PollerSeen[] {
    const history = this.queues.get(`${namespace}\u0000${taskQueue}`)?.pollerHistory;
    if (!history) return [];
    for (const [identity, at] of history) {
      if (at >= sinceMs) break;
      history.delete(identity);
    }
    return [...history].reverse().map(([identity, lastAccessTimeMs]) => ({ identity, lastAccessTimeMs }));
  }

  /** When a worker last polled this queue (0 = never). */
  lastPollTime(namespace: string, taskQueue: string): number {
    return this.queues.get(`${namespace}\u0000${taskQueue}`)?.lastPollTimeMs ?? 0;
  }
}
