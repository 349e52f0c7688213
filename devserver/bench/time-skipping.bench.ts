/**
 * Time skipping on the dev server's test-server form (`temporal-dev <port>`, as
 * `TestWorkflowEnvironment.createTimeSkipping` starts it): one workflow with a month of daily
 * timers, waited for alone, then N of them (default 50) waited for at once. Prints wall time,
 * virtual days per wall second and timers fired per wall second.
 *
 *   npx tsx devserver/bench/time-skipping.bench.ts [--workflows N] [--days D]
 */
import { Command } from 'commander';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { DEV_SERVER_EXECUTABLE } from './lib/devserver-process';
import { dailyTimers } from './lib/daily-timers.workflow';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const program = new Command().option('--workflows <n>', 'workflows waited for at once', '50').option('--days <n>', 'daily timers per workflow', '30').parse();
  const opts = program.opts<{ workflows: string; days: string }>();
  const workflows = Number(opts.workflows);
  const days = Number(opts.days);
  // ERROR: the worker would warn that it has no activities, which is the point here.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const t0 = performance.now();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: DEV_SERVER_EXECUTABLE } },
  });
  const startupMs = performance.now() - t0;
  try {
    const taskQueue = `bench-time-skipping-${process.pid}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./lib/daily-timers.workflow'),
      maxConcurrentWorkflowTaskExecutions: 100,
    });
    await worker.runUntil(async () => {
      const run = (id: string) => env.client.workflow.execute(dailyTimers, { workflowId: `${taskQueue}-${id}`, taskQueue, args: [days] });
      await run('warmup');

      const virtual0 = await env.currentTimeMs();
      const s0 = performance.now();
      await run('single');
      const singleMs = performance.now() - s0;
      const singleVirtualDays = ((await env.currentTimeMs()) - virtual0) / DAY;

      const virtual1 = await env.currentTimeMs();
      const m0 = performance.now();
      await Promise.all(Array.from({ length: workflows }, (_, i) => run(`many-${i}`)));
      const manyMs = performance.now() - m0;
      const manyVirtualDays = ((await env.currentTimeMs()) - virtual1) / DAY;

      console.log(`time skipping (temporal-dev <port>, started in ${startupMs.toFixed(0)} ms): workflows of ${days} daily timers`);
      console.log(
        `  one workflow   ${singleMs.toFixed(0)} ms wall for ${singleVirtualDays.toFixed(1)} virtual days ` +
          `(${(days / (singleMs / 1000)).toFixed(0)} timers/s, ${(singleVirtualDays / (singleMs / 1000)).toFixed(0)} virtual days/s)`,
      );
      console.log(
        `  ${workflows} at once   ${manyMs.toFixed(0)} ms wall for ${manyVirtualDays.toFixed(1)} virtual days ` +
          `(${((workflows * days) / (manyMs / 1000)).toFixed(0)} timers/s)`,
      );
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
