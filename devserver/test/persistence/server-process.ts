/**
 * @module The dev server as a child process on a `--db-filename`, for the restart tests: start,
 * wait until it answers, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { exitWithParentEnv } from '../../testing/server-process';
import { DEV_SERVER_EXECUTABLE } from '../../testing/test-environment';

/** A running (or exited) server process. */
export interface ServerProcess {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/** A TCP port free right now on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts `temporal-dev server start-dev` on `port` with `--db-filename file`. */
export function startServer(port: number, file: string, extraArgs: string[] = []): ServerProcess {
  const child = spawn(
    DEV_SERVER_EXECUTABLE,
    ['server', 'start-dev', '--port', String(port), '--ip', '127.0.0.1', '--db-filename', file, '--headless', '--log-level', 'warn', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'], env: exitWithParentEnv() },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stderr: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Resolves once GetSystemInfo answers on `port` (fails if the process exits, or after `timeoutMs`:
 * a guard against a hang, generous because the executable takes seconds to start on a busy machine).
 */
export async function waitUntilServing(server: ServerProcess, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`server exited before serving: ${server.stderr()}`);
    try {
      const connection = await Connection.connect({
        address: `127.0.0.1:${port}`,
        connectTimeout: 100,
        channelArgs: { 'grpc.use_local_subchannel_pool': 1 },
      });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
