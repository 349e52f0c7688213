/**
 * Dev server throughput: N workflows (default 1,000) of three activities each, 50 at a time,
 * through one worker; prints workflows/s, start-to-result latency p50/p99 and the server's peak
 * memory. Goal on a 2-core machine: at least 200 workflows/s, p99 under 250 ms.
 *
 *   npx tsx devserver/bench/devserver.bench.ts [--workflows N] [--concurrency C] [-- extra server flags]
 */
import { Command } from 'commander';
import { startDevServer } from './lib/devserver-process';
import { runThroughput } from './lib/throughput';

async function main(): Promise<void> {
  const program = new Command()
    .option('--workflows <n>', 'workflows to run', '1000')
    .option('--concurrency <n>', 'workflows in flight at once', '50')
    .argument('[serverArgs...]', 'extra dev server flags, after --')
    .parse();
  const opts = program.opts<{ workflows: string; concurrency: string }>();
  const server = await startDevServer(program.args);
  try {
    const cpu0 = server.cpuSeconds() ?? 0;
    const ownCpu0 = process.cpuUsage();
    const r = await runThroughput({ address: server.address, workflows: Number(opts.workflows), concurrency: Number(opts.concurrency) });
    const serverCpu = (server.cpuSeconds() ?? 0) - cpu0;
    const ownCpu = process.cpuUsage(ownCpu0);
    console.log(`dev server (${program.args.length ? program.args.join(' ') : 'in memory'}): ${r.workflows} workflows x 3 activities, ${opts.concurrency} at a time, one worker`);
    console.log(`  throughput   ${r.workflowsPerSecond.toFixed(1)} workflows/s (${r.seconds.toFixed(2)} s)`);
    console.log(`  latency      p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms (start to result)`);
    console.log(`  server       peak ${server.peakRssMiB()?.toFixed(0) ?? '?'} MiB RSS, ${serverCpu.toFixed(1)} CPU s (warm-up included), started in ${server.startupMs.toFixed(0)} ms`);
    console.log(`  worker+client ${((ownCpu.user + ownCpu.system) / 1e6).toFixed(1)} CPU s in this process`);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
