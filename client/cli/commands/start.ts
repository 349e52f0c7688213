/** `cellops start <procedure> --cell <id>`: starts a procedure of the catalog under the cell's recovery id. */
import type { Command } from 'commander';
import { PROCEDURE_CATALOG } from '../../../domain/procedures/catalog';
import { InvalidInputError } from '../../data/errors';
import { startFromCatalog } from '../../data/start';
import type { CommandContext } from '../context';

export function registerStart(program: Command, ctx: CommandContext): void {
  program
    .command('start')
    .summary('start a procedure on a cell, or on the whole fleet')
    .description(
      `Starts a procedure on a cell, as cell-recovery-<cell> (one recovery per cell at a time; cellProvisioning takes the new cell's id), or one of the whole fleet (no --cell) as router-recovery-<fleet> or cascade-recovery-<fleet>.\n\nProcedures:\n${PROCEDURE_CATALOG.map((e) => `  ${e.procedure.padEnd(20)}${e.summary}`).join('\n')}`,
    )
    .argument('<procedure>', `one of ${PROCEDURE_CATALOG.map((e) => e.procedure).join(', ')}`)
    .option('--cell <id>', 'the cell (procedures of one cell only; the new cell\u2019s id for cellProvisioning)')
    .option('--reason <text>', 'why (kept in its input and report)')
    .option('--by <who>', 'who asks for it (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (procedure: string, options: { cell?: string; reason?: string; by?: string; json?: boolean }, command: Command) => {
      const by = ctx.identity(options.by);
      if (!by) throw new InvalidInputError('who starts it is unknown: give --by or set CELLOPS_USER');
      const registry = await ctx.loadRegistry();
      const result = await ctx.withClient(command.optsWithGlobals(), (client) =>
        startFromCatalog(client, { procedure, cellId: options.cell, reason: options.reason ?? `started by ${by} with cellops`, by, registry, webUiUrl: ctx.webUiUrl }),
      );
      if (options.json) return ctx.printJson(result);
      ctx.print(`started ${ctx.c.bold(result.procedure)} on ${ctx.c.bold(result.cellId)}: ${ctx.c.bold(result.workflowId)}`);
      ctx.print(`  Web UI: ${result.webUiUrl}`);
      ctx.print(`  follow it: cellops watch ${result.workflowId}`);
    });
}
