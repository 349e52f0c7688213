/**
 * Dev server update latency: U updates (default 300) sent one after another to each of W
 * workflows (default 4) at once, through one worker; half accepted and completed, a quarter
 * rejected by the validator (speculative tasks dropped), a quarter started with
 * waitForStage ACCEPTED and then awaited. Prints updates/s and executeUpdate latency p50/p99.
 *
 *   npx tsx devserver/bench/updates.bench.ts [--updates U] [--workflows W] [-- extra server flags]
 */
import { Client, Connection, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { startDevServer } from './lib/devserver-process';
import { countUpdate, doneSignal, updateGate } from './lib/update-gate.workflow';

async function main(): Promise<void> {
  const program = new Command()
    .option('--updates <n>', 'updates per workflow', '300')
    .option('--workflows <n>', 'workflows updated at once', '4')
    .argument('[serverArgs...]', 'extra dev server flags, after --')
    .parse();
  const opts = program.opts<{ updates: string; workflows: string }>();
  const updates = Number(opts.updates);
  const workflows = Number(opts.workflows);
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const server = await startDevServer(program.args);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `bench-updates-${process.pid}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('./lib/update-gate.workflow') });
  const running = worker.run();
  try {
    const cpu0 = server.cpuSeconds() ?? 0;
    const latencies: number[] = [];
    let rejected = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: workflows }, async (_, w) => {
        const handle = await client.workflow.start(updateGate, { taskQueue, workflowId: `${taskQueue}-${w}` });
        for (let i = 0; i < updates; i++) {
          const started = performance.now();
          const kind = i % 4;
          if (kind === 1) {
            const err = await handle.executeUpdate(countUpdate, { args: [-1] }).catch((e: unknown) => e);
            if (!(err instanceof WorkflowUpdateFailedError)) throw new Error(`update ${i} was not rejected`);
            rejected++;
          } else {
            const result =
              kind === 3
                ? await (await handle.startUpdate(countUpdate, { args: [i], waitForStage: WorkflowUpdateStage.ACCEPTED })).result()
                : await handle.executeUpdate(countUpdate, { args: [i] });
            if (result !== i + 1) throw new Error(`update ${i} answered ${result}`);
          }
          latencies.push(performance.now() - started);
        }
        await handle.signal(doneSignal);
        await handle.result();
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
    console.log(`dev server updates: ${workflows} workflows x ${updates} updates (${rejected} rejected), sequential per workflow, one worker`);
    console.log(`  throughput   ${(latencies.length / seconds).toFixed(1)} updates/s (${seconds.toFixed(2)} s)`);
    console.log(`  latency      p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms (call to result)`);
    console.log(`  server       peak ${server.peakRssMiB()?.toFixed(0) ?? '?'} MiB RSS, ${((server.cpuSeconds() ?? 0) - cpu0).toFixed(1)} CPU s`);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
