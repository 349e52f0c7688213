import { status } from '@grpc/grpc-js';
import type { Logger } from '../log';
import { DurableLogError, openDurableLog, type DurableLog } from '../persistence';
import { decodeValue, encodeValue } from '../persistence/structured';
import type { Txn } from './context';
import type { Engine } from './engine';
import { ServiceError } from './errors';
import { addRun, newNamespace } from './namespaces';
import { getOwn } from './own-keys';
import {
  decodeRecord,
  encodeRecord,
  countEvents,
  frameEvents,
  unframeEvents,
  type DeadlineChange,
  type EngineRecord,
  type RunEntry,
} from './persist-record';
import { registerSearchAttribute, type SearchAttributeTypeName } from './search-attributes';
import type { ExecutionState, NamespaceState } from './types';
import { isRunning } from './workflow-tasks';
import type { WriteAhead } from './write-ahead';

/**
 * Persistence of the engine (`--db-filename`): a write-ahead record per transaction in the durable
 * log (devserver/persistence), replay at start, and snapshot compaction. See devserver/README.md,
 * "Persistence".
 *
 * Record (layout in persist-record.ts):
 * - `runs`: each touched run's whole state except its history, encoded once with the generic
 *   codec (so fields added to `ExecutionState` persist without changes here), plus the history
 *   events appended since the run's previous record, as the bytes already encoded for serving;
 * - `namespaces`: namespaces the transaction lists, minus the run indexes (rebuilt from the runs);
 * - `deadlines`: every deadline set or removed since the previous record (`[key, at, task]` or
 *   `[key]`): deadlines are data keyed by state, so restoring them restores every timer and
 *   timeout exactly, and those that fell due while the server was down fire at once;
 * - `taskId`: the history taskId counter.
 * A snapshot is the same records with every run from its first event.
 */

/** A run as replay collects it: only its last state is decoded, once, at the end. */
interface ReplayedRun {
  state: Uint8Array;
  /** Framed events, views into the records. */
  frames: Uint8Array[];
  events: number;
  eventBytes: number;
}

interface PersistedRun {
  state: Uint8Array;
  events: number;
  eventBytes: number;
}

/** Options of {@link openEnginePersistence}. */
export interface PersistenceOptions {
  /** Search attributes given on the command line; registered on restored namespaces too. */
  searchAttributes?: readonly { name: string; type: SearchAttributeTypeName }[];
  /** Compact once the file exceeds this many bytes and `compactRatio` × the live state (default 16 MiB). */
  compactMinBytes?: number;
  /** Default 3. */
  compactRatio?: number;
}

/** What a restart found in the file. */
export interface RecoveryReport {
  records: number;
  bytes: number;
  runs: number;
  openRuns: number;
  deadlines: number;
  truncatedBytes: number;
  ms: number;
}

/** The file cannot be used: corrupt, of another format, locked, or not an engine log. */
export class PersistenceOpenError extends Error {
  override readonly name = 'PersistenceOpenError';
}

const SNAPSHOT_CHUNK_BYTES = 1 << 20;

/**
 * Opens (or creates) `file`, replays it into `engine` (which must not be started yet), rebuilds
 * the derived structures, and attaches itself as the engine's write-ahead hook.
 */
export async function openEnginePersistence(
  engine: Engine,
  file: string,
  log: Logger,
  options: PersistenceOptions = {},
): Promise<EnginePersistence> {
  const t0 = performance.now();
  let opened;
  try {
    opened = await openDurableLog(file);
  } catch (err) {
    if (err instanceof DurableLogError) throw new PersistenceOpenError(`cannot open --db-filename ${file}: ${err.message}`, { cause: err });
    throw err;
  }
  const persistence = new EnginePersistence(engine, opened.log, log, options);
  try {
    opened.records.forEach((record, i) => persistence.replay(record, i));
    opened.records.length = 0;
    persistence.rebuild(options.searchAttributes ?? []);
  } catch (err) {
    await opened.log.close();
    throw new PersistenceOpenError(`cannot restore --db-filename ${file}: ${(err as Error).message}`, { cause: err });
  }
  const report = persistence.attach(t0, opened.truncatedBytes);
  log.info('restored state from --db-filename', { file, ...report });
  return persistence;
}

