/** Running and recent procedures, filterable by cell, procedure and status, with each one's step and progress. */
import type { ProcedureRow } from '../../data/list';
import { html, pathSegment, type SafeHtml } from '../html';
import { formatTime, progressMeter } from './layout';

/** A row with how far the procedure got, where the runbook's length is known. */
export interface ProcedureListRow extends ProcedureRow {
  progress?: { done: number; total: number };
}

export interface ProceduresPageInput {
  filter: { cell?: string; procedure?: string; status?: string };
  rows: ProcedureListRow[];
  truncated: boolean;
  /** Why the list could not be read (an invalid filter value, the server not answering). */
  error?: string;
  procedureNames: readonly string[];
  statuses: readonly string[];
  base: string;
}

export function proceduresPage(input: ProceduresPageInput): SafeHtml {
  const { filter, base } = input;
  const option = (value: string, selected: string | undefined) => html`<option value="${value}"${value.toLowerCase() === (selected ?? '').toLowerCase() ? html` selected` : ''}>${value || 'any'}</option>`;
  return html`<h1>Procedures</h1>
<form method="get" action="${base}/procedures" class="filters" id="filters">
  <label>Cell <input type="text" name="cell" value="${filter.cell ?? ''}" placeholder="cell-002"></label>
  <label>Procedure <select name="procedure">${['', ...input.procedureNames].map((p) => option(p, filter.procedure))}</select></label>
  <label>Status <select name="status">${['', ...input.statuses].map((s) => option(s, filter.status))}</select></label>
  <button type="submit">Filter</button>
  <a href="${base}/procedures">clear</a>
</form>
<section data-live="procedures" id="procedures">${table(input)}</section>`;
}

function table({ rows, truncated, error, base }: ProceduresPageInput): SafeHtml {
  if (error) return html`<p class="notice error" id="list-error">${error}</p>`;
  if (rows.length === 0) return html`<p class="muted">No procedure matches.</p>`;
  return html`<table>
<thead><tr><th>Procedure</th><th>Cell</th><th>Execution</th><th>Step</th><th>Progress</th><th>Started</th><th>Ended</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr data-workflow-id="${r.workflowId}">
  <td><a href="${base}/procedures/${pathSegment(r.workflowId)}">${r.procedure ?? r.workflowType}</a><br><code class="muted">${r.workflowId}</code></td>
  <td>${r.cellId ? html`<a href="${base}/procedures?cell=${encodeURIComponent(r.cellId)}">${r.cellId}</a>` : '—'}</td>
  <td><span class="badge ${r.status}">${r.status.toLowerCase().replace(/_/g, ' ')}</span></td>
  <td>${r.step ?? '—'}</td>
  <td>${r.progress ? progressMeter(r.progress) : ''}</td>
  <td>${formatTime(r.startTime)}</td>
  <td>${formatTime(r.closeTime)}</td>
</tr>`,
)}
</tbody></table>${truncated ? html`<p class="muted">More procedures match: narrow the filter.</p>` : ''}`;
}
