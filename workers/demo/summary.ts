/** The last line of a demonstration run, which CI reads, and the check behind the exit code. */
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Scenario } from './scenarios';

/** `27m 40s`, `45s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Whether the report is the end the scenario expects (procedure, outcome and cell state). */
export function reachedExpectedEnd(scenario: Scenario, report: ProcedureReport): boolean {
  const { procedure, outcome, cellEndState } = scenario.expected;
  return report.procedure === procedure && report.outcome === outcome && report.cellEndState === cellEndState;
}

/** `scenario restart: completed, cell cell-002 in-service, 27m 40s` (the procedure's own duration). */
export function summaryLine(scenario: Scenario, report: ProcedureReport | undefined, failure?: string): string {
  if (report === undefined) return `scenario ${scenario.name}: failed, cell ${scenario.cellId} unknown, ${failure ?? 'no report'}`;
  return `scenario ${scenario.name}: ${report.outcome}, cell ${report.cellId} ${report.cellEndState}, ${formatDuration(report.durationMs)}`;
}
