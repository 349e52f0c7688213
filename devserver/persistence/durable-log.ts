import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DurableLogError } from './errors';
import {
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  MAX_FRAME_PAYLOAD_BYTES,
  checkFileHeader,
  decodeFrameHeader,
  decodeFramePayload,
  encodeFileHeader,
  encodeFrame,
  frameBytes,
} from './format';
import { crc32 } from './crc32';
import { acquireLock, type FileLock } from './lock';

/** Counters of a durable log. */
export interface DurableLogStats {
  /** Records in the file now (replayed + appended; after a compaction, snapshot + records appended since). */
  records: number;
  /** Size of the file in bytes. */
  bytes: number;
  /** fsync/fdatasync calls made since open (one per group commit, plus those of compactions). */
  syncs: number;
}

/**
 * An append-only log of opaque records in one file, durable on acknowledgement.
 *
 * Records are written in call order. Concurrent appends are batched: while one write + fdatasync is
 * in flight, new appends queue, and the next write carries all of them (group commit), so the sync
 * rate, not the append rate, bounds throughput. Records must not be modified until their promise
 * settles. If a write or sync fails, what reached the disk is unknown, so every pending and later
 * append is rejected (code `FAILED`); reopening the file recovers what was acknowledged.
 */
export interface DurableLog {
  /** The absolute path of the log file. */
  readonly path: string;
  /** Appends one record; resolves once it is on disk (fdatasync). */
  append(record: Uint8Array): Promise<void>;
  /**
   * Appends several records in one frame; resolves once they are on disk. They survive a crash
   * all together or not at all (they may share a frame with other callers' records).
   */
  appendMany(records: readonly Uint8Array[]): Promise<void>;
  /**
   * Replaces the whole log by `snapshot`, atomically: the records are written to `path + ".tmp"`,
   * which is fsynced, renamed over the log, and the directory fsynced. A crash at any point leaves
   * either the old log or the new one, each with every acknowledged append.
   *
   * Semantics with concurrent appends: `snapshot` is consumed synchronously, during this call, and
   * must reflect exactly the records appended (called, not necessarily acknowledged) before it.
   * Appends called after it keep being acknowledged from the old file while the snapshot is
   * written, and are copied after the snapshot into the new file before it replaces the old one,
   * so the new log replays as snapshot followed by every record appended after this call, in order.
   * Appends are held only while that tail is written and the file is switched.
   *
   * Rejects with code `BUSY` if a compaction is already running. If it fails before the rename,
   * the old log is untouched and stays usable.
   */
  compact(snapshot: Iterable<Uint8Array>): Promise<void>;
  /** Waits for pending appends and any running compaction, then closes the file and releases the lock. */
  close(): Promise<void>;
  /** A copy of the counters. */
  readonly stats: DurableLogStats;
}

/** Options of {@link openDurableLog}. */
export interface DurableLogOptions {
  /**
   * Upper bound, in bytes, on one group commit's frame (default 4 MiB); a single `appendMany`
   * larger than this still goes in one frame, up to 1 GiB.
   */
  maxBatchBytes?: number;
  /** Test hooks, to crash or fail at exact points. */
  hooks?: DurableLogHooks;
}

/** Points where tests can inject a crash or a failure. */
export interface DurableLogHooks {
  /** Runs after the compacted file is complete and synced, just before it is renamed over the log. */
  beforeCompactRename?: () => void | Promise<void>;
}

/** What {@link openDurableLog} returns. */
export interface OpenedDurableLog {
  /** The log, ready for appends. */
  log: DurableLog;
  /** Every record in the file, in order (independent copies). */
  records: Buffer[];
  /** Bytes of a torn tail (a frame cut short by a crash) removed from the end of the file; 0 normally. */
  truncatedBytes: number;
}

const DEFAULT_MAX_BATCH_BYTES = 4 << 20;
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Opens the log at `path`, creating it if it does not exist (or is empty), takes its lock
 * (`path + ".lock"`), and replays it.
 *
 * A torn tail, i.e. a last frame cut short or unreadable because a crash interrupted its write, was
 * never acknowledged: it is truncated and reported in `truncatedBytes`. A bad frame followed by more
 * data is corruption: the open fails with code `CORRUPT` and the frame's byte offset. A file of
 * another format fails with `BAD_FORMAT`; a file locked by a live process with `LOCKED`.
 */
