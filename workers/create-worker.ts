/**
 * The cellops workers: one on `TASK_QUEUE` (every workflow, the AWS and fleet guard
 * activities) and, when hooks are given, one on `HOOKS_TASK_QUEUE`. Used by `workers/main.ts`
 * and by the tests, so both run exactly the same wiring.
 */
import type { Client } from '@temporalio/client';
import { Worker, type ActivityInterceptorsFactory, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createFleetGuardActivities } from '../activities/fleet-guard';
import { hookActivities, type ApplicationHooks } from '../activities/hooks';
import { HOOKS_TASK_QUEUE, TASK_QUEUE } from '../domain/task-queues';

export interface CellopsWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** For the fleet guard activities (they talk to the guard workflow). */
  client: Client;
  /** The AWS clients and their settings. */
  aws: ActivityDeps;
  /** The application hooks to serve on `HOOKS_TASK_QUEUE`; none when the application runs its own hooks worker. */
  hooks?: ApplicationHooks;
  /** A pre-built bundle (tests bundle once); default: bundle `workflows/` at start. */
  workflowBundle?: WorkflowBundleOption;
  taskQueue?: string;
  hooksTaskQueue?: string;
  /** Extra activity interceptors (tests use one to keep the simulator's clock on server time). */
  activityInterceptors?: ActivityInterceptorsFactory[];
  identity?: string;
}

/** The running workers of one process. */
export interface CellopsWorkers {
  workers: Worker[];
  /** Runs every worker until shut down (or one fails, which shuts the others down). */
  run(): Promise<void>;
  /** Runs the workers until `promise` settles, then shuts them down; resolves with its value. */
  runUntil<T>(promise: Promise<T> | (() => Promise<T>)): Promise<T>;
  /** Graceful shutdown: stop polling, let running tasks finish (up to the shutdown grace time). */
  shutdown(): void;
}

/** Creates the workers (connects and bundles, but does not poll until `run`). */
export async function createCellopsWorker(options: CellopsWorkerOptions): Promise<CellopsWorkers> {
  const common = { connection: options.connection, namespace: options.namespace ?? 'default', ...(options.identity ? { identity: options.identity } : {}) };
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const main = await Worker.create({
    ...common,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: { ...createActivities(options.aws), ...createFleetGuardActivities({ client: options.client, taskQueue }) },
    interceptors: { activity: options.activityInterceptors ?? [] },
    shutdownGraceTime: '10s',
  });
  const workers = [main];
  if (options.hooks) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: options.hooksTaskQueue ?? HOOKS_TASK_QUEUE,
        activities: hookActivities(options.hooks),
        interceptors: { activity: options.activityInterceptors ?? [] },
        shutdownGraceTime: '10s',
      }),
    );
  }
  const shutdown = (): void => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  const run = async (): Promise<void> => {
    try {
      await Promise.all(
        workers.map(async (w) => {
          try {
            await w.run();
          } catch (err) {
            shutdown();
            throw err;
          }
        }),
      );
    } finally {
      shutdown();
    }
  };
  return {
    workers,
    run,
    shutdown,
    async runUntil<T>(promise: Promise<T> | (() => Promise<T>)): Promise<T> {
      const running = run();
      // Workers that stop on their own (a fatal error) end the wait instead of hanging it.
      const stopped = running.then(() => Promise.reject(new Error('the cellops workers stopped before the awaited work was done')));
      stopped.catch(() => undefined);
      try {
        return await Promise.race([typeof promise === 'function' ? promise() : promise, stopped]);
      } finally {
        shutdown();
        await running;
      }
    },
  };
}
