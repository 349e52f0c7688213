/**
 * @module What the engine's commit needs from persistence, so that the engine does not depend on
 * persist.ts (which sits above it: it replays records into an engine and attaches itself).
 */
import type { Txn } from './context';

/** What `Engine.commit` needs from persistence (`--db-filename`); implemented in persist.ts. */
export interface WriteAhead {
  /** Appends the record of `txn`; the promise settles when it is durable (undefined: nothing to wait for). */
  commit(txn: Txn): Promise<void> | undefined;
  /** Settles when every record so far is durable; undefined when nothing was ever written. */
  flushed(): Promise<void> | undefined;
}
