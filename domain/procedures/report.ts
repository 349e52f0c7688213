/**
 * The final report every procedure returns: what happened, when, to whom, and what to do
 * next, as in the runbooks' post-recovery analysis. Built by a pure function from the
 * procedure's progress, so a workflow, the CLI and a test build the same report.
 */
import type { DecisionRecord, ProcedureName, ProcedureProgress, StepRecord, TrafficSample } from './progress';

/** How the procedure ended. `escalated`: handed over to another procedure, which owns the cell now. */
export type ProcedureOutcome = 'completed' | 'failed' | 'aborted' | 'escalated';

/**
 * The state the cell was left in, said plainly (an abort must say which known-good state it chose).
 * - `in-service`: traffic restored to its in-service weight;
 * - `drained-operator-notified`: kept out of service, an operator notified and expected to act;
 * - `handed-over`: the next procedure (see `escalatedTo`) took over the cell as it was;
 * - `decommissioned`: replaced, then removed (data backed up, stack deleted, record removed).
 */
export type CellEndState = 'in-service' | 'drained-operator-notified' | 'handed-over' | 'decommissioned';

export interface TimelineEntry {
  /** ISO-8601, from the workflow's clock. */
  at: string;
  event: string;
}

export interface DataLossWindow {
  /** ISO-8601: writes after `from` and before `to` are lost. */
  from: string;
  to: string;
  durationMs: number;
}

export interface ProcedureReport {
  procedure: ProcedureName;
  cellId: string;
  workflowId: string;
  requestedBy: string;
  reason: string;
  outcome: ProcedureOutcome;
  cellEndState: CellEndState;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Step starts and ends plus the procedure's own notable events, in time order. */
  timeline: TimelineEntry[];
  steps: StepRecord[];
  /** Every approval decision received, counted or not: by update or by signal, and who gave it. */
  decisions: DecisionRecord[];
  /** Customers whose requests the procedure moved or interrupted. */
  customersAffected: number;
  /** Only where data could be lost (a restore from backup). */
  dataLossWindow?: DataLossWindow;
  error?: string;
  /** The workflow that took over, for `escalated`. */
  escalatedTo?: { procedure: ProcedureName; workflowId: string };
  recommendations: string[];
}

/** What the procedure knows beyond its progress. */
export interface ReportFacts {
  workflowId: string;
  reason: string;
  outcome: ProcedureOutcome;
  cellEndState: CellEndState;
  /** ISO-8601 end time (the workflow's clock at the end). */
  endedAt: string;
  customersAffected: number;
  events?: TimelineEntry[];
  dataLossWindow?: DataLossWindow;
  error?: string;
  escalatedTo?: { procedure: ProcedureName; workflowId: string };
  /** Recommendations only the procedure can make; the generic ones are derived here. */
  recommendations?: string[];
}

/** Builds the final report from the run's progress and the facts only the procedure knows. */
export function buildReport(progress: ProcedureProgress, facts: ReportFacts): ProcedureReport {
  const startedAt = progress.steps[0]?.startedAt ?? facts.endedAt;
  const timeline: TimelineEntry[] = [];
  for (const step of progress.steps) {
    timeline.push({ at: step.startedAt, event: `${step.name} started` });
    if (step.endedAt) timeline.push({ at: step.endedAt, event: `${step.name} ${step.status}${step.detail ? `: ${step.detail}` : ''}` });
  }
  for (const d of progress.decisions ?? []) timeline.push({ at: d.at, event: describeDecision(d) });
  for (const t of progress.traffic ?? []) {
    if (t.unmeasured) timeline.push({ at: t.at, event: describeUnmeasured(t.cellId ?? progress.cellId, t.weight, t.unmeasured) });
  }
  timeline.push(...(facts.events ?? []));
  timeline.push({ at: facts.endedAt, event: `${progress.procedure} ${facts.outcome}; cell ${facts.cellEndState}` });
  // Stable sort: entries at the same instant keep the order they were added in.
  timeline.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return {
    procedure: progress.procedure,
    cellId: progress.cellId,
    workflowId: facts.workflowId,
    requestedBy: progress.requestedBy,
    reason: facts.reason,
    outcome: facts.outcome,
    cellEndState: facts.cellEndState,
    startedAt,
    endedAt: facts.endedAt,
    durationMs: Math.max(0, Date.parse(facts.endedAt) - Date.parse(startedAt)),
    timeline,
    steps: progress.steps.map((s) => ({ ...s })),
    decisions: (progress.decisions ?? []).map((d) => ({ ...d })),
    customersAffected: facts.customersAffected,
    ...(facts.dataLossWindow ? { dataLossWindow: facts.dataLossWindow } : {}),
    ...(facts.error ?? progress.lastError ? { error: facts.error ?? progress.lastError } : {}),
    ...(facts.escalatedTo ? { escalatedTo: facts.escalatedTo } : {}),
    recommendations: recommend(progress, facts),
  };
}

/** A weight step taken without measurable traffic, as a timeline line. */
export function describeUnmeasured(cellId: string, weight: number, u: NonNullable<TrafficSample['unmeasured']>): string {
  return `${cellId} at weight ${weight}: no measurable traffic (${u.groupRequests} requests in the minute, fewer than ${u.minGroupRequestsPerMinute}); moved on the Route 53 change being in sync alone`;
}

/** One decision as a timeline line, e.g. `bob@example.com approved decommission (by signal): counted`. */
export function describeDecision(d: DecisionRecord): string {
  const what = `${d.approver || 'someone'} ${d.approved ? 'approved' : 'rejected'} ${d.step || '?'} (by ${d.via})`;
  return d.outcome === 'accepted' ? `${what}: counted` : `${what}: not counted, ${d.outcome === 'late' ? 'late' : 'rejected'}: ${d.rejection ?? ''}`;
}

function recommend(progress: ProcedureProgress, facts: ReportFacts): string[] {
  const out = [...(facts.recommendations ?? [])];
  const failed = progress.steps.filter((s) => s.status === 'failed');
  for (const step of failed) out.push(`Find the root cause of the failed step ${step.name}${step.detail ? ` (${step.detail})` : ''}.`);
  if (facts.outcome === 'aborted') out.push(`Review why the procedure was aborted and confirm the cell is as reported (${facts.cellEndState}).`);
  if (facts.cellEndState === 'drained-operator-notified') out.push(`Cell ${progress.cellId} is out of service: decide whether to restore, restart or replace it.`);
  const unmeasured = [...new Set((progress.traffic ?? []).filter((t) => t.unmeasured).map((t) => t.cellId ?? progress.cellId))];
  if (unmeasured.length > 0) out.push(`Traffic of ${unmeasured.join(', ')} could not be measured while it moved: confirm from the load balancers that it followed the weights.`);
  if (facts.dataLossWindow) out.push(`Reconcile writes lost between ${facts.dataLossWindow.from} and ${facts.dataLossWindow.to} with the affected customers.`);
  if (facts.outcome === 'completed' && failed.length === 0 && out.length === 0) out.push('No follow-up needed; watch the post-recovery alarms for the next day.');
  return out;
}
