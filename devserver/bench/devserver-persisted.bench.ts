/**
 * Dev server with `--db-filename`: throughput of N workflows (default 1,000) of three activities,
 * 50 at a time, one worker, in memory and persisted (same run, same machine), and the time to
 * restart (spawn to GetSystemInfo answering) on a file holding 10,000 closed and 1,000 open
 * workflows, after a SIGKILL. Goals: persisted throughput at least half the in-memory figure;
 * restart under 2 s.
 *
 *   npx tsx devserver/bench/devserver-persisted.bench.ts [--workflows N (0: restart only)] [--closed N] [--open N] [--restarts N]
 *
 * Files go to $BENCH_DIR or the OS temp directory (put it on the disk the server will use).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { startDevServer, type DevServerProcess } from './lib/devserver-process';
import { runThroughput, type ThroughputResult } from './lib/throughput';

function line(label: string, r: ThroughputResult): string {
  return `  ${label.padEnd(10)} ${r.workflowsPerSecond.toFixed(1)} workflows/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms (start to result)`;
}

async function kill(server: DevServerProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGKILL');
  await exited;
}

async function throughput(workflows: number, args: string[]): Promise<ThroughputResult> {
  const server = await startDevServer(args);
  try {
    return await runThroughput({ address: server.address, workflows, concurrency: 50 });
  } finally {
    await server.stop();
  }
}

/** Starts `count` workflows on a task queue no worker polls: they stay open with a scheduled workflow task. */
async function startOpen(address: string, count: number): Promise<void> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < count) {
        const i = next++;
        await client.workflow.start('threeActivities', { taskQueue: 'bench-nobody-polls', workflowId: `open-${i}`, args: [i] });
      }
    }),
  );
  await connection.close();
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--workflows <n>', 'workflows per throughput run', '1000')
    .option('--closed <n>', 'closed workflows in the restart file', '10000')
    .option('--open <n>', 'open workflows in the restart file', '1000')
    .option('--restarts <n>', 'restarts measured', '3')
    .parse();
  const opts = program.opts<{ workflows: string; closed: string; open: string; restarts: string }>();
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'cellops-devserver-persisted-'));
  try {
    const workflows = Number(opts.workflows);
    if (workflows > 0) {
      console.log(`dev server throughput: ${workflows} workflows x 3 activities, 50 at a time, one worker`);
      const memory = await throughput(workflows, []);
      console.log(line('in memory', memory));
      const persisted = await throughput(workflows, ['--db-filename', join(dir, 'throughput.db')]);
      console.log(line('persisted', persisted));
      const ratio = persisted.workflowsPerSecond / memory.workflowsPerSecond;
      console.log(`  persisted/in-memory ${(ratio * 100).toFixed(0)}% (goal >= 50%)`);
    }

    const file = join(dir, 'restart.db');
    const closed = Number(opts.closed);
    const open = Number(opts.open);
    console.log(`restart on a file of ${closed} closed and ${open} open workflows (SIGKILL, then spawn to GetSystemInfo)`);
    const empty = await startDevServer(['--db-filename', join(dir, 'empty.db')]);
    console.log(`  empty file       ${empty.startupMs.toFixed(0)} ms (process start, for reference)`);
    await kill(empty);
    let server = await startDevServer(['--db-filename', file]);
    const filled = performance.now();
    await runThroughput({ address: server.address, workflows: closed, concurrency: 50, warmup: 0 });
    await startOpen(server.address, open);
    console.log(`  filled in ${((performance.now() - filled) / 1000).toFixed(1)} s; file ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
    let worst = 0;
    for (let i = 0; i < Number(opts.restarts); i++) {
      await kill(server);
      server = await startDevServer(['--db-filename', file], Number(server.address.split(':')[1]));
      worst = Math.max(worst, server.startupMs);
      console.log(`  restart ${i + 1}        ${server.startupMs.toFixed(0)} ms, peak ${server.peakRssMiB()?.toFixed(0) ?? '?'} MiB RSS, file ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
    }
    console.log(`  worst restart ${worst.toFixed(0)} ms (goal < 2000 ms)`);
    await server.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
