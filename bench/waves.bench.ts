/**
 * Wave deployment at fleet scale: a simulated fleet of N cells (default 1,000; two alarms and a
 * stack each, simulator timing as for drills), the dev server's time-skipping form, one cellops worker in this process, a
 * rollout with the default canary plan (1 → 2 → 4 … cells, 30 min canary bake, 15 min per wave)
 * of `maxConcurrent` cells at once. A smaller fleet runs first so the AWS calls per cell can be
 * compared. Prints, per fleet: wall time, virtual time, runs (continue-as-new), the largest
 * history of any run, this process's peak RSS (worker, simulator and client), AWS calls per cell.
 *
 *   npm run bench:waves -- [--cells N] [--compare M] [--max-concurrent K]
 */
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startWaveDeployment } from '../client/start-procedure';
import type { WaveDeploymentReport } from '../domain/procedures/wave-deployment';
import type { Registry } from '../domain/registry/schema';
import { PROCEDURE_SEARCH_ATTRIBUTES, bundleCellopsWorkflows, createFleetWorkers, createTestFleet, exampleRegistry } from '../test/helpers/procedures-environment';
import { createTimeSkippingTestEnvironment } from '../test/helpers/test-environment';

/** A registry of `count` cells like the example's, one weighted group, two alarms each. */
function fleetOf(count: number): Registry {
  const example = exampleRegistry();
  const template = example.cells[0];
  const cells = Array.from({ length: count }, (_, i) => {
    const id = `cell-${String(i + 1).padStart(4, '0')}`;
    return {
      ...template,
      id,
      priority: i,
      customers: 100,
      stack: { ...template.stack, name: `shop-${id}` },
      route53: { ...template.route53, setIdentifier: id, value: `${id}.shop.example.com` },
      alarms: [`${id}-HighErrorRate`, `${id}-HighLatency`],
      metrics: { ...template.metrics, dimensions: { CellId: id } },
    };
  });
  return { ...example, fleet: { ...example.fleet, name: `bench-${count}` }, cells, policies: { ...example.policies, blastRadius: { ...example.policies.blastRadius, maxCellsOut: 1 } } };
}

/** Every run of the chain (continue-as-new): its history's events and bytes, as the server describes them. */
async function runsOf(client: Client, workflowId: string): Promise<{ events: number; bytes: number }[]> {
  const runs: { events: number; bytes: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const description = await client.workflow.getHandle(workflowId, execution.runId).describe();
    runs.push({ events: description.historyLength, bytes: Number(description.raw.workflowExecutionInfo?.historySizeBytes ?? 0) });
  }
  return runs;
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--cells <n>', 'cells in the fleet', '1000')
    .option('--compare <n>', 'a smaller fleet run first, for calls per cell (0: none)', '100')
    .option('--max-concurrent <n>', 'cells updated at once within a wave', '50')
    .parse();
  const opts = program.opts<{ cells: string; compare: string; maxConcurrent: string }>();
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const env = await createTimeSkippingTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES, sdkLogLevel: 'ERROR' });
  const bundle = await bundleCellopsWorkflows();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    const sizes = [Number(opts.compare), Number(opts.cells)].filter((n) => n > 0);
    let last = '';
    for (const cells of sizes) {
      const registry = fleetOf(cells);
      const fleet = await createTestFleet(env, { registry, requestsPerSecond: cells * 2 });
      const workers = await createFleetWorkers(env, fleet, { bundle });
      peak = process.memoryUsage().rss;
      const { report, wallMs, virtualMs, workflowId } = await workers.runUntil(async () => {
        const virtual0 = await env.currentTimeMs();
        const t0 = performance.now();
        const handle = await startWaveDeployment(env.client, { version: { label: 'v2', parameters: { InstanceType: 'm7g.xlarge' } }, reason: 'bench', requestedBy: 'bench@example.com', registry, maxConcurrent: Number(opts.maxConcurrent) });
        const report = (await handle.result()) as WaveDeploymentReport;
        return { report, wallMs: performance.now() - t0, virtualMs: (await env.currentTimeMs()) - virtual0, workflowId: handle.workflowId };
      });
      const histories = await runsOf(env.client, workflowId);
      const calls = fleet.calls.list().length;
      const d = report.deployment;
      console.log(
        `  ${cells} cells: ${d.outcome}, ${d.cellsUpdated} updated in ${d.plan.waves.length} waves (${d.plan.waves.map((w) => w.cellIds.length).join(' → ')}), ` +
          `${(virtualMs / 3_600_000).toFixed(1)} h virtual in ${(wallMs / 1000).toFixed(1)} s wall, ${histories.length} run(s) of ${histories.map((h) => `${h.events} events (${(h.bytes / 1048576).toFixed(1)} MiB)`).join(', ')}, ` +
          `${calls} AWS calls (${(calls / cells).toFixed(1)} per cell)`,
      );
      last = `bench:waves: ${cells} cells, ${(wallMs / 1000).toFixed(1)} s wall, largest history ${Math.max(...histories.map((h) => h.events))} events, worker peak ${Math.round(peak / 1048576)} MiB, ${(calls / cells).toFixed(1)} AWS calls per cell`;
    }
    console.log(last);
  } finally {
    clearInterval(sampler);
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
