/**
 * One procedure: what it is and where it stands, its steps as a timeline, the cell's traffic
 * chart, the pending approval with approve / reject, pause / resume / abort, and the report once
 * it has ended.
 */
import type { ProcedureView, StepView } from '../../data/procedure';
import { describeWaves } from '../../data/rollout-view';
import { CSRF_FIELD } from '../access';
import { html, pathSegment, type SafeHtml } from '../html';
import { trafficChart } from '../traffic-chart';
import { formatDuration, formatTime, progressMeter } from './layout';

export interface ProcedurePageInput {
  view: ProcedureView;
  /** The runbook's steps, to show those still to come. */
  plannedSteps?: readonly string[];
  /** The same workflow in the Temporal Web UI. */
  webUiUrl: string;
  /** The form token; no forms are shown without one (no identity). */
  formToken?: string;
  base: string;
  /** The server's time, for the running step's duration so far. */
  now: number;
}

export function procedurePage(input: ProcedurePageInput): SafeHtml {
  const { view } = input;
  return html`<h1>${view.procedure ?? view.workflowType} on ${view.cellId ? html`<a href="${input.base}/procedures?cell=${encodeURIComponent(view.cellId)}">${view.cellId}</a>` : 'an unknown cell'}</h1>
<section data-live="summary" class="panel">${summary(input)}</section>
<section data-live="approval" id="approval">${approval(input)}</section>
<section data-live="actions" data-keep-while-editing id="actions">${actions(input)}</section>
<h2>Steps</h2>
<section data-live="steps" id="steps">${timeline(view.steps, input)}</section>
<h2>Traffic</h2>
<section data-live="chart" id="chart">${trafficChart(view.traffic, view.trafficUnavailable)}</section>
<section data-live="decisions">${decisions(view)}</section>
<section data-live="report" id="report">${report(view)}</section>`;
}

/** Whether the page keeps refreshing: while the procedure runs, and after its end until its traffic readings were read. */
export function procedurePageIsLive(view: ProcedureView): boolean {
  return view.status === 'RUNNING' || view.trafficUnavailable !== undefined;
}

function stateOf(view: ProcedureView): string {
  return view.state ?? view.status.toLowerCase();
}

function summary({ view, webUiUrl, now }: ProcedurePageInput): SafeHtml {
  const state = stateOf(view);
  return html`<dl class="facts">
  <dt>State</dt><dd><span class="badge ${state}" id="state">${state}</span> <span class="muted">(Temporal: ${view.status})</span></dd>
  <dt>Current step</dt><dd id="current-step">${view.currentStep ?? '—'}</dd>
  ${view.progress ? html`<dt>Progress</dt><dd id="progress">${progressMeter(view.progress)} ${view.progress.unit}${view.waves ? html` · ${describeWaves(view.waves)}` : ''}</dd>` : ''}
  <dt>Workflow</dt><dd><code class="id">${view.workflowId}</code> <span class="muted">run ${view.runId}</span> · <a href="${webUiUrl}" target="_blank" rel="noopener noreferrer">open in the Temporal Web UI</a></dd>
  <dt>Requested by</dt><dd>${view.requestedBy ?? '—'}</dd>
  <dt>Started</dt><dd>${formatTime(view.startTime)}${view.closeTime ? html` · ended ${formatTime(view.closeTime)} (${formatDuration(Date.parse(view.closeTime) - Date.parse(view.startTime))})` : html` · running for ${formatDuration(now - Date.parse(view.startTime))}`}</dd>
  ${view.lastError ? html`<dt>Last error</dt><dd class="error">${view.lastError}</dd>` : ''}
  ${view.progressUnavailable ? html`<dt>Progress</dt><dd class="error">${view.progressUnavailable}</dd>` : ''}
  ${view.closeReason ? html`<dt>Ended</dt><dd>${view.closeReason}</dd>` : ''}
</dl>`;
}

function approval({ view }: ProcedurePageInput): SafeHtml {
  const pending = view.pendingApproval;
  if (!pending) return html``;
  return html`<div class="panel">
  <h2>Approval needed: <span id="approval-step">${pending.step}</span></h2>
  <dl class="facts">
    <dt>Asked</dt><dd>${formatTime(pending.requestedAt)}</dd>
    <dt>Deadline</dt><dd>${formatTime(pending.deadline)}, then it will <strong>${pending.onTimeout}</strong></dd>
    <dt>Approvals</dt><dd>${pending.approvers.length} of ${pending.approvalsNeeded}${pending.approvers.length ? html` (${pending.approvers.join(', ')})` : ''}</dd>
    <dt>Requested by</dt><dd>${view.requestedBy ?? '—'} (may not approve under four-eyes)</dd>
  </dl>
</div>`;
}