/** The engine's write-ahead log; see the module comment. */
export class EnginePersistence implements WriteAhead {
  private readonly persisted = new WeakMap<ExecutionState, PersistedRun>();
  private readonly journal = new Map<string, DeadlineChange>();
  private readonly replayedRuns = new Map<string, ReplayedRun>();
  private readonly replayedDeadlines = new Map<string, DeadlineChange>();
  private tail: Promise<void> | undefined;
  private failure: ServiceError | undefined;
  private liveBytes = 0;
  private closed = false;
  private compaction: Promise<void> | undefined;
  private lastReport: RecoveryReport | undefined;
  private readonly compactMinBytes: number;
  private readonly compactRatio: number;

  constructor(
    private readonly engine: Engine,
    private readonly log: DurableLog,
    private readonly logger: Logger,
    options: PersistenceOptions,
  ) {
    this.compactMinBytes = options.compactMinBytes ?? 16 << 20;
    this.compactRatio = options.compactRatio ?? 3;
  }

  /** What the last restart found. */
  get recovery(): RecoveryReport | undefined {
    return this.lastReport;
  }

  /** Bytes in the file and an estimate of the live state's encoded size. */
  get sizes(): { fileBytes: number; liveBytes: number } {
    return { fileBytes: this.log.stats.bytes, liveBytes: this.liveBytes };
  }

