/** Every cell of the registry as a tile (health, live weight, customers, its procedure), and the drain permits in use. */
import type { FleetCellView, FleetView } from '../../data/fleet';
import type { DrainPermitsView } from '../../data/permits';
import { html, pathSegment, type SafeHtml } from '../html';
import { formatTime } from './layout';

export interface FleetPageInput {
  fleet: FleetView;
  permits: DrainPermitsView;
  base: string;
}

export function fleetPage(input: FleetPageInput): SafeHtml {
  const { fleet } = input;
  return html`<h1>Fleet ${fleet.fleet} <span class="muted">(${fleet.region})</span></h1>
<section data-live="fleet" id="fleet">
${permits(input.permits)}
${fleet.problems.length ? html`<p class="notice error">${fleet.problems.join('; ')}</p>` : ''}
<div class="tiles">${fleet.cells.map((cell) => tile(cell, input))}</div>
<p class="muted">Live values from ${fleet.liveSource ?? 'nowhere (no reader configured)'}.</p>
</section>`;
}

/** `in-service`, `drained` or `partly drained`, from the live weight against the registry's. */
export function trafficState(cell: Pick<FleetCellView, 'liveWeight' | 'registryWeight'>): 'in-service' | 'drained' | 'partly-drained' | 'unknown' {
  if (cell.liveWeight === null) return 'unknown';
  if (cell.liveWeight === 0 && cell.registryWeight > 0) return 'drained';
  return cell.liveWeight < cell.registryWeight ? 'partly-drained' : 'in-service';
}

function tile(cell: FleetCellView, { base, permits: held }: FleetPageInput): SafeHtml {
  const traffic = trafficState(cell);
  const permit = held.held.find((p) => p.cellId === cell.cellId);
  const alarming = cell.alarms.filter((a) => a.state !== 'OK');
  return html`<article class="tile ${cell.health}${traffic === 'drained' || traffic === 'partly-drained' ? ' drained' : ''}" data-cell="${cell.cellId}">
  <h3><a href="${base}/procedures?cell=${encodeURIComponent(cell.cellId)}">${cell.cellId}</a> <span class="badge ${cell.health}">${cell.health}</span></h3>
  <dl>
    <dt>Traffic</dt><dd><span class="badge ${traffic}" data-traffic="${traffic}">${traffic.replace('-', ' ')}</span></dd>
    <dt>Weight</dt><dd data-weight="${cell.liveWeight ?? ''}">${cell.liveWeight ?? '?'} / ${cell.registryWeight}</dd>
    <dt>Customers</dt><dd>${cell.customers}</dd>
    <dt>Capacity</dt><dd>${cell.capacity} rps</dd>
    ${alarming.length ? html`<dt>Alarms</dt><dd>${alarming.map((a) => html`${a.name} (${a.state}) `)}</dd>` : ''}
    <dt>Procedure</dt><dd>${
      cell.procedure
        ? html`<a href="${base}/procedures/${pathSegment(cell.procedure.workflowId)}" class="procedure-link">${cell.procedure.procedure ?? cell.procedure.workflowId}</a>${cell.procedure.step ? html` · ${cell.procedure.step}` : ''}`
        : html`<span class="muted">none</span>`
    }</dd>
    ${permit ? html`<dt>Permit</dt><dd>held by <code>${permit.holder}</code> since ${formatTime(permit.grantedAt)}</dd>` : ''}
  </dl>
</article>`;
}

function permits(view: DrainPermitsView): SafeHtml {
  return html`<div class="panel" id="permits">
  <strong>Drain permits:</strong> <span id="permits-in-use">${view.held.length} of ${view.maxCellsOut}</span> cells out,
  ${view.capacityOutPercent.toFixed(0)}% of ${view.maxCapacityOutPercent}% capacity
  <progress max="${view.maxCellsOut}" value="${view.held.length}"></progress>
  ${view.unavailable ? html`<span class="muted">${view.unavailable}</span>` : ''}
</div>`;
}
