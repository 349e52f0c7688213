/** `cellops pause <id>`: hold the procedure before its next step. */
import type { Command } from 'commander';
import { pause } from '../../data/actions';
import type { CommandContext } from '../context';
import { requireIdentity } from './shared';

export function registerPause(program: Command, ctx: CommandContext): void {
  program
    .command('pause')
    .summary('hold a procedure before its next step (until resume)')
    .argument('<workflow-id>')
    .option('--reason <text>', 'why')
    .option('--by <who>', 'who pauses (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (workflowId: string, options: { reason?: string; by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'pauses');
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => pause(client, workflowId, { by, reason: options.reason }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`pause sent to ${workflowId}: it holds before its next step; \`cellops resume ${workflowId}\` lets it go on`);
    });
}
