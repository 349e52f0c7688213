import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { DurableLogError } from './errors';

/** Lock files this process holds; a lock naming our pid that is not here is left by an earlier process (pid reuse, containers). */
const heldHere = new Set<string>();

/** A held lock; `release` removes the lock file if it is still ours. */
export interface FileLock {
  readonly lockPath: string;
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  host: string;
}

function parseOwner(text: string): LockOwner | undefined {
  const [pidLine, host] = text.split('\n');
  const pid = Number(pidLine);
  return Number.isInteger(pid) && pid > 0 && host !== undefined ? { pid, host } : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the exclusive lock for `path` by creating `path + ".lock"` holding our pid and host name.
 * Node has no flock, so the lock is a file: it is created complete (written under a temporary name,
 * then hard-linked into place, which fails if the lock exists), and a lock whose process is gone
 * (same host, pid not running) is stale and taken over. Two processes taking over the same stale
 * lock at the same instant could both succeed; a dev server accepts that window.
 */
export async function acquireLock(path: string): Promise<FileLock> {
  const lockPath = `${path}.lock`;
  const content = `${process.pid}\n${hostname()}\n`;
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, content, { flag: 'wx' });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.link(tmp, lockPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (attempt >= 5) {
          throw new DurableLogError('LOCKED', path, `${path}: could not take the lock ${lockPath}; another process keeps taking it`);
        }
      }
      const text = await fs.readFile(lockPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // released meanwhile: try again
        throw err;
      });
      if (text === undefined) continue;
      const owner = parseOwner(text);
      const ours = owner?.pid === process.pid && owner.host === hostname();
      if (ours && heldHere.has(lockPath)) {
        throw new DurableLogError('LOCKED', path, `${path} is already open in this process (lock ${lockPath})`);
      }
      if (owner && !ours && (owner.host !== hostname() || isAlive(owner.pid))) {
        const where = owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
        throw new DurableLogError(
          'LOCKED',
          path,
          `${path} is in use by ${where} (lock ${lockPath}); stop that server, or delete the lock file if it is not running`,
        );
      }
      // Stale (its process is gone, or it is unreadable): remove it and try again.
      await fs.rm(lockPath, { force: true });
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  heldHere.add(lockPath);
  let released = false;
  return {
    lockPath,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(lockPath);
      const text = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
      if (text === content) await fs.rm(lockPath, { force: true });
    },
  };
}
