/** `cellops list`: procedures, through the search attributes. */
import type { Command } from 'commander';
import { EXECUTION_STATUSES, listProcedures } from '../../data/list';
import { InvalidInputError } from '../../data/errors';
import type { CommandContext } from '../context';
import { renderList } from '../render/tables';

export function registerList(program: Command, ctx: CommandContext): void {
  program
    .command('list')
    .summary('procedures, filtered by cell, procedure, status or step')
    .option('--cell <id>', 'only this cell (CellId)')
    .option('--procedure <name>', 'only this procedure (Procedure)')
    .option('--status <status>', `execution status: ${EXECUTION_STATUSES.join(', ')}`)
    .option('--step <step>', 'only procedures at (or last at) this step (Step)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print the data as JSON')
    .action(async (options: { cell?: string; procedure?: string; status?: string; step?: string; limit: string; json?: boolean }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError(`--limit ${options.limit}: expected a positive whole number`);
      const list = await ctx.withClient(command.optsWithGlobals(), (client) =>
        listProcedures(client, { cellId: options.cell, procedure: options.procedure, status: options.status, step: options.step, limit }),
      );
      if (options.json) return ctx.printJson(list);
      ctx.print(renderList(list, ctx.c, ctx.colorOn));
    });
}
