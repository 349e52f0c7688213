/**
 * `cellops plan <procedure> --cell <id>`: what a procedure would do, without starting anything;
 * `cellops plan deploy …`: a rollout's plan, the one `cellops deploy --dry-run` prints.
 */
import type { Command } from 'commander';
import { PROCEDURE_CATALOG } from '../../../domain/procedures/catalog';
import { planProcedure } from '../../data/plan';
import type { CommandContext } from '../context';
import { renderPlan } from '../render/tables';
import { deploymentFromOptions, printDeploymentPlan, withDeploymentOptions, type DeployOptions } from './deploy';

export function registerPlan(program: Command, ctx: CommandContext): void {
  const plan = program
    .command('plan')
    .summary('what a procedure would do on a cell or the fleet (steps, weights, time budget, approvals), without starting it')
    .argument('<procedure>', `one of ${PROCEDURE_CATALOG.map((e) => e.procedure).join(', ')}, or deploy (a rollout's waves, as deploy --dry-run)`)
    .option('--cell <id>', 'the cell (procedures of one cell only; the new cell\u2019s id for cellProvisioning)')
    .option('--json', 'print the data as JSON')
    .action(async (procedure: string, options: { cell?: string; json?: boolean }) => {
      const planned = planProcedure(await ctx.loadRegistry(), procedure, options.cell);
      if (options.json) return ctx.printJson(planned);
      ctx.print(renderPlan(planned, ctx.c, ctx.colorOn));
    });
  withDeploymentOptions(plan.command('deploy').summary('the waves, time budget and checks of a rollout, as `cellops deploy --dry-run` prints them')).action(async (options: DeployOptions, command: Command) => {
    // Nobody starts anything: who asks only goes into the (unused) input.
    const { plan: waves } = await deploymentFromOptions(ctx, options, ctx.identity(undefined) ?? 'cellops plan');
    // `--json` after `deploy` is taken by `plan`'s own option of that name.
    printDeploymentPlan(ctx, waves, command.optsWithGlobals<DeployOptions>().json);
  });
}
