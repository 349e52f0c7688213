/** Tables: `cellops list`, `cellops fleet`, `cellops plan`. */
import Table from 'cli-table3';
import type { FleetView } from '../../data/fleet';
import type { ProcedureList } from '../../data/list';
import type { ProcedurePlan } from '../../../domain/procedures/plans/types';
import type { Colors } from '../style';
import { formatDuration, formatTime } from './format';

function table(head: string[], colorOn: boolean): Table.Table {
  // No rule between rows: compact, as `gh` and `kubectl` print.
  const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  return new Table({ head, chars, style: { head: colorOn ? ['cyan'] : [], border: colorOn ? ['grey'] : [] } });
}

export function renderList(list: ProcedureList, c: Colors, colorOn: boolean): string {
  if (list.rows.length === 0) return `no procedures match${list.query ? ` (${list.query})` : ''}`;
  const t = table(['workflow id', 'procedure', 'cell', 'step', 'status', 'started', 'closed'], colorOn);
  for (const r of list.rows) {
    const status = r.status === 'RUNNING' ? c.cyan(r.status) : r.status === 'COMPLETED' ? c.green(r.status) : r.status === 'FAILED' ? c.red(r.status) : r.status;
    t.push([r.workflowId, r.procedure ?? r.workflowType, r.cellId ?? '', r.step ?? '', status, formatTime(r.startTime), formatTime(r.closeTime)]);
  }
  return `${t.toString()}${list.truncated ? `\n${c.dim(`only the first ${list.rows.length}; narrow the filter or raise --limit`)}` : ''}`;
}

export function renderFleet(view: FleetView, c: Colors, colorOn: boolean): string {
  const t = table(['cell', 'region', 'weight (live / in service)', 'health', 'customers', 'procedure'], colorOn);
  for (const cell of view.cells) {
    const live = cell.liveWeight === null ? c.dim('?') : cell.liveWeight === cell.registryWeight ? String(cell.liveWeight) : c.yellow(String(cell.liveWeight));
    const inAlarm = cell.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
    const health = cell.health === 'alarm' ? c.red(`ALARM ${inAlarm.join(', ')}`) : cell.health === 'healthy' ? c.green('ok') : c.dim('unknown');
    const procedure = cell.procedure ? `${cell.procedure.procedure ?? ''} ${cell.procedure.step ? `(${cell.procedure.step})` : ''}\n${c.dim(cell.procedure.workflowId)}` : '';
    const lifecycle = cell.lifecycle ? `\n${c.dim(cell.lifecycle.state)}` : '';
    const name = `${cell.cellId}${cell.inRegistry ? '' : c.yellow(' (not in the registry)')}${lifecycle}`;
    t.push([name, cell.region, `${live} / ${cell.registryWeight}`, health, String(cell.customers), procedure]);
  }
  const header = `${c.bold(view.fleet)} (${view.region})${view.liveSource ? c.dim(`, live values from ${view.liveSource}`) : ''}`;
  const problems = view.problems.map((p) => c.yellow(`! ${p}`));
  return [header, t.toString(), ...problems].join('\n');
}

export function renderPlan(plan: ProcedurePlan, c: Colors, colorOn: boolean): string {
  const t = table(['#', 'step', 'what it does', 'weights', 'at least'], colorOn);
  plan.steps.forEach((s, i) => {
    const gate = s.approval ? `\n${s.approval.required ? c.yellow(`approval: ${approvalText(s.approval)}`) : c.dim('approval: not required by the policy')}` : '';
    const only = s.onlyIf ? `\n${c.dim(`only if ${s.onlyIf}`)}` : '';
    t.push([String(i + 1), s.name, `${s.does}${gate}${only}`, s.weights?.join(' → ') ?? '', s.minSeconds ? formatDuration(s.minSeconds * 1000) : '']);
  });
  const { timeBudget: budget, blastRadius } = plan;
  const lines = [
    `${c.bold(plan.procedure)} on ${c.bold(plan.cellId)} ${c.dim('(plan only: nothing is started)')}`,
    plan.summary,
    t.toString(),
    `Time budget: at least ${formatDuration(budget.minimumSeconds * 1000)} of pacing and watching${budget.approvalWaitUpToSeconds > 0 ? `, plus up to ${formatDuration(budget.approvalWaitUpToSeconds * 1000)} waiting for approvals` : ''}`,
    ...budget.notes.map((n) => c.dim(`  - ${n}`)),
    `Approvals: ${plan.approvals.filter((a) => a.required).map((a) => `${a.step} (${approvalText(a)})`).join('; ') || 'none required by the policy'}`,
    `Blast radius: ${blastRadius.note ?? `this cell is ${blastRadius.cellCapacityPercent}% of the fleet's capacity; at most ${blastRadius.maxCellsOut} cell(s) and ${blastRadius.maxCapacityOutPercent}% out at once`}`,
  ];
  return lines.join('\n');
}

function approvalText(a: ProcedurePlan['approvals'][number]): string {
  const who = `${a.minApprovers} approver${a.minApprovers > 1 ? 's' : ''}${a.fourEyes ? ' other than the requester' : ''}`;
  return `${who}, ${formatDuration(a.timeoutSeconds * 1000)} then ${a.onTimeout}`;
}
