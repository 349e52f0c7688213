/**
 * Durable log benchmark: acknowledged (fdatasync'd) appends per second of ~200-byte records with
 * 1, 10 and 50 concurrent writers, syncs per second, and replay / compaction time of a
 * 200,000-record file.
 *
 *   npx tsx devserver/bench/durable-log.bench.ts [seconds per writer count, default 3]
 *
 * Files go to $BENCH_DIR or the OS temp directory (put it on the disk the server will use).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableLog } from '../persistence';

const RECORD_BYTES = 200;
const seconds = Number(process.argv[2] ?? 3);

function record(i: number): Buffer {
  const buf = Buffer.alloc(RECORD_BYTES, 0x61);
  buf.write(`record-${i}`);
  return buf;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function throughput(dir: string, writers: number): Promise<void> {
  const file = join(dir, `throughput-${writers}.db`);
  const { log } = await openDurableLog(file);
  const syncs0 = log.stats.syncs;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await log.append(record(n++));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const syncs = log.stats.syncs - syncs0;
  await log.close();
  latencies.sort((a, b) => a - b);
  console.log(
    [
      `writers ${String(writers).padStart(2)}`,
      `${Math.round(latencies.length / elapsed).toLocaleString('en-US').padStart(7)} appends/s`,
      `${Math.round(syncs / elapsed).toLocaleString('en-US').padStart(6)} syncs/s`,
      `${(latencies.length / syncs).toFixed(1).padStart(5)} records/sync`,
      `latency p50 ${percentile(latencies, 0.5).toFixed(2)} ms p99 ${percentile(latencies, 0.99).toFixed(2)} ms`,
    ].join('  '),
  );
}

async function replay(dir: string, count: number): Promise<void> {
  const file = join(dir, 'replay.db');
  const { log } = await openDurableLog(file);
  // Frames of 50 records, as 50 concurrent writers produce them.
  for (let i = 0; i < count; i += 50) await log.appendMany(Array.from({ length: 50 }, (_, j) => record(i + j)));
  await log.close();
  const bytes = statSync(file).size;

  let t0 = performance.now();
  const opened = await openDurableLog(file);
  const replayMs = performance.now() - t0;
  if (opened.records.length !== count) throw new Error(`replayed ${opened.records.length} records, expected ${count}`);
  console.log(
    `replay     ${count.toLocaleString('en-US')} records, ${(bytes / 2 ** 20).toFixed(1)} MiB: ${replayMs.toFixed(0)} ms` +
      ` (${Math.round(count / (replayMs / 1000)).toLocaleString('en-US')} records/s)`,
  );

  t0 = performance.now();
  await opened.log.compact(opened.records);
  console.log(`compact    ${count.toLocaleString('en-US')} records into a new file: ${(performance.now() - t0).toFixed(0)} ms`);
  await opened.log.close();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'durable-log-bench-'));
  try {
    console.log(`durable log, ${RECORD_BYTES}-byte records, ${seconds} s per run, Node ${process.version}, ${cpus().length} CPUs, dir ${dir}`);
    for (const writers of [1, 10, 50]) await throughput(dir, writers);
    await replay(dir, 200_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
