/**
 * Alarm gateway latency: N alarm notifications (default 500) over C cells (default 50), sent as
 * signed SNS notifications to a listening gateway, in one burst per cell (N/C at once), a burst
 * every `--spacing` ms. Each started procedure runs on the cellops worker against the simulated
 * fleet (instant AWS operations) on the same dev server. Measured: from the notification sent to the first Route 53 change
 * of the procedure it started (p50, p99). In the same run, the floor: a bare client start of the
 * same procedure on other cells, paced the same way, to its first activity.
 *
 *   npx tsx bench/gateway.bench.ts [--notifications N] [--cells C] [--spacing ms]
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { Command } from 'commander';
import pino from 'pino';
import { startGateway } from '../client/gateway';
import { startProcedure } from '../client/start-procedure';
import { registrySchema, type Registry } from '../domain/registry';
import { CELLOPS_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { createSimulatedFleet, createSimulatedHooks, INSTANT_TIMING, type RecordedCall } from '../simulator';
import { gatewayRegistry } from '../test/helpers/gateway';
import { cloudWatchAlarmMessage, createTestSns } from '../test/helpers/sns-signing';
import { createCellopsWorker } from '../workers/create-worker';
import { DEV_SERVER_EXECUTABLE, freePort, launchServer } from '@cellops/temporal-dev/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? NaN;
}

/**
 * C cells plus one that never alarms (a blast radius must stay below the fleet's size), with limits
 * that let the C drain at once, no cooldown between the floor run and the gateway run, and no
 * correlation of alarms across cells.
 */
function benchRegistry(cells: number): Registry {
  const fleet = gatewayRegistry('cell', cells + 1);
  return registrySchema.parse({
    ...fleet,
    policies: {
      ...fleet.policies,
      blastRadius: { maxCellsOut: cells, maxCapacityOutPercent: 100 },
      // Each cell's alarms read alone: correlated, they would be one cascade recovery, not C restarts.
      cooldowns: { perCellSeconds: 0, maxAutomaticPerHour: cells * 10, correlationWindowSeconds: 0 },
    },
  });
}

