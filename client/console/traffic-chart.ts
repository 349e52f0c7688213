/**
 * The cell's traffic over a procedure, drawn as SVG from `progress.traffic`: the Route 53 weight
 * set for the cell (a step line, left axis) and the share of the group's requests it was
 * observed to take (dots joined by a line, right axis).
 */
import type { TrafficSample } from '../../domain/procedures/progress';
import { html, type SafeHtml } from './html';

const WIDTH = 640;
const HEIGHT = 220;
const M = { left: 44, right: 48, top: 14, bottom: 30 };

/** The chart, or a line saying there is nothing to draw yet, or why the readings could not be read. */
export function trafficChart(samples: readonly TrafficSample[] | undefined, unavailable?: string): SafeHtml {
  const points = (samples ?? []).map((s) => ({ ...s, t: Date.parse(s.at) })).filter((s) => Number.isFinite(s.t));
  if (points.length === 0 && unavailable) return html`<p class="muted" id="traffic-unavailable">The traffic readings could not be read yet: ${unavailable}. Trying again.</p>`;
  if (points.length === 0) return html`<p class="muted">No traffic readings yet: the chart starts with the first drain or restore step.</p>`;
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 60_000);
  const maxWeight = Math.max(1, ...points.map((p) => p.weight));
  const shares = points.filter((p) => p.observedSharePercent !== undefined);
  const maxShare = Math.max(20, Math.ceil(Math.max(0, ...shares.map((p) => p.observedSharePercent!)) / 20) * 20);
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const x = (t: number) => round(M.left + ((t - t0) / (t1 - t0)) * plotW);
  const yWeight = (w: number) => round(M.top + plotH - (w / maxWeight) * plotH);
  const yShare = (s: number) => round(M.top + plotH - (s / maxShare) * plotH);

  let weightPath = `M${x(points[0].t)},${yWeight(points[0].weight)}`;
  for (const p of points.slice(1)) weightPath += ` H${x(p.t)} V${yWeight(p.weight)}`;
  weightPath += ` H${x(t1)}`;
  const sharePath = shares.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t)},${yShare(p.observedSharePercent!)}`).join(' ');
  const minutes = Math.round((t1 - t0) / 60_000);
  const last = points[points.length - 1];
  const lastShare = shares[shares.length - 1];

  return html`<figure class="chart">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Traffic weight and observed share over time" data-samples="${points.length}">
  <rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" class="plot"/>
  ${[0, 0.25, 0.5, 0.75, 1].map(
    (f) => html`<line x1="${M.left}" x2="${M.left + plotW}" y1="${round(M.top + plotH * (1 - f))}" y2="${round(M.top + plotH * (1 - f))}" class="grid"/>
  <text x="${M.left - 6}" y="${round(M.top + plotH * (1 - f)) + 4}" text-anchor="end" class="axis weight">${Math.round(maxWeight * f)}</text>
  <text x="${M.left + plotW + 6}" y="${round(M.top + plotH * (1 - f)) + 4}" class="axis share">${Math.round(maxShare * f)}%</text>`,
  )}
  <path d="${weightPath}" class="weight-line"/>
  ${sharePath ? html`<path d="${sharePath}" class="share-line"/>` : ''}
  ${shares.map((p) => html`<circle cx="${x(p.t)}" cy="${yShare(p.observedSharePercent!)}" r="3" class="share-dot"/>`)}
  <text x="${M.left}" y="${HEIGHT - 8}" class="axis">${clock(t0)}</text>
  <text x="${M.left + plotW}" y="${HEIGHT - 8}" text-anchor="end" class="axis">${clock(t1)} (+${minutes} min)</text>
</svg>
<figcaption><span class="key weight">■</span> weight (now ${last.weight}) <span class="key share">●</span> observed share${lastShare ? ` (last ${lastShare.observedSharePercent!.toFixed(1)}%)` : ''}</figcaption>
</figure>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}
