/** `cellops capacity-watch status`: the watch's state, each cell's size and load, what is in flight, the last decisions. */
import Table from 'cli-table3';
import { describeAction } from '../../../domain/procedures/capacity-watch';
import type { CapacityWatchView } from '../../data/capacity-watch';
import type { Colors } from '../style';
import { formatTime } from './format';

/** Decisions shown (the query keeps more; `--json` gives them all). */
const DECISIONS_SHOWN = 10;

export function renderCapacityWatch(view: CapacityWatchView, c: Colors, colorOn: boolean): string {
  const head = `capacity watch of ${c.bold(view.fleet)}: ${c.bold(view.workflowId)}`;
  const { watch } = view;
  if (!watch) return [head, `  not running (${view.status.toLowerCase()}); \`cellops capacity-watch start\` starts it again`, `  Web UI: ${view.webUiUrl}`].join('\n');
  const state = watch.state === 'watching' ? c.green('watching') : watch.state === 'paused' ? c.yellow('paused') : watch.state;
  const { options } = watch;
  const lines = [
    head,
    `  ${state}, ${watch.checks} check(s)${watch.lastCheckAt ? `, last at ${formatTime(watch.lastCheckAt)}` : ''}; every ${options.intervalSeconds} s, hot above ${options.thresholdPercent}%, room below ${options.roomPercent}%`,
  ];
  const t = new Table({
    head: ['cell', 'utilisation', 'capacity', 'customers', 'weight'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: colorOn ? ['cyan'] : [], border: colorOn ? ['grey'] : [] },
  });
  for (const cell of watch.cells) {
    const reading = watch.readings.find((r) => r.cellId === cell.cellId);
    const percent = reading?.utilizationPercent;
    const utilisation = percent === null || percent === undefined ? c.dim('?') : percent > options.thresholdPercent ? c.red(`${percent}%`) : `${percent}%`;
    t.push([cell.cellId, utilisation, `${cell.capacityRps} rps (${cell.scalePercent}%)`, String(cell.customers), String(cell.weight)]);
  }
  lines.push(t.toString());
  lines.push(`  in flight: ${watch.inFlight.map(describeAction).join('; ') || 'nothing'}`);
  const decisions = watch.decisions.slice(-DECISIONS_SHOWN);
  lines.push(decisions.length === 0 ? '  no decision yet' : `  last decisions:`);
  for (const d of decisions) lines.push(`    ${formatTime(d.at)} #${d.check} ${d.cellId} ${d.outcome}: ${d.detail}`);
  lines.push(`  Web UI: ${view.webUiUrl}`);
  return lines.join('\n');
}
