/**
 * Runs N workflows of three activities each, C at a time, through one worker against a server,
 * and measures workflows/s and start-to-result latency.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';

export interface ThroughputOptions {
  address: string;
  workflows: number;
  concurrency: number;
  /** Workflows run first and left out of the figures (bundle load, JIT, connection set-up). */
  warmup?: number;
}

export interface ThroughputResult {
  workflows: number;
  seconds: number;
  workflowsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

let runtimeInstalled = false;

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
    runtimeInstalled = true;
  }
  const taskQueue = `bench-${process.pid}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./three-activities.workflow'),
    activities: { step: (n: number) => Promise.resolve(n + 1) },
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 200,
  });
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  const running = worker.run();
  try {
    const runBatch = async (count: number, prefix: string): Promise<number[]> => {
      const latencies: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency, count) }, async () => {
          while (next < count) {
            const i = next++;
            const t0 = performance.now();
            const result: unknown = await client.workflow.execute('threeActivities', { taskQueue, workflowId: `${prefix}-${i}`, args: [i] });
            if (result !== i + 3) throw new Error(`workflow ${prefix}-${i} returned ${String(result)}, expected ${i + 3}`);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      return latencies;
    };
    await runBatch(options.warmup ?? 50, `${taskQueue}-warmup`);
    const t0 = performance.now();
    const latencies = await runBatch(options.workflows, taskQueue);
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
    return {
      workflows: options.workflows,
      seconds,
      workflowsPerSecond: options.workflows / seconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies[latencies.length - 1],
    };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  }
}
