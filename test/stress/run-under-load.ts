/**
 * `npm run test:stress`: runs the jest suite while every core is busy with CPU-bound work, as on
 * a shared CI machine, and requires it to pass several times in a row (default 3).
 *
 *   npm run test:stress                              # 3 runs of the whole suite under load
 *   npm run test:stress -- --runs 1 devserver/test   # options, then jest arguments
 *
 * Options: `--runs N` (default 3; stops at the first failing run), `--load N` (busy threads,
 * default one per core). The load is bounded: the busy threads belong to this process, stop when
 * the runs end (or on SIGINT/SIGTERM), and each stops on its own after `--max-minutes` (default
 * 180) should this process hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A busy thread (plain JavaScript, no loader needed): hashes in a tight loop, checking the stop flag every few milliseconds. */
const BUSY_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.stop);
let x = 1;
while (Atomics.load(flag, 0) === 0 && Date.now() < workerData.deadline) {
  for (let i = 0; i < 200000; i++) x = Math.imul(x ^ (x >>> 15), 2246822519) + i;
}
parentPort.postMessage(x);
`;

interface Options {
  runs: number;
  load: number;
  maxMinutes: number;
  jestArgs: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { runs: 3, load: availableParallelism(), maxMinutes: 180, jestArgs: [] };
  const positive = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a whole number, got "${value ?? ''}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs') options.runs = Math.max(1, positive('--runs', argv[++i]));
    else if (arg === '--load') options.load = positive('--load', argv[++i]);
    else if (arg === '--max-minutes') options.maxMinutes = Math.max(1, positive('--max-minutes', argv[++i]));
    else options.jestArgs.push(arg);
  }
  return options;
}

const minutes = (ms: number): string => `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const stop = new SharedArrayBuffer(4);
  const workerData = { stop, deadline: Date.now() + options.maxMinutes * 60_000 };
  const threads = Array.from({ length: options.load }, () => new Worker(BUSY_THREAD, { eval: true, workerData }));
  const stopLoad = (): void => void Atomics.store(new Int32Array(stop), 0, 1);
  let child: ChildProcess | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopLoad();
      child?.kill(signal);
    });
  }
  process.stdout.write(`test:stress: ${options.load} busy thread(s) on ${availableParallelism()} core(s), up to ${options.runs} run(s) of jest ${options.jestArgs.join(' ')}\n`);

  const jest = path.resolve(__dirname, '../../node_modules/jest/bin/jest.js');
  const results: string[] = [];
  let failed = false;
  for (let run = 1; run <= options.runs && !failed; run++) {
    const started = Date.now();
    const code = await new Promise<number>((resolve) => {
      child = spawn(process.execPath, [jest, '--ci', ...options.jestArgs], { stdio: 'inherit' });
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    failed = code !== 0;
    results.push(`run ${run}: ${failed ? `FAILED (jest exit ${code})` : 'passed'} in ${minutes(Date.now() - started)}`);
    process.stdout.write(`\ntest:stress: ${results[results.length - 1]}\n`);
  }
  stopLoad();
  await Promise.all(threads.map((t) => new Promise((resolve) => t.once('exit', resolve))));
  process.stdout.write(`\ntest:stress summary (under ${options.load} busy thread(s)):\n${results.map((r) => `  ${r}`).join('\n')}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
