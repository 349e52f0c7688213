/** What `cellops approve` and `cellops reject` share. */
import type { Command } from 'commander';
import { decide } from '../../data/actions';
import type { CommandContext } from '../context';
import { requireIdentity } from './shared';

export function registerDecision(program: Command, ctx: CommandContext, approved: boolean): void {
  const name = approved ? 'approve' : 'reject';
  program
    .command(name)
    .summary(`${name} the approval a procedure waits for`)
    .description(
      `${approved ? 'Approves' : 'Rejects'} the pending approval (the procedure's approve update). The procedure may refuse it and says why: ` +
        'nothing pending, another step pending, or the four-eyes policy (the requester cannot approve). ' +
        'Where the policy asks for more than one approver, the gate opens once that many distinct people approved.',
    )
    .argument('<workflow-id>', 'e.g. cell-recovery-cell-002')
    .requiredOption('--reason <text>', 'why (recorded with the decision)')
    .option('--by <who>', 'who decides (default CELLOPS_USER, else USER)')
    .option('--step <step>', 'the step meant (refused if another one is pending)')
    .option('--json', 'print the result as JSON')
    .action(async (workflowId: string, options: { reason: string; by?: string; step?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'decides');
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => decide(client, workflowId, approved, { by, reason: options.reason, step: options.step }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`${approved ? ctx.c.green('approved') : ctx.c.yellow('rejected')} ${result.step} of ${workflowId} as ${by}: ${result.outcome.message}`);
      const gate = result.stillPending;
      if (gate) ctx.print(`  approvals so far: ${gate.approvers.join(', ')} (${gate.approvers.length} of ${gate.approvalsNeeded}); still waiting for ${gate.approvalsNeeded - gate.approvers.length} more`);
    });
}
