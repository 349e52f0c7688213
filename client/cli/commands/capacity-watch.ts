/**
 * `cellops capacity-watch start|status|pause|resume|stop`: the fleet's capacity watch
 * (`capacityWatch`, as `capacity-watch-<fleet>`, one per fleet; the fleet is the registry's).
 */
import type { Command } from 'commander';
import type { CapacityWatchInput } from '../../../domain/procedures/capacity-watch';
import { capacityWatchWorkflowId } from '../../../domain/workflow-ids';
import { abort, pause, resume } from '../../data/actions';
import { getCapacityWatch, startFleetCapacityWatch } from '../../data/capacity-watch';
import { InvalidInputError } from '../../data/errors';
import type { CommandContext } from '../context';
import { renderCapacityWatch } from '../render/capacity-watch';
import { requireIdentity } from './shared';

interface StartOptions {
  interval?: string;
  threshold?: string;
  room?: string;
  move?: string;
  maxScale?: string;
  scaleStep?: string;
  checksPerRun?: string;
  reason?: string;
  by?: string;
  json?: boolean;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError(`${flag} expects a whole number above 0, got "${value}"`);
  return n;
}

function percent(value: string | undefined, flag: string): number | undefined {
  const n = positive(value, flag);
  if (n !== undefined && n > 100) throw new InvalidInputError(`${flag} expects a percentage up to 100, got "${value}"`);
  return n;
}

/** The watch's options from the command line (those not given keep their defaults). */
export function capacityWatchOptionsFrom(o: StartOptions): CapacityWatchInput['options'] {
  const defined = <T extends object>(entries: T): Partial<T> => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Partial<T>;
  const scaling = defined({ maxPercent: positive(o.maxScale, '--max-scale'), stepPercent: positive(o.scaleStep, '--scale-step') });
  const options = defined({
    intervalSeconds: positive(o.interval, '--interval'),
    thresholdPercent: percent(o.threshold, '--threshold'),
    roomPercent: percent(o.room, '--room'),
    movePercent: percent(o.move, '--move'),
    checksPerRun: positive(o.checksPerRun, '--checks-per-run'),
  });
  return { ...options, ...(Object.keys(scaling).length > 0 ? { scaling } : {}) };
}

export function registerCapacityWatch(program: Command, ctx: CommandContext): void {
  const watch = program
    .command('capacity-watch')
    .summary('start, follow, pause, resume or stop the fleet\u2019s capacity watch')
    .description(
      'The capacity watch (capacityWatch, as capacity-watch-<fleet>, one per fleet) reads every cell\u2019s utilisation each interval and, for a cell over the threshold, scales it up, moves customers to a cell with room, or provisions a new cell once approved.',
    );
  const fleetOf = async (): Promise<string> => (await ctx.loadRegistry()).fleet.name;

  watch
    .command('start')
    .summary('start the watch on the registry\u2019s fleet')
    .option('--interval <seconds>', 'between checks (default 300)')
    .option('--threshold <percent>', 'a cell above it is hot (default 80)')
    .option('--room <percent>', 'a cell takes customers only under it (default 60)')
    .option('--move <percent>', 'share of a hot cell\u2019s customers moved at once (default 25)')
    .option('--max-scale <percent>', 'largest size of a cell, in percent of its template\u2019s (default 200)')
    .option('--scale-step <percent>', 'added per scale-up (default 50)')
    .option('--checks-per-run <n>', 'checks before it continues as new (default 48)')
    .option('--reason <text>', 'why (kept in its input and report)')
    .option('--by <who>', 'who starts it (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (options: StartOptions, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'starts it');
      const watchOptions = capacityWatchOptionsFrom(options);
      const registry = await ctx.loadRegistry();
      const result = await ctx.withClient(command.optsWithGlobals(), (client) =>
        startFleetCapacityWatch(client, { registry, by, reason: options.reason ?? `capacity watch started by ${by} with cellops`, options: watchOptions, webUiUrl: ctx.webUiUrl }),
      );
      if (options.json) return ctx.printJson(result);
      ctx.print(`started ${ctx.c.bold('capacityWatch')} on ${ctx.c.bold(result.fleet)}: ${ctx.c.bold(result.workflowId)}`);
      ctx.print(`  Web UI: ${result.webUiUrl}`);
      ctx.print('  follow it: cellops capacity-watch status');
    });

  watch
    .command('status')
    .summary('what it watches, what is in flight, its last decisions')
    .option('--json', 'print the data as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const fleet = await fleetOf();
      const view = await ctx.withClient(command.optsWithGlobals(), (client) => getCapacityWatch(client, fleet, ctx.webUiUrl));
      if (options.json) return ctx.printJson(view);
      ctx.print(renderCapacityWatch(view, ctx.c, ctx.colorOn));
    });

  watch
    .command('pause')
    .summary('hold its checks (actions running finish) until resume')
    .option('--reason <text>', 'why')
    .option('--by <who>', 'who pauses (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { reason?: string; by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'pauses');
      const workflowId = capacityWatchWorkflowId(await fleetOf());
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => pause(client, workflowId, { by, reason: options.reason }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`pause sent to ${workflowId}: it takes no check until \`cellops capacity-watch resume\``);
    });

  watch
    .command('resume')
    .summary('let a paused watch carry on')
    .option('--by <who>', 'who resumes (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'resumes');
      const workflowId = capacityWatchWorkflowId(await fleetOf());
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => resume(client, workflowId, { by }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`resume sent to ${workflowId}`);
    });

  watch
    .command('stop')
    .summary('stop the watch once the actions running end')
    .requiredOption('--reason <text>', 'why')
    .option('--by <who>', 'who stops it (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { reason: string; by?: string; json?: boolean }, command: Command) => {
      const by = requireIdentity(ctx, options.by, 'stops it');
      const workflowId = capacityWatchWorkflowId(await fleetOf());
      const result = await ctx.withClient(command.optsWithGlobals(), (client) => abort(client, workflowId, { by, reason: options.reason }));
      if (options.json) return ctx.printJson(result);
      ctx.print(`stop sent to ${workflowId}: it ends once the actions running are done; \`cellops status ${workflowId}\` shows its report`);
    });

  for (const sub of watch.commands) sub.exitOverride().configureOutput(program.configureOutput());
}
