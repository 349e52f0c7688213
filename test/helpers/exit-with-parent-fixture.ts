/**
 * A stand-in for a jest worker (run by exit-with-parent.test.ts): starts a child the way tests
 * do, prints its pid, and stays until it is killed. `dev-server`: the dev server through
 * launchServer; `node`: a Node process preloaded with the watch, as worker processes are.
 */
import { spawn } from 'node:child_process';
import { DEV_SERVER_EXECUTABLE } from './test-environment';
import { EXIT_WITH_PARENT_PRELOAD, EXIT_WITH_PARENT_VARIABLE, freePort, launchServer } from './server-process';

async function main(): Promise<void> {
  if (process.argv[2] === 'dev-server') {
    const port = await freePort();
    const server = await launchServer(DEV_SERVER_EXECUTABLE, [String(port)], port);
    process.stdout.write(`${server.child.pid}\n`);
  } else {
    const child = spawn(process.execPath, ['--require', EXIT_WITH_PARENT_PRELOAD, '-e', 'setInterval(() => undefined, 60_000)'], {
      env: { ...process.env, [EXIT_WITH_PARENT_VARIABLE]: String(process.pid) },
      stdio: 'ignore',
    });
    process.stdout.write(`${child.pid}\n`);
  }
  setInterval(() => undefined, 60_000);
}

void main();
