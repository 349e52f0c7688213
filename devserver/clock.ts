/**
 * The one source of time for the dev server. Every event time, deadline and backoff is computed
 * from `Clock.now()`, so a virtual clock (time skipping) can replace the system clock without
 * touching the engine.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Wall-clock time. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/**
 * A clock that only moves when told to. Used by tests of the scheduler and, later, by time
 * skipping, where it jumps to the next deadline while no task is outstanding.
 */
export class ManualClock implements Clock {
  constructor(private current: number = Date.now()) {}

  now(): number {
    return this.current;
  }

  /** Moves the clock to `at`; time never goes backwards. */
  advanceTo(at: number): void {
    this.current = Math.max(this.current, at);
  }
}

/**
 * Reads `source` once per transaction: every time read while a transaction runs is the time it
 * began, so the events, records and deadlines one change writes agree (a run's start time and its
 * started event's time, say). Outside a transaction it reads `source` directly.
 */
export class TransactionClock implements Clock {
  private frozenAt: number | undefined;

  constructor(private readonly source: Clock) {}

  now(): number {
    return this.frozenAt ?? this.source.now();
  }

  /** Runs `fn` with the time fixed; a nested call keeps the outer transaction's time. */
  during<T>(fn: () => T): T {
    if (this.frozenAt !== undefined) return fn();
    this.frozenAt = this.source.now();
    try {
      return fn();
    } finally {
      this.frozenAt = undefined;
    }
  }
}