function actions({ view, formToken, base }: ProcedurePageInput): SafeHtml {
  if (view.status !== 'RUNNING') return html``;
  if (!formToken) return html`<p class="muted">Read-only: approving, pausing or aborting needs an identity (through the authenticating proxy, or a bearer token).</p>`;
  const target = `${base}/procedures/${pathSegment(view.workflowId)}`;
  const token = html`<input type="hidden" name="${CSRF_FIELD}" value="${formToken}">`;
  const pending = view.pendingApproval;
  const gate = pending
    ? html`<form method="post" action="${target}/approve" class="panel" id="approval-form">
  ${token}<input type="hidden" name="step" value="${pending.step}">
  <label for="approval-reason">Reason (required)</label><br>
  <textarea id="approval-reason" name="reason" rows="2" required maxlength="500"></textarea>
  <div class="buttons">
    <button type="submit" class="approve" formaction="${target}/approve">Approve</button>
    <button type="submit" class="reject" formaction="${target}/reject">Reject</button>
  </div>
</form>`
    : '';
  const paused = view.state === 'paused';
  return html`${gate}<form method="post" action="${target}/${paused ? 'resume' : 'pause'}" class="panel" id="control-form">
  ${token}
  <label for="control-reason">Reason (required to abort)</label><br>
  <input type="text" id="control-reason" name="reason" maxlength="500" size="60">
  <div class="buttons">
    ${paused
      ? html`<button type="submit" formaction="${target}/resume">Resume</button>`
      : html`<button type="submit" formaction="${target}/pause">Pause</button>`}
    <button type="submit" class="abort" formaction="${target}/abort" data-confirm="Abort ${view.procedure ?? 'the procedure'} on ${view.cellId ?? 'this cell'}?">Abort</button>
  </div>
</form>`;
}

const ICONS: Record<string, string> = { done: '✔', failed: '✖', running: '▶', skipped: '–' };

function timeline(steps: StepView[], { plannedSteps, now }: ProcedurePageInput): SafeHtml {
  const seen = new Set(steps.map((s) => s.name));
  const upcoming = (plannedSteps ?? []).filter((name) => !seen.has(name));
  if (steps.length === 0 && upcoming.length === 0) return html`<p class="muted">No step has started yet.</p>`;
  return html`<ol class="steps">
${steps.map(
  (s) => html`<li class="${s.status}${s.current ? ' current' : ''}" data-step="${s.name}" data-status="${s.status}">
  <span class="icon ${s.status}">${ICONS[s.status] ?? '?'}</span><span>${s.name}</span>
  <span>${s.durationMs !== undefined ? formatDuration(s.durationMs) : s.status === 'running' ? formatDuration(now - Date.parse(s.startedAt)) : ''}</span>
  <span class="muted">${formatTime(s.startedAt)}${s.detail ? html` · ${s.detail}` : ''}</span>
</li>`,
)}
${upcoming.map((name) => html`<li class="planned" data-step="${name}" data-status="planned"><span class="icon">○</span><span>${name}</span><span></span><span></span></li>`)}
</ol>`;
}

function decisions(view: ProcedureView): SafeHtml {
  if (view.decisions.length === 0) return html``;
  return html`<h2>Decisions</h2>
<table><thead><tr><th>When</th><th>Step</th><th>Who</th><th>Decision</th><th>Reason</th><th>Outcome</th></tr></thead><tbody>
${view.decisions.map(
  (d) => html`<tr><td>${formatTime(d.at)}</td><td>${d.step}</td><td>${d.approver}</td><td>${d.approved ? 'approve' : 'reject'} (${d.via})</td><td>${d.reason}</td><td>${d.outcome}${d.rejection ? html`: ${d.rejection}` : ''}</td></tr>`,
)}
</tbody></table>`;
}

function report(view: ProcedureView): SafeHtml {
  const r = view.report;
  if (!r) return html``;
  return html`<h2>Report</h2>
<div class="panel" id="report-panel">
<dl class="facts">
  <dt>Outcome</dt><dd><span class="badge ${r.outcome}" id="report-outcome">${r.outcome}</span></dd>
  <dt>Cell left</dt><dd><span class="badge ${r.cellEndState}" id="report-cell-state">${r.cellEndState}</span></dd>
  <dt>Reason</dt><dd>${r.reason}</dd>
  <dt>Duration</dt><dd>${formatDuration(r.durationMs)} (${formatTime(r.startedAt)} – ${formatTime(r.endedAt)})</dd>
  <dt>Customers affected</dt><dd>${r.customersAffected}</dd>
  ${r.error ? html`<dt>Error</dt><dd>${r.error}</dd>` : ''}
  ${r.escalatedTo ? html`<dt>Handed over to</dt><dd>${r.escalatedTo.procedure} (<code>${r.escalatedTo.workflowId}</code>)</dd>` : ''}
  ${r.dataLossWindow ? html`<dt>Data loss window</dt><dd>${formatTime(r.dataLossWindow.from)} – ${formatTime(r.dataLossWindow.to)}</dd>` : ''}
</dl>
<h3>Recommendations</h3>
<ul>${r.recommendations.map((line) => html`<li>${line}</li>`)}</ul>
<details><summary>Timeline (${r.timeline.length} entries)</summary><ul>${r.timeline.map((t) => html`<li>${formatTime(t.at)} ${t.event}</li>`)}</ul></details>
</div>`;
}