  commit(txn: Txn): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    const record: EngineRecord = { taskId: this.engine.taskIdSeq, runs: [], namespaces: [], deadlines: [] };
    for (const exec of txn.touched) record.runs.push(this.runEntry(exec));
    for (const ns of txn.namespaces) record.namespaces.push(encodeNamespace(ns));
    for (const change of this.journal.values()) record.deadlines.push(change);
    this.journal.clear();
    if (record.runs.length === 0 && record.namespaces.length === 0 && record.deadlines.length === 0) return this.tail;
    const appended = this.log.append(encodeRecord(record)).catch((err: unknown) => {
      if (!this.failure) {
        this.logger.error('persistence failed: no more changes are accepted', { error: String(err) });
        this.failure = new ServiceError(status.UNAVAILABLE, `persistence failed: ${(err as Error).message}`);
      }
      throw this.failure;
    });
    appended.catch(() => undefined);
    this.tail = appended;
    this.maybeCompact();
    return appended;
  }

  flushed(): Promise<void> | undefined {
    return this.tail;
  }

  /** Waits for pending records and a running compaction, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    this.engine.scheduler.observe(undefined);
    await this.compaction;
    await this.log.close();
  }

  private runEntry(exec: ExecutionState): RunEntry {
    const previous = this.persisted.get(exec);
    const from = previous?.events ?? 0;
    const { log, ...rest } = exec;
    const { encoded, ...logRest } = log;
    const state = encodeValue({ ...rest, log: logRest });
    const events = frameEvents(encoded, from, encoded.length);
    const eventBytes = (previous?.eventBytes ?? 0) + events.length;
    this.liveBytes += state.length - (previous?.state.length ?? 0) + events.length;
    this.persisted.set(exec, { state, events: encoded.length, eventBytes });
    return { runId: exec.runId, state, from, events };
  }

  // -----------------------------------------------------------------------------------------------
  // Replay

  /** Applies one record of the file (runs are only collected; {@link rebuild} decodes them). */
  replay(bytes: Uint8Array, index: number): void {
    let record: EngineRecord;
    try {
      record = decodeRecord(bytes);
    } catch (err) {
      throw new Error(`record ${index} is not an engine record (${(err as Error).message})`);
    }
    const engine = this.engine;
    engine.taskIdSeq = Math.max(engine.taskIdSeq, record.taskId);
    for (const bytesOfNs of record.namespaces) {
      const ns = decodeValue<NamespaceState>(bytesOfNs);
      engine.namespaces.set(ns.name, ns);
    }
    for (const entry of record.runs) {
      let run = this.replayedRuns.get(entry.runId);
      if (!run) {
        run = { state: entry.state, frames: [], events: 0, eventBytes: 0 };
        this.replayedRuns.set(entry.runId, run);
      }
      if (run.events !== entry.from) {
        throw new Error(`record ${index}: run ${entry.runId} continues at event ${entry.from + 1} but has ${run.events} events`);
      }
      run.events += countEvents(entry.events);
      if (entry.events.length > 0) run.frames.push(entry.events);
      run.state = entry.state;
      run.eventBytes += entry.events.length;
    }
    for (const change of record.deadlines) this.replayedDeadlines.set(change[0], change);
  }

  /**
   * After replay: run indexes of namespaces, task-queue backlogs of scheduled workflow and
   * activity tasks, and command-line search attributes. Started tasks are left to their
   * timeouts, as on a real server (their deadlines were restored with the rest).
   */
  rebuild(searchAttributes: readonly { name: string; type: SearchAttributeTypeName }[]): void {
    const engine = this.engine;
    for (const [runId, run] of this.replayedRuns) {
      // A right-sized copy, so that the record it came from can be collected.
      const state = Uint8Array.prototype.slice.call(run.state);
      const exec = decodeValue<ExecutionState>(state);
      if (exec.runId !== runId) throw new Error(`the state recorded for run ${runId} is of run ${exec.runId}`);
      exec.log.encoded = unframeEvents(run.frames, run.events, run.eventBytes);
      engine.executions.set(runId, exec);
      this.persisted.set(exec, { state, events: run.events, eventBytes: run.eventBytes });
      this.liveBytes += state.length + run.eventBytes;
    }
    this.replayedRuns.clear();
    for (const change of this.replayedDeadlines.values()) {
      if (change.length === 3) engine.scheduler.set(change[0], change[1], change[2]);
    }
    this.replayedDeadlines.clear();
    for (const ns of engine.namespaces.values()) {
      ns.runsByWorkflowId = new Map();
      ns.startRequestIds = new Map();
      for (const { name, type } of searchAttributes) {
        if (getOwn(ns.customSearchAttributes, name) === undefined) registerSearchAttribute(ns, name, type);
      }
    }
    const scheduled: ExecutionState[] = [];
    for (const exec of engine.executions.values()) {
      let ns = engine.namespaces.get(exec.namespace);
      if (!ns) {
        ns = newNamespace(exec.namespace);
        engine.namespaces.set(ns.name, ns);
      }
      addRun(ns, exec.workflowId, exec.runId);
      ns.startRequestIds.set(exec.startRequestId, exec.runId);
      // Queries are not persisted: whoever asked is gone.
      if (exec.wft) exec.wft.attachedQueryIds = [];
      if (!isRunning(exec)) continue;
      if (exec.wft?.phase === 'scheduled') scheduled.push(exec);
      for (const act of Object.values(exec.activities)) {
        if (act.phase !== 'scheduled') continue;
        engine.activityMatching.add(exec.namespace, act.taskQueue, {
          runId: exec.runId,
          scheduledEventId: act.scheduledEventId,
          attempt: act.attempt,
        });
      }
    }
    scheduled.sort((a, b) => (a.wft?.scheduledTimeMs ?? 0) - (b.wft?.scheduledTimeMs ?? 0));
    for (const exec of scheduled) {
      engine.workflowMatching.add(exec.namespace, exec.taskQueue, {
        kind: 'workflow',
        runId: exec.runId,
        scheduleSeq: exec.wft?.scheduleSeq ?? 0,
      });
    }
  }

  /** Starts journalling, writes the current namespaces, and compacts if the file is large. */
  attach(t0: number, truncatedBytes: number): RecoveryReport {
    const engine = this.engine;
    const records = this.log.stats.records;
    engine.scheduler.observe((key, at, task) => {
      this.journal.set(key, at === undefined || task === undefined ? [key] : [key, at, task]);
    });
    engine.attachWriteAhead(this);
    // Namespaces from the command line that the file did not have, and search attributes added.
    const record: EngineRecord = { taskId: engine.taskIdSeq, runs: [], namespaces: [], deadlines: [] };
    for (const ns of engine.namespaces.values()) record.namespaces.push(encodeNamespace(ns));
    this.tail = this.log.append(encodeRecord(record));
    this.tail.catch(() => undefined);
    let openRuns = 0;
    for (const exec of engine.executions.values()) if (isRunning(exec)) openRuns++;
    this.lastReport = {
      records,
      bytes: this.log.stats.bytes,
      runs: engine.executions.size,
      openRuns,
      deadlines: engine.scheduler.size,
      truncatedBytes,
      ms: Math.round(performance.now() - t0),
    };
    // Not before the server answers: building the snapshot holds the event loop briefly.
    setTimeout(() => this.maybeCompact(), 1_000).unref();
    return this.lastReport;
  }

  // -----------------------------------------------------------------------------------------------
  // Compaction

  private maybeCompact(): void {
    if (this.compaction || this.failure || this.closed) return;
    const bytes = this.log.stats.bytes;
    if (bytes < this.compactMinBytes || bytes < this.compactRatio * this.liveBytes) return;
    this.compactNow().catch(() => undefined);
  }

  /**
   * Replaces the file by a snapshot of the state as of the last record (the log copies records
   * appended meanwhile after it). Building the snapshot reuses each run's last encoded state.
   */
  compactNow(): Promise<void> {
    if (this.compaction) return this.compaction;
    const t0 = performance.now();
    const before = this.log.stats.bytes;
    const snapshot = [...this.snapshotRecords()];
    const built = performance.now() - t0;
    this.compaction = this.log
      .compact(snapshot)
      .then(
        () =>
          this.logger.info('compacted --db-filename', {
            beforeBytes: before,
            afterBytes: this.log.stats.bytes,
            buildMs: Math.round(built),
            totalMs: Math.round(performance.now() - t0),
          }),
        (err: unknown) => this.logger.warn('compaction failed; the log stays as it was', { error: String(err) }),
      )
      .finally(() => {
        this.compaction = undefined;
      });
    return this.compaction;
  }

  private *snapshotRecords(): Generator<Buffer> {
    const engine = this.engine;
    const head: EngineRecord = { taskId: engine.taskIdSeq, runs: [], namespaces: [], deadlines: [] };
    for (const ns of engine.namespaces.values()) head.namespaces.push(encodeNamespace(ns));
    for (const { key, at, task } of engine.scheduler.entries()) head.deadlines.push([key, at, task]);
    yield encodeRecord(head);
    let chunk: RunEntry[] = [];
    let chunkBytes = 0;
    for (const exec of engine.executions.values()) {
      const persisted = this.persisted.get(exec);
      if (!persisted) continue;
      const events = frameEvents(exec.log.encoded, 0, persisted.events);
      chunk.push({ runId: exec.runId, state: persisted.state, from: 0, events });
      chunkBytes += persisted.state.length + events.length;
      if (chunkBytes >= SNAPSHOT_CHUNK_BYTES) {
        yield encodeRecord({ taskId: engine.taskIdSeq, runs: chunk, namespaces: [], deadlines: [] });
        chunk = [];
        chunkBytes = 0;
      }
    }
    if (chunk.length > 0) yield encodeRecord({ taskId: engine.taskIdSeq, runs: chunk, namespaces: [], deadlines: [] });
  }
}

/** A namespace without its run indexes, which replay rebuilds from the runs. */
function encodeNamespace(ns: NamespaceState): Buffer {
  return encodeValue({ ...ns, runsByWorkflowId: new Map(), startRequestIds: new Map() });
}
