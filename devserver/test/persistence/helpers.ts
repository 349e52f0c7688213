import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exitWithParentEnv } from '../../testing/server-process';

/** A fresh directory for one test, and its removal. */
export function tempDir(): { dir: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cellops-log-'));
  return { dir, file: join(dir, 'state.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Record bytes for a string. */
export function rec(text: string): Buffer {
  return Buffer.from(text);
}

/** Records decoded back to strings. */
export function texts(records: readonly Buffer[]): string[] {
  return records.map((r) => r.toString());
}

const packageDir = resolve(__dirname, '../..');
const child = join(__dirname, 'fixtures/log-child.ts');

/** A running fixtures/log-child.ts process. */
export interface Child {
  /** Complete stdout lines so far. */
  lines: string[];
  /** Resolves when a line satisfying `test` has arrived. */
  waitForLine(test: (line: string) => boolean): Promise<void>;
  kill(): void;
  /** Resolves with the exit code and signal once the child has exited and its output is fully read (`close`, not `exit`: `exit` can come before the last lines). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts fixtures/log-child.ts with `args`. */
export function startChild(args: string[]): Child {
  // tsx as a loader, not its CLI: the CLI runs the script in a grandchild that SIGKILL would miss.
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'], env: exitWithParentEnv() });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { test: (line: string) => boolean; resolve: () => void }[] = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.test(line)) w.resolve();
        else waiters.push(w);
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    proc.on('close', (code, signal) => res({ code, signal, stderr })),
  );
  return {
    lines,
    waitForLine: (test) =>
      new Promise<void>((res, rej) => {
        if (lines.some(test)) return res();
        waiters.push({ test, resolve: res });
        void exited.then((e) => rej(new Error(`child exited (${e.code ?? e.signal}) before the line came: ${e.stderr}`)));
      }),
    kill: () => void proc.kill('SIGKILL'),
    exited,
  };
}
