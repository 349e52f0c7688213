import type { DeadlineTask } from './context';

/**
 * The binary layout of one engine record in the durable log (little-endian). Runs carry their
 * id in the clear so that replay can keep only each run's last state and decode it once.
 *
 * ```
 * record    := version u8 (2) | taskId f64 | runCount u32 | run* | nsCount u32 | (len u32 | ns)* | len u32 | deadlines (JSON)
 * run       := len u32 | runId (UTF-8) | len u32 | state | from u32 | len u32 | events
 * events    := (len u32 | encoded HistoryEvent)*
 * ```
 */
export const RECORD_VERSION = 2;

/** One run in a record: its encoded state (without history) and the events appended since `from`. */
export interface RunEntry {
  runId: string;
  state: Uint8Array;
  /** Index of the first event in `events` (the number of events in earlier records). */
  from: number;
  /** Events, each as `u32 length | bytes`. */
  events: Uint8Array;
}

/** A deadline set (`[key, at, task]`) or removed (`[key]`). */
export type DeadlineChange = [key: string, at: number, task: DeadlineTask] | [key: string];

/** The contents of one record. */
export interface EngineRecord {
  taskId: number;
  runs: RunEntry[];
  namespaces: Uint8Array[];
  deadlines: DeadlineChange[];
}

/** Encodes a record. */
export function encodeRecord(record: EngineRecord): Buffer {
  const deadlines = Buffer.from(JSON.stringify(record.deadlines));
  let size = 1 + 8 + 4 + 4 + 4 + deadlines.length;
  for (const run of record.runs) size += 4 + Buffer.byteLength(run.runId) + 4 + run.state.length + 4 + 4 + run.events.length;
  for (const ns of record.namespaces) size += 4 + ns.length;
  const out = Buffer.allocUnsafeSlow(size);
  let pos = out.writeUInt8(RECORD_VERSION, 0);
  pos = out.writeDoubleLE(record.taskId, pos);
  pos = out.writeUInt32LE(record.runs.length, pos);
  const bytes = (b: Uint8Array): void => {
    pos = out.writeUInt32LE(b.length, pos);
    out.set(b, pos);
    pos += b.length;
  };
  for (const run of record.runs) {
    const id = Buffer.from(run.runId);
    bytes(id);
    bytes(run.state);
    pos = out.writeUInt32LE(run.from, pos);
    bytes(run.events);
  }
  pos = out.writeUInt32LE(record.namespaces.length, pos);
  for (const ns of record.namespaces) bytes(ns);
  bytes(deadlines);
  return out;
}

/** Decodes a record; byte fields are views into `input`. Throws on a malformed record. */
export function decodeRecord(input: Uint8Array): EngineRecord {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw new Error('record is truncated');
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const bytes = (): Buffer => {
    const length = u32();
    need(length);
    const b = buf.subarray(pos, pos + length);
    pos += length;
    return b;
  };
  need(9);
  const version = buf.readUInt8(0);
  if (version !== RECORD_VERSION) throw new Error(`unknown record version ${version}`);
  const taskId = buf.readDoubleLE(1);
  pos = 9;
  const runs: RunEntry[] = [];
  for (let n = u32(); n > 0; n--) {
    const runId = bytes().toString('utf8');
    const state = bytes();
    const from = u32();
    runs.push({ runId, state, from, events: bytes() });
  }
  const namespaces: Uint8Array[] = [];
  for (let n = u32(); n > 0; n--) namespaces.push(bytes());
  const deadlines = JSON.parse(bytes().toString('utf8')) as DeadlineChange[];
  if (!Array.isArray(deadlines)) throw new Error('record deadlines are not a list');
  if (pos !== buf.length) throw new Error('record has trailing bytes');
  return { taskId, runs, namespaces, deadlines };
}

/** Frames `encoded[from, to)` as `(u32 length | bytes)*`. */
export function frameEvents(encoded: readonly Uint8Array[], from: number, to: number): Buffer {
  let size = 0;
  for (let i = from; i < to; i++) size += 4 + encoded[i].length;
  const out = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  for (let i = from; i < to; i++) {
    out.writeUInt32LE(encoded[i].length, pos);
    out.set(encoded[i], pos + 4);
    pos += 4 + encoded[i].length;
  }
  return out;
}

/** The number of events in a frame (validating its lengths), without allocating. */
export function countEvents(framed: Uint8Array): number {
  let count = 0;
  for (let pos = 0; pos < framed.length; count++) {
    if (pos + 4 > framed.length) throw new Error('truncated event frame');
    const length = (framed[pos] | (framed[pos + 1] << 8) | (framed[pos + 2] << 16)) + framed[pos + 3] * 0x1000000;
    pos += 4 + length;
    if (pos > framed.length) throw new Error('truncated event frame');
  }
  return count;
}

/**
 * The events of frames (already validated by {@link countEvents}) as views into one right-sized
 * buffer, so the records they came from, with the superseded states they hold, can be collected.
 */
export function unframeEvents(frames: readonly Uint8Array[], count: number, framedBytes: number): Uint8Array[] {
  const own = new Uint8Array(framedBytes - 4 * count);
  const events = new Array<Uint8Array>(count);
  let n = 0;
  let at = 0;
  for (const framed of frames) {
    for (let pos = 0; pos < framed.length; ) {
      const length = (framed[pos] | (framed[pos + 1] << 8) | (framed[pos + 2] << 16)) + framed[pos + 3] * 0x1000000;
      own.set(framed.subarray(pos + 4, pos + 4 + length), at);
      events[n++] = new Uint8Array(own.buffer, at, length);
      at += length;
      pos += 4 + length;
    }
  }
  return events;
}