/** The first Route 53 change of each cell among `calls` at or after `since`. */
function firstChanges(calls: RecordedCall[], since: number): Map<string, number> {
  const first = new Map<string, number>();
  for (const call of calls) {
    if (call.at < since) continue;
    const changes = (call.input as { ChangeBatch?: { Changes?: { ResourceRecordSet?: { SetIdentifier?: string } }[] } }).ChangeBatch?.Changes ?? [];
    for (const change of changes) {
      const id = change.ResourceRecordSet?.SetIdentifier;
      if (id && !first.has(id)) first.set(id, call.at);
    }
  }
  return first;
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--notifications <n>', 'alarm notifications in all', '500')
    .option('--cells <n>', 'cells they are spread over', '50')
    .option('--spacing <ms>', 'between one cell burst and the next', '200')
    .parse();
  const opts = program.opts<{ notifications: string; cells: string; spacing: string }>();
  const cells = Number(opts.cells);
  const perCell = Math.ceil(Number(opts.notifications) / cells);
  const spacing = Number(opts.spacing);
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });

  const registry = benchRegistry(cells);
  const port = await freePort();
  const server = await launchServer(
    DEV_SERVER_EXECUTABLE,
    [
      'server', 'start-dev', '--port', String(port), '--ip', '127.0.0.1', '--headless', '--log-level', 'warn',
      ...Object.entries(CELLOPS_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ],
    port,
  );
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  // Instant AWS operations: what is measured is the gateway and Temporal, not simulated AWS delays.
  const sim = createSimulatedFleet({ registry, seed: 'bench-gateway', timing: INSTANT_TIMING });

  // The first activity of each workflow, by wall clock.
  const firstActivity = new Map<string, number>();
  const recordFirstActivity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
        if (!firstActivity.has(workflowId)) firstActivity.set(workflowId, Date.now());
        return await next(input);
      },
    },
  });
  const workers = await createCellopsWorker({
    connection: nativeConnection,
    client,
    // The simulator is not Route 53's 5 requests a second: the bench measures the gateway and Temporal, not that quota.
    aws: { ...sim.clients, route53RatePerSecond: 10_000 },
    hooks: createSimulatedHooks(sim.fleet),
    activityInterceptors: [recordFirstActivity],
  });
  const running = workers.run();

  const sns = createTestSns({ region: registry.fleet.region });
  const gateway = await startGateway({
    port: 0,
    deps: { client, namespace: 'default', registry, logger: pino({ level: 'silent' }), sns: { fetchCertificate: (url) => sns.fetchCertificate(url) } },
  });

  const cellIds = registry.cells.slice(0, cells).map((c) => c.id);
  const route53Changes = () => sim.calls.list({ service: 'route53', command: 'ChangeResourceRecordSets' });
  async function waitFor(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (!done() && Date.now() < deadline) await sleep(50);
  }

  try {
    // Floor: a bare client start of the procedure on each cell, paced the same way, to its first activity.
    const floorSince = Date.now();
    const floorSent = new Map<string, number>();
    for (const cellId of cellIds) {
      floorSent.set(cellId, Date.now());
      void startProcedure(client, { procedure: 'cellRestart', input: { cellId, reason: 'bench floor', requestedBy: 'bench', registry } });
      await sleep(spacing);
    }
    await waitFor(() => cellIds.every((id) => firstActivity.has(`cell-recovery-${id}`)) && firstChanges(route53Changes(), floorSince).size >= cells);
    const floorLatencies = cellIds.flatMap((id) => (firstActivity.has(`cell-recovery-${id}`) ? [(firstActivity.get(`cell-recovery-${id}`) ?? 0) - (floorSent.get(id) ?? 0)] : [])).sort((a, b) => a - b);
    const floorChanges = firstChanges(route53Changes(), floorSince);
    const floorToChange = [...floorChanges].map(([id, at]) => at - (floorSent.get(id) ?? at)).sort((a, b) => a - b);
    for (const id of cellIds) await client.workflow.getHandle(`cell-recovery-${id}`).terminate('bench: floor measured').catch(() => undefined);

    // Through the gateway: a burst of signed SNS notifications per cell.
    const gatewaySince = Date.now();
    const sentAt = new Map<string, number>();
    const outcomes = new Map<string, number>();
    const requests: Promise<void>[] = [];
    const answerMs: number[] = [];
    for (const cellId of cellIds) {
      const bodies = Array.from({ length: perCell }, (_, k) => JSON.stringify(sns.notification(cloudWatchAlarmMessage(k % 2 ? `${cellId}-HighLatency` : `${cellId}-HighErrorRate`))));
      sentAt.set(cellId, Date.now());
      for (const body of bodies) {
        const sent = performance.now();
        requests.push(
          fetch(`${gateway.url}/alarms/sns`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' }, body })
            .then((response) => response.json() as Promise<{ outcome?: string; error?: string }>)
            .then((answer) => {
              answerMs.push(performance.now() - sent);
              const key = answer.outcome ?? `error ${answer.error ?? '?'}`;
              outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
            }),
        );
      }
      await sleep(spacing);
    }
    await Promise.all(requests);
    const started = outcomes.get('started') ?? 0;
    await waitFor(() => firstChanges(route53Changes(), gatewaySince).size >= started);
    const gatewayLatencies = [...firstChanges(route53Changes(), gatewaySince)].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b);

    console.log(`gateway bench: ${perCell * cells} SNS notifications over ${cells} cells (${perCell} at once per cell, a cell every ${spacing} ms), one gateway, one worker, simulated fleet`);
    console.log(`  answers      ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  gateway      ${gatewayLatencies.length} procedures: notification → first Route 53 change p50 ${percentile(gatewayLatencies, 0.5)} ms, p99 ${percentile(gatewayLatencies, 0.99)} ms`);
    answerMs.sort((a, b) => a - b);
    console.log(`  answers took p50 ${percentile(answerMs, 0.5).toFixed(1)} ms, p99 ${percentile(answerMs, 0.99).toFixed(1)} ms (HTTP round trip, decision and start included)`);
    console.log(`  floor        ${floorLatencies.length} bare starts: start → first activity p50 ${percentile(floorLatencies, 0.5)} ms, p99 ${percentile(floorLatencies, 0.99)} ms; → first Route 53 change p50 ${percentile(floorToChange, 0.5)} ms, p99 ${percentile(floorToChange, 0.99)} ms`);
    console.log(`  (before its first Route 53 change a restart reads the health of the ${cells} other cells in one batched activity and takes a drain permit)`);
    if (gatewayLatencies.length < started || floorLatencies.length < cells) console.log('  (some procedures had not reached the measured point within 180 s)');
    console.log(`bench:gateway: p50 ${percentile(gatewayLatencies, 0.5)} ms, p99 ${percentile(gatewayLatencies, 0.99)} ms, floor p99 ${percentile(floorLatencies, 0.99)} ms`);
  } finally {
    await gateway.close();
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      await client.workflow.getHandle(execution.workflowId, execution.runId).terminate('bench over').catch(() => undefined);
    }
    workers.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
