/**
 * @module Starting a Temporal server executable (the dev server, the Temporal CLI or a test
 * server) as a child process and waiting until it answers.
 *
 * `TestWorkflowEnvironment.createLocal`/`createTimeSkipping` give a server 5 s to answer, which a
 * busy machine starting several servers at once can miss. Here the wait is a guard against a hang,
 * not a performance bound: how fast the server starts is measured by `npm run bench:devserver`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/** How long a server may take to answer before the start counts as hung. */
export const SERVER_READY_TIMEOUT_MS = 60_000;

/** Time limit of a `beforeAll` that starts a server and bundles workflows: tens of seconds on a busy machine (a guard against a hang). */
export const SETUP_TIMEOUT_MS = 180_000;

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

/** A server process started by {@link launchServer}. */
export interface LaunchedServer {
  /** `127.0.0.1:<port>`. */
  address: string;
  child: ChildProcess;
  /** Resolves once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (as the SDK's own ephemeral servers are stopped), then waits for the exit. */
  kill(): Promise<void>;
}

/** See exit-with-parent.js: preloaded into a process a test starts, it ends that process once the test process is gone. */
export const EXIT_WITH_PARENT_PRELOAD = path.join(__dirname, 'exit-with-parent.js');

/** The variable that names, to the preload, the process whose end ends this one. */
export const EXIT_WITH_PARENT_VARIABLE = 'TEMPORAL_DEV_EXIT_WITH_PARENT_PID';

/**
 * The environment that ties a Node process started from this one to this process's life (see
 * {@link EXIT_WITH_PARENT_PRELOAD}): through NODE_OPTIONS, so it reaches a Node server behind a
 * launcher script; executables that are not Node (the Temporal CLI, the Java test server) ignore it.
 */
export function exitWithParentEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require "${EXIT_WITH_PARENT_PRELOAD}"`.trim(),
    [EXIT_WITH_PARENT_VARIABLE]: String(process.pid),
  };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * A server must not outlive the test process that started it, even when that process dies early:
 * killed here when it exits normally; when it is killed by a signal (no exit handlers run), the
 * server's preloaded watch (exitWithParentEnv) ends it.
 */
function killOnExit(child: ChildProcess): void {
  live.add(child);
  void new Promise((resolve) => child.once('exit', resolve)).then(() => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/**
 * Starts `executable args` (stdout and stderr inherited, as the SDK does) and resolves once a
 * client's GetSystemInfo is answered on `port`; rejects if the process exits first or after
 * `readyTimeoutMs`.
 */
export async function launchServer(executable: string, args: string[], port: number, readyTimeoutMs = SERVER_READY_TIMEOUT_MS): Promise<LaunchedServer> {
  const child = spawn(executable, args, { stdio: ['ignore', 'inherit', 'inherit'], env: exitWithParentEnv() });
  killOnExit(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: LaunchedServer = {
    address: `127.0.0.1:${port}`,
    child,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntilAnswering(server.address, exited, readyTimeoutMs);
  } catch (err) {
    await server.kill();
    throw new Error(`${executable} ${args.join(' ')}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return server;
}

/** Resolves once GetSystemInfo answers at `address`; rejects when `exited` settles first or after `timeoutMs`. */
export async function waitUntilAnswering(address: string, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const pause = () => new Promise((resolve) => setTimeout(resolve, 10));
  // The port first, with plain TCP: a gRPC channel refused once backs off for a second before
  // trying again, which would count that second as the server's start.
  for (;;) {
    if (hasExited) throw new Error('the server exited before answering');
    if (await accepts(address)) break;
    if (Date.now() > deadline) throw new Error(`not listening after ${timeoutMs} ms`);
    await pause();
  }
  for (;;) {
    if (hasExited) throw new Error('the server exited before answering');
    try {
      // A private subchannel, so an attempt refused here does not impose a shared reconnect backoff.
      const connection = await Connection.connect({ address, connectTimeout: 1_000, channelArgs: { 'grpc.use_local_subchannel_pool': 1 } });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`not answering after ${timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`);
      await pause();
    }
  }
}

/** Whether a TCP connection to `host:port` is accepted (then closed at once). */
function accepts(address: string): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
