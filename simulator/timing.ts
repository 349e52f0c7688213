/** How long simulated operations take, in milliseconds of the fleet's clock. */
export interface SimulatorTiming {
  /** CREATE_IN_PROGRESS until CREATE_COMPLETE (or until the failure of a faulted create). */
  stackCreateMs: number;
  /** UPDATE_IN_PROGRESS until UPDATE_COMPLETE_CLEANUP_IN_PROGRESS (or until the failure). */
  stackUpdateMs: number;
  /** Each `*_CLEANUP_IN_PROGRESS` phase. */
  stackCleanupMs: number;
  /** UPDATE_ROLLBACK_IN_PROGRESS and ROLLBACK_IN_PROGRESS. */
  stackRollbackMs: number;
  /** DELETE_IN_PROGRESS until DELETE_COMPLETE. */
  stackDeleteMs: number;
  /** Route 53: a change is PENDING this long, then INSYNC. */
  changePropagationMs: number;
  /**
   * After a change is INSYNC, resolvers' caches expire and the observed traffic moves to the new
   * weights linearly over this time; `ttl` takes the group's largest record TTL.
   */
  dnsLagMs: number | 'ttl';
  /** A new alarm stays INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") this long. */
  alarmFirstEvaluationMs: number;
  /** A state set by SetAlarmState holds this long before the alarm is evaluated again. */
  alarmStateOverrideMs: number;
  /** Added to every AWS call (on top of any slow-responses fault). */
  responseDelayMs: number;
}

/** "Real-ish" defaults for local runs and drills: a stack update takes about 3.5 s. */
export const DEFAULT_TIMING: Readonly<SimulatorTiming> = Object.freeze({
  stackCreateMs: 3_000,
  stackUpdateMs: 3_000,
  stackCleanupMs: 500,
  stackRollbackMs: 2_000,
  stackDeleteMs: 2_000,
  changePropagationMs: 2_000,
  dnsLagMs: 5_000,
  alarmFirstEvaluationMs: 10_000,
  alarmStateOverrideMs: 10_000,
  responseDelayMs: 0,
});

/**
 * Every operation completes in the instant it starts (a stack update is UPDATE_COMPLETE at the
 * next read). SetAlarmState still holds for a minute, so a test can observe the state it set.
 */
export const INSTANT_TIMING: Readonly<SimulatorTiming> = Object.freeze({
  stackCreateMs: 0,
  stackUpdateMs: 0,
  stackCleanupMs: 0,
  stackRollbackMs: 0,
  stackDeleteMs: 0,
  changePropagationMs: 0,
  dnsLagMs: 0,
  alarmFirstEvaluationMs: 0,
  alarmStateOverrideMs: 60_000,
  responseDelayMs: 0,
});

/** The defaults with `overrides` applied; negative or non-finite durations are refused. */
export function resolveTiming(overrides: Partial<SimulatorTiming> = {}): SimulatorTiming {
  const timing = { ...DEFAULT_TIMING, ...overrides };
  for (const [key, value] of Object.entries(timing)) {
    if (key === 'dnsLagMs' && value === 'ttl') continue;
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new RangeError(`timing.${key}: expected a duration >= 0 ms, got ${String(value)}`);
  }
  return timing;
}
