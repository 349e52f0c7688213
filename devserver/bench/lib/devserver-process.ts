/**
 * Starts `devserver/bin/temporal-dev` as a child process for a benchmark, and reads its memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitUntilAnswering } from '../../testing/server-process';

export const DEV_SERVER_EXECUTABLE = path.resolve(__dirname, '../../bin/temporal-dev');

export interface DevServerProcess {
  address: string;
  child: ChildProcess;
  /** Milliseconds from spawn until GetSystemInfo answered. */
  startupMs: number;
  /** Peak resident memory of the server process so far, in MiB (Linux `VmHWM`). */
  peakRssMiB(): number | undefined;
  /** CPU time (user + system) the server process has used so far, in seconds (Linux). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

export { freePort };

/** Spawns the dev server with `start-dev` and the extra flags, and waits until it answers. */
export async function startDevServer(extraArgs: string[] = [], port?: number, env?: NodeJS.ProcessEnv): Promise<DevServerProcess> {
  const chosenPort = port ?? (await freePort());
  const address = `127.0.0.1:${chosenPort}`;
  const t0 = performance.now();
  const child = spawn(
    DEV_SERVER_EXECUTABLE,
    ['server', 'start-dev', '--port', String(chosenPort), '--ip', '127.0.0.1', '--headless', '--log-level', 'warn', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntilAnswering(address, exited, 30_000);
  const startupMs = performance.now() - t0;
  return {
    address,
    child,
    startupMs,
    peakRssMiB: () => peakRssMiB(child.pid),
    cpuSeconds: () => cpuSeconds(child.pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields 14 and 15 of /proc/PID/stat (after the parenthesised command name) are utime and stime in clock ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
