/** Input of the `stabilityWatch` child workflow (long watches run there to keep histories bounded). */
import type { Cell, Policies } from '../registry/schema';

export interface StabilityWatchInput {
  cell: Cell;
  health: Policies['health'];
  /** Checks still to run (this run and its continuations). */
  remainingChecks: number;
  checkEverySeconds: number;
  /** Checks done by earlier runs of the chain, so request tokens and reports continue counting. */
  checksDone: number;
}

export interface StabilityWatchResult {
  checks: number;
}

/** Health is read once a minute over the last three minutes: the alarms' own 2-of-3 window. */
export const STABILITY_CHECK_SECONDS = 60;
export const STABILITY_WINDOW_SECONDS = 180;
/** Up to this many checks run inline in the procedure; longer watches go to a child workflow. */
export const INLINE_STABILITY_CHECKS = 30;
/** Each run of the child workflow does at most this many checks before continuing as new. */
export const STABILITY_CHECKS_PER_RUN = 100;