export async function openDurableLog(path: string, options: DurableLogOptions = {}): Promise<OpenedDurableLog> {
  const file = resolve(path);
  const maxBatchBytes = Math.min(options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, MAX_FRAME_PAYLOAD_BYTES);
  if (!(maxBatchBytes > 0)) throw new RangeError(`maxBatchBytes must be positive, got ${options.maxBatchBytes}`);
  const lock = await acquireLock(file);
  try {
    const tmp = tempPath(file);
    // Left by a crash before a compaction's rename: the log itself is intact.
    await fs.rm(tmp, { force: true });
    const size = await fs.stat(file).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 0;
        throw err;
      },
    );
    let syncs = 0;
    let replay: Replay = { records: [], validEnd: FILE_HEADER_BYTES };
    if (size === 0) {
      await writeFileAtomically(file, tmp, [encodeFileHeader()]);
      syncs += 2;
    } else {
      replay = await readLog(file, size);
      if (replay.validEnd < size) {
        const h = await fs.open(file, 'r+');
        try {
          await h.truncate(replay.validEnd);
          await h.sync();
          syncs++;
        } finally {
          await h.close();
        }
      }
    }
    const handle = await fs.open(file, 'a');
    const counters = { records: replay.records.length, bytes: replay.validEnd, syncs };
    const log = new FileDurableLog(file, handle, lock, counters, maxBatchBytes, options.hooks ?? {});
    return { log, records: replay.records, truncatedBytes: size === 0 ? 0 : size - replay.validEnd };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

function tempPath(file: string): string {
  return `${file}.tmp`;
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; ) {
    const { bytesWritten } = await handle.write(data, at, data.length - at);
    at += bytesWritten;
  }
}

/** Writes `chunks` to `tmp`, fsyncs it, renames it to `file` and fsyncs the directory. */
async function writeFileAtomically(file: string, tmp: string, chunks: Buffer[]): Promise<void> {
  const h = await fs.open(tmp, 'w');
  try {
    for (const chunk of chunks) await writeAll(h, chunk);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(dirname(file));
}

interface Replay {
  records: Buffer[];
  /** Offset where the valid frames end; anything after it is a torn tail. */
  validEnd: number;
}

/** Reads a file front to back, keeping one chunk (or one large frame) in memory at a time. */
class SequentialReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  /** Returns bytes [offset, offset + length); the range must lie within the file. */
  async read(offset: number, length: number): Promise<Buffer> {
    const bufEnd = this.bufStart + this.buf.length;
    if (offset >= this.bufStart && offset + length <= bufEnd) {
      return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + length);
    }
    const want = Math.min(Math.max(length, READ_CHUNK_BYTES), this.size - offset);
    const next = Buffer.allocUnsafe(want);
    let filled = offset >= this.bufStart && offset < bufEnd ? this.buf.copy(next, 0, offset - this.bufStart) : 0;
    while (filled < want) {
      const { bytesRead } = await this.handle.read(next, filled, want - filled, offset + filled);
      if (bytesRead === 0) throw new Error(`file ended at ${offset + filled} while reading, expected ${this.size} bytes`);
      filled += bytesRead;
    }
    this.buf = next;
    this.bufStart = offset;
    return next.subarray(0, length);
  }

  /** True if bytes [from, size) are all zero (a filesystem that extended the file but lost the data). */
  async zeroFrom(from: number): Promise<boolean> {
    for (let at = from; at < this.size; ) {
      const length = Math.min(READ_CHUNK_BYTES, this.size - at);
      const bytes = await this.read(at, length);
      for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
      at += length;
    }
    return true;
  }
}

