/**
 * Durable storage for the dev server's `--db-filename`: an append-only log with group-commit
 * fdatasync and atomic snapshot compaction. Codec-agnostic: records are opaque bytes. See README.md
 * for the format and the reasons for this design.
 */
export { openDurableLog } from './durable-log';
export type { DurableLog, DurableLogHooks, DurableLogOptions, DurableLogStats, OpenedDurableLog } from './durable-log';
export { DurableLogError } from './errors';
export type { DurableLogErrorCode } from './errors';
