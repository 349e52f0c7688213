/**
 * Starts one procedure and prints its workflow id (and, with `--wait`, its final report):
 * `npx tsx client/start.ts cellRestart cell-002 --reason "HighErrorRate" --by alice@example.com --wait`.
 * Connects like the worker (`TEMPORAL_ADDRESS` etc. through envconfig, else localhost:7233) and
 * reads the registry from `CELLOPS_REGISTRY` (default `cells.yaml`, else `cells.example.yaml`).
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Command } from 'commander';
import type { ProcedureName } from '../domain/procedures/progress';
import { loadRegistry } from '../domain/registry';
import { loadWorkerConfig } from '../workers/config';
import { AlreadyInRecoveryError, startProcedure } from './start-procedure';

async function main(argv: string[]): Promise<void> {
  const program = new Command('start')
    .argument('<procedure>', 'workflow type, e.g. cellRestart')
    .argument('<cellId>')
    .option('--reason <text>', 'why', 'started by an operator')
    .option('--by <who>', 'who asks for it', process.env.USER ?? 'operator')
    .option('--wait', 'wait for the final report and print it')
    .parse(argv);
  const [procedure, cellId] = program.args as [ProcedureName, string];
  const options = program.opts<{ reason: string; by: string; wait?: boolean }>();
  const config = loadWorkerConfig();
  const registry = await loadRegistry(config.registryPath);
  const { connectionOptions, namespace } = config.temporal.kind === 'configured' ? loadClientConnectConfig() : { connectionOptions: { address: `127.0.0.1:${config.temporal.port}` }, namespace: config.temporal.namespace };
  const connection = await Connection.connect(connectionOptions);
  try {
    const client = new Client({ connection, namespace });
    const handle = await startProcedure(client, { procedure, input: { cellId, reason: options.reason, requestedBy: options.by, registry } });
    console.log(`started ${procedure} on ${cellId}: workflow ${handle.workflowId}`);
    if (options.wait) console.log(JSON.stringify(await handle.result(), null, 2));
  } catch (err) {
    if (err instanceof AlreadyInRecoveryError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    throw err;
  } finally {
    await connection.close();
  }
}

main(process.argv).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
