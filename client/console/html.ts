/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * {@link SafeHtml} (the output of another `html` template or of {@link trustedHtml}), so
 * nothing a person typed and no id reaches the page as markup.
 */

/** A fragment of markup known to be safe (escaped or produced by this module). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** A value an `html` template accepts: text (escaped), safe markup, a list of either, or nothing. */
export type HtmlValue = string | number | boolean | SafeHtml | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** The tagged template: `html\`<td>${cellId}</td>\`` escapes `cellId`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup produced by code (never by input): an SVG drawn from numbers, a fixed script tag. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** A URL path segment (workflow ids may hold any character). */
export function pathSegment(text: string): string {
  return encodeURIComponent(text);
}