async function readLog(file: string, size: number): Promise<Replay> {
  const handle = await fs.open(file, 'r');
  try {
    const reader = new SequentialReader(handle, size);
    const problem = checkFileHeader(await reader.read(0, Math.min(size, FILE_HEADER_BYTES)));
    if (problem) throw new DurableLogError('BAD_FORMAT', file, `${file} ${problem}`);
    const records: Buffer[] = [];
    let offset = FILE_HEADER_BYTES;
    while (offset < size) {
      // Fewer bytes than a frame header: a write cut short.
      if (size - offset < FRAME_HEADER_BYTES) return { records, validEnd: offset };
      const header = decodeFrameHeader(await reader.read(offset, FRAME_HEADER_BYTES));
      const end = offset + FRAME_HEADER_BYTES + header.payloadBytes;
      if (!header.valid) {
        if (await reader.zeroFrom(offset)) return { records, validEnd: offset };
        throw corrupt(file, offset, 'its header fails its CRC');
      }
      // The last frame, cut short.
      if (end > size) return { records, validEnd: offset };
      const payload = await reader.read(offset + FRAME_HEADER_BYTES, header.payloadBytes);
      if (crc32(payload) !== header.payloadCrc) {
        // Only the last frame can be unsynced, since each write waits for the previous sync.
        if (end === size || (await reader.zeroFrom(end))) return { records, validEnd: offset };
        throw corrupt(file, offset, 'its payload fails its CRC');
      }
      if (!decodeFramePayload(payload, records)) throw corrupt(file, offset, 'its record lengths do not add up');
      offset = end;
    }
    return { records, validEnd: offset };
  } finally {
    await handle.close();
  }
}

function corrupt(file: string, offset: number, why: string): DurableLogError {
  return new DurableLogError(
    'CORRUPT',
    file,
    `${file} is corrupt: the frame at byte offset ${offset} is followed by more data but ${why}`,
    offset,
  );
}

interface Pending {
  /** Call order; compaction uses it to tell records its snapshot covers from later ones. */
  seq: number;
  records: readonly Uint8Array[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Compaction {
  /** The first append sequence number the snapshot does not cover. */
  startSeq: number;
  /** Records appended after the compact() call and already written to the old file. */
  tail: Uint8Array[];
  /** Set once the snapshot is on disk: the step the commit loop runs to finish and switch files. */
  finish?: () => Promise<void>;
  done: Promise<void>;
}

class FileDurableLog implements DurableLog {
  private queue: Pending[] = [];
  private nextSeq = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private failure: DurableLogError | undefined;
  private closing: Promise<void> | undefined;
  private compaction: Compaction | undefined;

  constructor(
    readonly path: string,
    private handle: FileHandle,
    private readonly lock: FileLock,
    private readonly counters: DurableLogStats,
    private readonly maxBatchBytes: number,
    private readonly hooks: DurableLogHooks,
  ) {}

  get stats(): DurableLogStats {
    return { ...this.counters };
  }

  append(record: Uint8Array): Promise<void> {
    return this.enqueue([record]);
  }

  appendMany(records: readonly Uint8Array[]): Promise<void> {
    return this.enqueue(records.slice());
  }

  private enqueue(records: readonly Uint8Array[]): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    // A string would be encoded as zeros without complaint.
    if (!records.every((r) => r instanceof Uint8Array)) return Promise.reject(new TypeError('records must be Uint8Arrays (Buffers)'));
    const bytes = frameBytes(records) - FRAME_HEADER_BYTES;
    if (bytes > MAX_FRAME_PAYLOAD_BYTES) {
      return Promise.reject(new RangeError(`appending ${bytes} bytes at once exceeds the limit of ${MAX_FRAME_PAYLOAD_BYTES}`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seq: this.nextSeq++, records, bytes, resolve, reject });
      this.kick();
    });
  }

