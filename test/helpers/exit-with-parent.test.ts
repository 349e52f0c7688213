/**
 * A jest worker killed by a signal runs no exit handlers, so it cannot stop what it started: the
 * dev servers and worker processes must end by themselves once it is gone (exit-with-parent.js,
 * preloaded by launchServer and spawnWorkerProcess).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Whether a process with this pid exists. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the fixture in `mode`; resolves with it and the pid of the child it started. */
async function startParent(mode: 'dev-server' | 'node'): Promise<{ parent: ReturnType<typeof spawn>; childPid: number }> {
  const parent = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'exit-with-parent-fixture.ts'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: parent.stdout }).once('line', resolve);
    parent.once('exit', (code) => reject(new Error(`the fixture exited (${code}) before starting its child`)));
  });
  return { parent, childPid: Number(firstLine) };
}

/** Waits (as long as it takes; the test's time limit guards against a hang) until `pid` is gone. */
async function gone(pid: number): Promise<void> {
  while (exists(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('processes started by a test end with it', () => {
  let leftover: number | undefined;
  afterEach(() => {
    if (leftover !== undefined && exists(leftover)) process.kill(leftover, 'SIGKILL');
    leftover = undefined;
  });

  test.each(['dev-server', 'node'] as const)('%s: the child of a process killed by SIGKILL ends by itself', async (mode) => {
    // GIVEN a process that started a child the way tests do, both running
    const { parent, childPid } = await startParent(mode);
    leftover = childPid;
    expect(Number.isInteger(childPid) && childPid > 0).toBe(true);
    expect(exists(childPid)).toBe(true);

    // WHEN that process is killed by a signal (no exit handler of its own runs)
    const parentExited = new Promise((resolve) => parent.once('exit', resolve));
    parent.kill('SIGKILL');
    await parentExited;

    // THEN its child goes as well
    await gone(childPid);
    expect(exists(childPid)).toBe(false);
  }, 120_000);
});
