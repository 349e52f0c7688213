/**
 * The demonstration's running commentary: one line per step started or ended, per traffic
 * reading and per approval asked, printed as they happen (so it works in a log and a terminal).
 */
import type { ProcedureProgress } from '../../domain/procedures/progress';
import type { ProcedureReport } from '../../domain/procedures/report';
import { formatDuration } from './summary';

/** Remembers what was printed, so each change is printed once. */
export function createProgressPrinter(print: (line: string) => void): (progress: ProcedureProgress) => void {
  const seen = new Set<string>();
  const once = (key: string, line: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    print(line);
  };
  return (progress) => {
    once(`procedure:${progress.procedure}`, `▶ ${progress.procedure} on ${progress.cellId} (requested by ${progress.requestedBy})`);
    for (const [i, step] of progress.steps.entries()) {
      const id = `${progress.procedure}:${i}:${step.name}`;
      once(`${id}:start`, `  … ${step.name}`);
      if (step.status !== 'running') {
        const mark = { done: '✔', failed: '✘', skipped: '–', running: '…' }[step.status];
        const detail = step.detail ?? (step.status === 'failed' ? progress.lastError : undefined);
        once(`${id}:${step.status}`, `  ${mark} ${step.name}${detail ? `: ${detail}` : ''}`);
      }
    }
    for (const sample of progress.traffic ?? []) {
      const observed = sample.observedSharePercent === undefined ? '' : `, observed share ${sample.observedSharePercent.toFixed(1)}%`;
      once(`${progress.procedure}:traffic:${sample.at}:${sample.weight}:${sample.observedSharePercent ?? ''}`, `      weight ${sample.weight}${observed}`);
    }
    if (progress.pendingApproval) once(`${progress.procedure}:approval:${progress.pendingApproval.step}:${progress.pendingApproval.requestedAt}`, `  ? waiting for approval of ${progress.pendingApproval.step}`);
  };
}

/** The report, compactly: outcome, cell state, duration, error, recommendations. */
export function reportLines(report: ProcedureReport): string[] {
  const lines = [
    `report of ${report.workflowId} (${report.procedure}):`,
    `  outcome ${report.outcome}; cell ${report.cellId} ${report.cellEndState}; ${formatDuration(report.durationMs)} (${report.startedAt} → ${report.endedAt})`,
    `  reason: ${report.reason}`,
    `  customers affected: ${report.customersAffected}`,
  ];
  if (report.escalatedTo) lines.push(`  escalated to ${report.escalatedTo.procedure} (${report.escalatedTo.workflowId})`);
  if (report.dataLossWindow) lines.push(`  data loss window: ${report.dataLossWindow.from} → ${report.dataLossWindow.to}`);
  if (report.error) lines.push(`  error: ${report.error}`);
  for (const r of report.recommendations) lines.push(`  - ${r}`);
  return lines;
}
