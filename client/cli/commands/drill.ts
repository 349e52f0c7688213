/** `cellops drill schedule|list|pause|resume|delete`: recovery drills on a schedule. */
import type { Command } from 'commander';
import type { FreezeWindow } from '../../../domain/drills';
import { deleteDrill, listDrills, pauseDrill, resumeDrill, scheduleDrill } from '../../data/drills';
import { InvalidInputError } from '../../data/errors';
import type { CommandContext } from '../context';
import { requireIdentity } from './shared';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--freeze <start>/<end>[=reason]`. */
function freezeWindow(text: string): FreezeWindow {
  const [range, reason] = text.split('=');
  const [start, end] = range.split('/');
  if (!start || !end) throw new InvalidInputError(`--freeze ${text}: expected <start>/<end>[=reason] in ISO-8601`);
  return { start, end, reason: reason ?? 'change freeze' };
}

export function registerDrill(program: Command, ctx: CommandContext): void {
  const drill = program.command('drill').summary('recovery drills: a real procedure on a healthy cell, on a schedule');

  drill
    .command('schedule')
    .summary('schedule a drill of a procedure on a cell, or rotating through the fleet')
    .argument('[procedure]', 'the procedure to practise (cellRestart)', 'cellRestart')
    .requiredOption('--cron <expression>', 'when, as a cron expression (UTC unless --timezone), e.g. "0 10 * * TUE"')
    .requiredOption('--name <name>', 'the drill\'s name (its schedule is drill-<name>)')
    .option('--cell <id>', 'the cell to drill')
    .option('--rotate', 'one cell per drill, in turn through the fleet')
    .option('--timezone <zone>', 'time zone of the cron expression')
    .option('--blocking-alarm <name>', 'an alarm that skips the drill when in ALARM (repeatable; the cell\'s own alarms always count)', collect)
    .option('--outcome-alarm <name>', 'an alarm that aborts the drill when it fires (repeatable)', collect)
    .option('--freeze <start/end[=reason]>', 'a change freeze in which no drill runs (repeatable)', collect)
    .option('--by <who>', 'who schedules (default CELLOPS_USER, else USER)')
    .option('--json', 'print the result as JSON')
    .action(async (procedure: string, options: { cron: string; name: string; cell?: string; rotate?: boolean; timezone?: string; blockingAlarm?: string[]; outcomeAlarm?: string[]; freeze?: string[]; by?: string; json?: boolean }, command: Command) => {
      if (procedure !== 'cellRestart') throw new InvalidInputError(`drills practise cellRestart only (got ${procedure})`);
      const by = requireIdentity(ctx, options.by, 'schedules');
      const registry = await ctx.loadRegistry();
      const result = await ctx.withClient(command.optsWithGlobals(), (client) =>
        scheduleDrill(client, {
          name: options.name,
          procedure: 'cellRestart',
          cellId: options.cell,
          rotate: options.rotate,
          cron: options.cron,
          timezone: options.timezone,
          blockingAlarms: options.blockingAlarm,
          outcomeAlarms: options.outcomeAlarm,
          freezeWindows: (options.freeze ?? []).map(freezeWindow),
          requestedBy: by,
          registry,
        }),
      );
      if (options.json) return ctx.printJson(result);
      ctx.print(`drill ${options.name} scheduled as ${result.scheduleId}; next runs: ${result.nextRuns.join(', ') || 'none'}`);
    });

  drill
    .command('list')
    .summary('the drill schedules and their last outcomes')
    .option('--json', 'print the drills as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const drills = await ctx.withClient(command.optsWithGlobals(), (client) => listDrills(client));
      if (options.json) return ctx.printJson(drills);
      if (drills.length === 0) return ctx.print('no drills scheduled');
      for (const d of drills) {
        const last = d.lastRun ? `last ${d.lastRun.scheduledAt}: ${d.lastRun.outcome ?? d.lastRun.status.toLowerCase()}${d.lastRun.cellId ? ` on ${d.lastRun.cellId}` : ''}${d.lastRun.why ? ` (${d.lastRun.why})` : ''}` : 'not run yet';
        ctx.print(`${d.name}  ${d.cron}  ${d.paused ? `paused${d.note ? ` (${d.note})` : ''}` : `next ${d.nextRunAt ?? 'none'}`}  cells ${d.cells.join(',')}  ${last}`);
      }
    });

  for (const [name, summary, act] of [
    ['pause', 'stop a drill\'s schedule (until resume)', pauseDrill],
    ['resume', 'start a paused drill\'s schedule again', resumeDrill],
  ] as const) {
    drill
      .command(name)
      .summary(summary)
      .argument('<name>')
      .option('--reason <text>', 'why')
      .option('--by <who>', 'who (default CELLOPS_USER, else USER)')
      .action(async (drillName: string, options: { reason?: string; by?: string }, command: Command) => {
        const by = requireIdentity(ctx, options.by, name === 'pause' ? 'pauses' : 'resumes');
        await ctx.withClient(command.optsWithGlobals(), (client) => act(client, drillName, `${name}d by ${by}${options.reason ? `: ${options.reason}` : ''}`));
        ctx.print(`drill ${drillName} ${name}d`);
      });
  }

  drill
    .command('delete')
    .summary('delete a drill\'s schedule (a drill running now goes on to its end)')
    .argument('<name>')
    .action(async (drillName: string, _options: unknown, command: Command) => {
      await ctx.withClient(command.optsWithGlobals(), (client) => deleteDrill(client, drillName));
      ctx.print(`drill ${drillName} deleted`);
    });
}
