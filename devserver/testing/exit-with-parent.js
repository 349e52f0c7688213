/**
 * Preloaded (`node --require`, directly or through NODE_OPTIONS) into the servers and worker
 * processes a test starts, so that none outlives the test process: a jest worker killed by a
 * signal runs no exit handlers, so it cannot stop its children itself. Every half second this
 * checks that the process named by TEMPORAL_DEV_EXIT_WITH_PARENT_PID is still there; once it is gone,
 * this process sends itself SIGTERM (a graceful stop where it handles it) and, should it still
 * run five seconds later, SIGKILL. Without the variable it does nothing. Plain JavaScript: it is
 * loaded before any TypeScript loader.
 */
'use strict';

const parent = Number(process.env.TEMPORAL_DEV_EXIT_WITH_PARENT_PID);
if (Number.isInteger(parent) && parent > 0) {
  // Tie only this process to the test: what it starts in turn is its own business.
  delete process.env.TEMPORAL_DEV_EXIT_WITH_PARENT_PID;
  const alive = () => {
    try {
      process.kill(parent, 0);
      return true;
    } catch (err) {
      // EPERM: it exists, under another user (a reused pid would be someone else's).
      return err.code === 'EPERM';
    }
  };
  const watch = setInterval(() => {
    if (alive()) return;
    clearInterval(watch);
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 5_000).unref();
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  // Watching must not keep a process alive that would otherwise end.
  watch.unref();
}
