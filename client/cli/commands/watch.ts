/** `cellops watch <id>`: the status, redrawn until the procedure ends; then its report. */
import { InvalidInputError } from '../../data/errors';
import type { Command } from 'commander';
import { getProcedure, type ProcedureView } from '../../data/procedure';
import { workflowWebUiUrl } from '../../data/web-ui';
import type { CommandContext } from '../context';
import { renderProcedure } from '../render/procedure';
import { registryIfReadable } from './shared';

const CLEAR_SCREEN = '\u001b[2J\u001b[H';

export function registerWatch(program: Command, ctx: CommandContext): void {
  program
    .command('watch')
    .summary('follow a procedure live until it ends, then print its report')
    .argument('<workflow-id>', 'e.g. cell-recovery-cell-002')
    .option('--interval <seconds>', 'between refreshes', '2')
    .option('--json', 'print each new state as one line of JSON')
    .action(async (workflowId: string, options: { interval: string; json?: boolean }, command: Command) => {
      const intervalMs = Number(options.interval) * 1000;
      if (!(intervalMs > 0)) throw new InvalidInputError(`--interval ${options.interval}: expected a number of seconds`);
      const registry = await registryIfReadable(ctx);
      await ctx.withClient(command.optsWithGlobals(), async (client) => {
        let previous: string | undefined;
        for (;;) {
          const view: ProcedureView = await getProcedure(client, workflowId, { registry });
          const frame = options.json
            ? JSON.stringify(view)
            : renderProcedure(view, ctx.c, workflowWebUiUrl(ctx.webUiUrl, view.namespace, view.workflowId, view.runId));
          if (frame !== previous) {
            if (options.json) ctx.print(frame);
            else if (ctx.io.isTTY) ctx.io.out(`${CLEAR_SCREEN}${frame}\n`);
            else ctx.print(`${previous === undefined ? '' : '\n'}${frame}`);
            previous = frame;
          }
          if (view.status !== 'RUNNING') return;
          await ctx.sleep(intervalMs);
        }
      });
    });
}
