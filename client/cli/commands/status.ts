/** `cellops status <id>`: where a procedure is, or how it ended. */
import type { Command } from 'commander';
import { getProcedure } from '../../data/procedure';
import { workflowWebUiUrl } from '../../data/web-ui';
import type { CommandContext } from '../context';
import { renderProcedure } from '../render/procedure';
import { registryIfReadable } from './shared';

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .summary("a procedure's steps, traffic, pending approval or report")
    .argument('<workflow-id>', 'e.g. cell-recovery-cell-002')
    .option('--json', 'print the data as JSON')
    .action(async (workflowId: string, options: { json?: boolean }, command: Command) => {
      const registry = await registryIfReadable(ctx);
      const view = await ctx.withClient(command.optsWithGlobals(), (client) => getProcedure(client, workflowId, { registry }));
      if (options.json) return ctx.printJson(view);
      ctx.print(renderProcedure(view, ctx.c, workflowWebUiUrl(ctx.webUiUrl, view.namespace, view.workflowId, view.runId)));
    });
}
