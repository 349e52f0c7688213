/** A procedure for a person: `cellops status` and each frame of `cellops watch`. */
import type { ProcedureView, StepView } from '../../data/procedure';
import { describeWaves } from '../../data/rollout-view';
import type { ProcedureReport } from '../../../domain/procedures/report';
import type { Colors } from '../style';
import { formatDuration, formatTime, progressBar, shellQuote } from './format';

const STATE_COLOR: Record<string, keyof Colors> = {
  running: 'cyan',
  paused: 'yellow',
  'awaiting-approval': 'yellow',
  aborting: 'red',
  completed: 'green',
  failed: 'red',
  aborted: 'yellow',
};

function paint(c: Colors, color: keyof Colors | undefined, text: string): string {
  const fn = color ? c[color] : undefined;
  return typeof fn === 'function' ? (fn as (s: string) => string)(text) : text;
}

function stepLine(c: Colors, step: StepView, nameWidth: number): string {
  const mark =
    step.status === 'done' ? c.green('✓') : step.status === 'failed' ? c.red('✗') : step.status === 'skipped' ? c.dim('-') : step.current ? c.cyan('▶') : c.cyan('…');
  const name = step.current ? c.bold(step.name.padEnd(nameWidth)) : step.name.padEnd(nameWidth);
  const time = step.durationMs !== undefined ? formatDuration(step.durationMs).padStart(8) : c.dim(`since ${formatTime(step.startedAt)}`);
  const detail = step.detail ? c.dim(`  ${step.detail}`) : '';
  return `  ${mark} ${name} ${time}${step.status === 'failed' ? c.red('  failed') : ''}${detail}`;
}

/** The commands that answer the pending approval. */
export function approvalCommands(workflowId: string): { approve: string; reject: string } {
  const id = shellQuote(workflowId);
  return {
    approve: `cellops approve ${id} --reason '<why>' --by <you>`,
    reject: `cellops reject ${id} --reason '<why>' --by <you>`,
  };
}

/** The procedure's status: header, progress bar, steps, traffic, pending approval, then the report once ended. */
export function renderProcedure(view: ProcedureView, c: Colors, webUiLink?: string): string {
  const lines: string[] = [];
  const state = view.state ?? view.status.toLowerCase();
  lines.push(`${c.bold(view.procedure ?? view.workflowType)} on ${c.bold(view.cellId ?? '?')}  ${view.workflowId}  ${paint(c, STATE_COLOR[state], state)}`);
  const who = view.requestedBy ? `requested by ${view.requestedBy}, ` : '';
  lines.push(c.dim(`${who}started ${formatTime(view.startTime)}${view.closeTime ? `, closed ${formatTime(view.closeTime)}` : ''} (${view.status})`));
  if (view.progress) lines.push(progressBar(view.progress.done, view.progress.total, view.progress.unit));
  if (view.waves) lines.push(describeWaves(view.waves));
  if (view.progressUnavailable) lines.push(c.yellow(`progress unavailable: ${view.progressUnavailable}`));

  const names = [...view.steps.map((s) => s.name), ...view.upcomingSteps];
  const width = Math.max(0, ...names.map((n) => n.length));
  if (names.length > 0) {
    lines.push('', 'Steps:');
    for (const step of view.steps) lines.push(stepLine(c, step, width));
    for (const name of view.upcomingSteps) lines.push(c.dim(`  · ${name}`));
  }

  if (view.traffic.length > 0) {
    lines.push('', 'Traffic:');
    const cells = [...new Set(view.traffic.map((t) => t.cellId ?? view.cellId ?? '?'))];
    for (const cellId of cells) {
      const samples = view.traffic.filter((t) => (t.cellId ?? view.cellId ?? '?') === cellId);
      const weights = samples.map((t) => t.weight).filter((w, i, all) => i === 0 || w !== all[i - 1]);
      const last = samples[samples.length - 1];
      const measured = [...samples].reverse().find((t) => t.observedSharePercent !== undefined);
      const share = measured?.observedSharePercent === undefined ? '' : `, observed share ${measured.observedSharePercent.toFixed(1)}%${measured.expectedSharePercent === undefined ? '' : ` (expected ${measured.expectedSharePercent.toFixed(1)}%)`}`;
      lines.push(`  ${cellId}: weight ${weights.join(' → ')} (now ${last.weight}${share}, ${formatTime(last.at)})`);
    }
  }

  const pending = view.pendingApproval;
  if (pending) {
    const commands = approvalCommands(view.workflowId);
    lines.push('', c.yellow(c.bold(`Awaiting approval: ${pending.step}`)) + ` until ${formatTime(pending.deadline)} (then ${pending.onTimeout})`);
    lines.push(`  approvals: ${pending.approvers.length} of ${pending.approvalsNeeded}${pending.approvers.length > 0 ? ` (${pending.approvers.join(', ')})` : ''}`);
    if (view.requestedBy) lines.push(c.dim(`  requested by ${view.requestedBy}, who may not approve it under a four-eyes policy`));
    lines.push(`  approve: ${c.bold(commands.approve)}`, `  reject:  ${commands.reject}`);
  }
  if (view.lastError && !view.report) lines.push('', c.red(`Last error: ${view.lastError}`));
  if (view.closeReason) lines.push('', `Ended: ${view.closeReason}`);
  if (view.report) lines.push('', renderReport(view.report, c));
  if (webUiLink) lines.push('', c.dim(`Web UI: ${webUiLink}`));
  return lines.join('\n');
}

/** The final report. */
export function renderReport(report: ProcedureReport, c: Colors): string {
  const outcomeColor = report.outcome === 'completed' ? c.green : report.outcome === 'failed' ? c.red : c.yellow;
  const lines = [
    c.bold('Report'),
    `  outcome:     ${outcomeColor(report.outcome)}`,
    `  cell:        ${report.cellId}, ${report.cellEndState}`,
    `  duration:    ${formatDuration(report.durationMs)} (${formatTime(report.startedAt)} → ${formatTime(report.endedAt)})`,
    `  customers:   ${report.customersAffected} affected`,
  ];
  if (report.dataLossWindow) lines.push(c.red(`  data loss:   ${formatTime(report.dataLossWindow.from)} → ${formatTime(report.dataLossWindow.to)} (${formatDuration(report.dataLossWindow.durationMs)})`));
  if (report.error) lines.push(`  error:       ${report.error}`);
  if (report.escalatedTo) lines.push(`  handed over: ${report.escalatedTo.procedure} (${report.escalatedTo.workflowId})`);
  if (report.recommendations.length > 0) {
    lines.push('  recommendations:');
    for (const r of report.recommendations) lines.push(`    - ${r}`);
  }
  return lines.join('\n');
}
