/** `cellops plan <procedure> --cell <id>`: what a procedure would do, without starting anything. */
import type { Command } from 'commander';
import { PROCEDURE_CATALOG } from '../../../domain/procedures/catalog';
import { planProcedure } from '../../data/plan';
import type { CommandContext } from '../context';
import { renderPlan } from '../render/tables';

export function registerPlan(program: Command, ctx: CommandContext): void {
  program
    .command('plan')
    .summary('what a procedure would do on a cell or the fleet (steps, weights, time budget, approvals), without starting it')
    .argument('<procedure>', `one of ${PROCEDURE_CATALOG.map((e) => e.procedure).join(', ')}`)
    .option('--cell <id>', 'the cell (procedures of one cell only)')
    .option('--json', 'print the data as JSON')
    .action(async (procedure: string, options: { cell?: string; json?: boolean }) => {
      const plan = planProcedure(await ctx.loadRegistry(), procedure, options.cell);
      if (options.json) return ctx.printJson(plan);
      ctx.print(renderPlan(plan, ctx.c, ctx.colorOn));
    });
}
