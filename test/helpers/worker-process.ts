/**
 * @module Real worker processes for the crash-and-resume tests: `spawnWorkerProcess` starts
 * `worker-process-main.ts` (through tsx) against a server and a bridged simulated fleet, and
 * returns a handle to kill (SIGKILL: a crash) or stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { EXIT_WITH_PARENT_PRELOAD, EXIT_WITH_PARENT_VARIABLE } from './server-process';

export interface WorkerProcess {
  pid: number;
  /** SIGKILL, then waits for the exit: a crash, nothing is cleaned up. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit: a graceful shutdown. */
  stop(): Promise<void>;
  /** Everything the process wrote to stderr. */
  stderr(): string;
}

export interface WorkerProcessOptions {
  address: string;
  namespace: string;
  bridgeUrl: string;
  /** From {@link writeBundle}: every process runs the same bundled code, bundled once. */
  bundlePath: string;
}

/** Writes a workflow bundle's code to a file that worker processes load with `workflowBundle.codePath`. */
export async function writeBundle(bundle: WorkflowBundleWithSourceMap): Promise<string> {
  const file = path.join(os.tmpdir(), `cellops-bundle-${process.pid}-${Date.now()}.js`);
  await writeFile(file, bundle.code);
  return file;
}

/** Starts a worker process and resolves once it polls. */
export async function spawnWorkerProcess(options: WorkerProcessOptions, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  // Preloaded watch: the process ends once this one is gone, however it went (see exit-with-parent.js).
  const child: ChildProcess = spawn(process.execPath, ['--require', EXIT_WITH_PARENT_PRELOAD, '--require', 'tsx/cjs', path.join(__dirname, 'worker-process-main.ts')], {
    env: {
      ...process.env,
      [EXIT_WITH_PARENT_VARIABLE]: String(process.pid),
      CELLOPS_TEST_ADDRESS: options.address,
      CELLOPS_TEST_NAMESPACE: options.namespace,
      CELLOPS_BRIDGE_URL: options.bridgeUrl,
      CELLOPS_BUNDLE_PATH: options.bundlePath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready after ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const pid = child.pid ?? 0;
  return {
    pid,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    stderr: () => stderr,
  };
}
