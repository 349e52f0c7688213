/** `cellops history <id> --out file.json`: a history a replay test can load. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { exportHistory } from '../../data/history';
import type { CommandContext } from '../context';

export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .summary('export a workflow history (JSON) for a replay test')
    .argument('<workflow-id>')
    .option('--out <file>', 'write it to this file (default: standard output)')
    .option('--run-id <id>', 'a specific run (default the latest)')
    .action(async (workflowId: string, options: { out?: string; runId?: string }, command: Command) => {
      const history = await ctx.withClient(command.optsWithGlobals(), (client) => exportHistory(client, workflowId, options.runId));
      if (!options.out) return ctx.io.out(history.json);
      await writeFile(options.out, history.json);
      ctx.io.err(`wrote ${history.events} events of ${workflowId} to ${options.out}\n`);
    });
}
