/** `cellops abort <id> --reason …`: stop a procedure; it leaves the cell in a known-good state. */
import type { Command } from 'commander';
import { abort } from '../../data/actions';
import type { CommandContext } from '../context';
import { requireIdentity } from './shared';

export function registerAbort(program: Command, ctx: CommandContext): void {
  program
    .command('abort')
    .summary('stop a procedure (it puts the cell in a known-good state and says which)')
    .argument('<workflow-id>')
    .requiredOption('--reason <text>', 'why')
    .option('--by <who>', 'who aborts (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (workflowId: string, options: { reason: string; by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'aborts');
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => abort(client, workflowId, { by, reason: options.reason }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`abort sent to ${workflowId}: it puts the cell back and reports the state it left it in; \`cellops watch ${workflowId}\` follows it`);
    });
}
