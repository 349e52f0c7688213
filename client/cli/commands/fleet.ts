/** `cellops fleet`: the registry's cells with live weight, health and the procedure on each. */
import type { Command } from 'commander';
import { getFleetView } from '../../data/fleet';
import type { CommandContext } from '../context';
import { renderFleet } from '../render/tables';

export function registerFleet(program: Command, ctx: CommandContext): void {
  program
    .command('fleet')
    .summary("the cells, each with its live Route 53 weight, alarms and running procedure")
    .option('--json', 'print the data as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const registry = await ctx.loadRegistry();
      const live = await ctx.fleetReader(registry);
      try {
        const view = await ctx.withClient(command.optsWithGlobals(), (client) => getFleetView(client, { registry, reader: live.reader, unavailable: live.unavailable }));
        if (options.json) return ctx.printJson(view);
        ctx.print(renderFleet(view, ctx.c, ctx.colorOn));
      } finally {
        live.close?.();
      }
    });
}
