/** The frame of every console page: navigation, who is signed in, the notice area, the live script. */
import type { Identity } from '../access';
import { html, type SafeHtml } from '../html';

export interface PageFrame {
  title: string;
  section: 'fleet' | 'procedures';
  /** Where the console is mounted, e.g. `/console`. */
  base: string;
  identity?: Identity;
  /** How often the page refreshes its live parts. */
  pollMs: number;
}

export function page(frame: PageFrame, body: SafeHtml): string {
  const { base } = frame;
  const current = (section: PageFrame['section']) => (frame.section === section ? html` aria-current="page"` : '');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · cellops console</title>
<link rel="stylesheet" href="${base}/assets/console.css">
<script src="${base}/assets/console.js" defer></script>
</head>
<body data-poll-ms="${frame.pollMs}">
<header>
  <a class="brand" href="${base}/fleet">cellops</a>
  <a href="${base}/fleet"${current('fleet')}>Fleet</a>
  <a href="${base}/procedures"${current('procedures')}>Procedures</a>
  <span class="who">${frame.identity ? html`signed in as <strong id="identity">${frame.identity.name}</strong>` : 'read-only (no identity)'}</span>
</header>
<main>
<div id="notice" class="notice" role="status" hidden></div>
${body}
</main>
</body>
</html>
`.value;
}

/** `1 h 02 m`, `3 m 05 s`, `12 s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** `2026-12-02 14:05:09 UTC`. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** How far a procedure got: a meter and `done/total`. */
export function progressMeter(progress: { done: number; total: number }): SafeHtml {
  return html`<progress max="${progress.total}" value="${progress.done}"></progress> ${progress.done}/${progress.total}`;
}