  compact(snapshot: Iterable<Uint8Array>): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    if (this.compaction) {
      return Promise.reject(new DurableLogError('BUSY', this.path, `${this.path}: a compaction is already running`));
    }
    let records: Uint8Array[];
    try {
      records = Array.from(snapshot);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const c: Compaction = { startSeq: this.nextSeq, tail: [], done: Promise.resolve() };
    c.done = this.runCompaction(c, records).finally(() => {
      if (this.compaction === c) this.compaction = undefined;
    });
    this.compaction = c;
    return c.done;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.compaction?.done.catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (!this.running && this.queue.length === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    try {
      await this.handle.close();
    } finally {
      await this.lock.release();
    }
  }

  private refusal(): DurableLogError | undefined {
    if (this.closing) return new DurableLogError('CLOSED', this.path, `${this.path}: the log is closed`);
    return this.failure;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // A microtask, so that appends made in the same synchronous stretch share the first write.
    queueMicrotask(() => void this.run());
  }

  /** The commit loop: the only code that writes to the log file, so writes never interleave. */
  private async run(): Promise<void> {
    try {
      for (;;) {
        const c = this.compaction;
        // Switch files once every record the snapshot covers has been written to the old file.
        if (c?.finish && (this.queue.length === 0 || this.queue[0].seq >= c.startSeq)) {
          const finish = c.finish;
          c.finish = undefined;
          await finish();
          continue;
        }
        if (this.queue.length === 0) break;
        await this.commit(this.takeBatch());
      }
    } finally {
      this.running = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].bytes <= this.maxBatchBytes)) {
      bytes += this.queue[n].bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (this.failure) {
      for (const p of batch) p.reject(this.failure);
      return;
    }
    const records = batch.length === 1 ? batch[0].records : batch.flatMap((p) => p.records);
    if (records.length > 0) {
      try {
        const frame = encodeFrame(records);
        await writeAll(this.handle, frame);
        await this.handle.datasync();
        this.counters.syncs++;
        this.counters.records += records.length;
        this.counters.bytes += frame.length;
      } catch (err) {
        const failure = this.fail(`a write or fdatasync failed: ${(err as Error).message}`, err);
        for (const p of batch) p.reject(failure);
        for (const p of this.queue.splice(0)) p.reject(failure);
        return;
      }
      const c = this.compaction;
      if (c) for (const p of batch) if (p.seq >= c.startSeq) for (const r of p.records) c.tail.push(r);
    }
    for (const p of batch) p.resolve();
  }

  /** Marks the log failed (keeping the first failure) and returns the failure. */
  private fail(why: string, cause: unknown): DurableLogError {
    return (this.failure ??= new DurableLogError(
      'FAILED',
      this.path,
      `${this.path}: ${why}; the log accepts no more appends (reopen it to recover what was acknowledged)`,
      undefined,
      { cause },
    ));
  }

  /** Writes the snapshot to the temporary file, then has the commit loop add the tail and switch files. */
  private async runCompaction(c: Compaction, snapshot: Uint8Array[]): Promise<void> {
    const tmp = tempPath(this.path);
    const out = await fs.open(tmp, 'w');
    let renamed = false;
    try {
      let bytes = FILE_HEADER_BYTES;
      await writeAll(out, encodeFileHeader());
      bytes += await this.writeFrames(out, snapshot);
      await out.sync();
      this.counters.syncs++;
      // The rest runs inside the commit loop, so no append is written while the files switch.
      await new Promise<void>((resolve, reject) => {
        c.finish = async () => {
          try {
            if (this.failure) throw this.failure;
            const tail = c.tail;
            bytes += await this.writeFrames(out, tail);
            if (tail.length > 0) {
              await out.sync();
              this.counters.syncs++;
            }
            await this.hooks.beforeCompactRename?.();
            await fs.rename(tmp, this.path);
            renamed = true;
            try {
              await fsyncDir(dirname(this.path));
              const next = await fs.open(this.path, 'a');
              const previous = this.handle;
              this.handle = next;
              await previous.close().catch(() => undefined);
            } catch (err) {
              // Appending to the old, now unlinked, file would lose records.
              throw this.fail(`switching to the compacted file failed: ${(err as Error).message}`, err);
            }
            this.counters.records = snapshot.length + tail.length;
            this.counters.bytes = bytes;
            resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        };
        this.kick();
      });
    } finally {
      await out.close().catch(() => undefined);
      if (!renamed) await fs.rm(tmp, { force: true });
    }
  }

  /** Writes `records` as frames of at most about maxBatchBytes each; returns the bytes written. */
  private async writeFrames(out: FileHandle, records: readonly Uint8Array[]): Promise<number> {
    let written = 0;
    for (let i = 0; i < records.length; ) {
      let j = i;
      let bytes = 0;
      while (j < records.length && (j === i || bytes + 4 + records[j].length <= this.maxBatchBytes)) {
        bytes += 4 + records[j].length;
        j++;
      }
      const frame = encodeFrame(records.slice(i, j));
      await writeAll(out, frame);
      written += frame.length;
      i = j;
    }
    return written;
  }
}
