/** What went wrong, for callers that react differently (e.g. the CLI's exit message). */
export type DurableLogErrorCode =
  /** The file is not a durable log of this format (bad magic, SQLite file, other version). */
  | 'BAD_FORMAT'
  /** A record in the middle of the log fails its CRC or framing; `offset` says where. */
  | 'CORRUPT'
  /** Another process (or another open in this process) holds the file's lock. */
  | 'LOCKED'
  /** The log was closed. */
  | 'CLOSED'
  /** An earlier write or sync failed; what reached the disk is unknown, so the log takes no more appends. */
  | 'FAILED'
  /** A second compaction was requested while one is running. */
  | 'BUSY';

/** An error from the durable log naming the file and, for corruption, the byte offset. */
export class DurableLogError extends Error {
  override readonly name = 'DurableLogError';

  constructor(
    readonly code: DurableLogErrorCode,
    readonly path: string,
    message: string,
    readonly offset?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
