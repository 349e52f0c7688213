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
