/** `cellops resume <id>`: let a paused procedure go on. */
import type { Command } from 'commander';
import { resume } from '../../data/actions';
import type { CommandContext } from '../context';
import { requireIdentity } from './shared';

export function registerResume(program: Command, ctx: CommandContext): void {
  program
    .command('resume')
    .summary('let a paused procedure go on')
    .argument('<workflow-id>')
    .option('--by <who>', 'who resumes (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (workflowId: string, options: { by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'resumes');
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => resume(client, workflowId, { by }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`resume sent to ${workflowId}`);
    });
}
