/**
 * Dev server cold start: time from spawning `devserver/bin/temporal-dev` until GetSystemInfo
 * answers, against a bare `node -e` start on the same machine, and against running the
 * TypeScript sources through tsx (how the executable used to start). Goal: under 1 s.
 *
 *   npx tsx devserver/bench/devserver-startup.bench.ts [--runs N]
 */
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { startDevServer } from './lib/devserver-process';

// Loaded for its side effect: the compiled build is rebuilt here if a source changed, so the
// figures below are cold starts of an up-to-date build, not of the build itself.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compiledEntry } = require('../build.js') as { compiledEntry: () => string | undefined };

function bareNodeMs(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - t0));
  });
}

async function serverStartMs(env: NodeJS.ProcessEnv): Promise<number> {
  const server = await startDevServer([], undefined, env);
  await server.stop();
  return server.startupMs;
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `  ${label.padEnd(34)} median ${median.toFixed(0).padStart(5)} ms  (min ${sorted[0]?.toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)})`;
}

async function main(): Promise<void> {
  const program = new Command().option('--runs <n>', 'starts of each kind', '5').parse();
  const runs = Number(program.opts<{ runs: string }>().runs);
  if (!compiledEntry()) throw new Error('the dev server build failed; see the message above');
  const bare: number[] = [];
  const compiled: number[] = [];
  const sources: number[] = [];
  // Interleaved, so a change in the machine's load affects every kind alike.
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNodeMs());
    compiled.push(await serverStartMs({}));
    sources.push(await serverStartMs({ TEMPORAL_DEV_FROM_SOURCES: '1' }));
  }
  console.log(`dev server cold start until GetSystemInfo answers, ${runs} runs each (load average ${(await loadAverage()).toFixed(1)})`);
  console.log(summary('bare `node -e 0` (start to exit)', bare));
  console.log(summary('temporal-dev (compiled build)', compiled));
  console.log(summary('temporal-dev (TypeScript via tsx)', sources));
}

async function loadAverage(): Promise<number> {
  const os = await import('node:os');
  return os.loadavg()[0] ?? NaN;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
