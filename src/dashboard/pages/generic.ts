// Any JSON value as escaped HTML: for record fields this dashboard does not know yet (other
// versions add them) and for records that no longer check out, which are shown as found.
import { html } from 'hono/html';
import type { Html } from './layout.js';

const MAX_DEPTH = 6;

export function genericValue(v: unknown, depth = 0): Html {
  if (v === null || v === undefined) return html`<span class="muted">—</span>`;
  if (typeof v === 'string') return html`<code>${v}</code>`;
  if (typeof v === 'number' || typeof v === 'boolean') return html`<code>${String(v)}</code>`;
  if (depth >= MAX_DEPTH) return html`<code>${JSON.stringify(v).slice(0, 500)}</code>`;
  if (Array.isArray(v)) {
    if (v.length === 0) return html`<span class="muted">(empty list)</span>`;
    return html`<ol class="generic">${v.map((x) => html`<li>${genericValue(x, depth + 1)}</li>`)}</ol>`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return html`<span class="muted">(empty)</span>`;
  return html`<dl class="generic">${entries.map(([k, x]) => html`<dt>${k}</dt><dd>${genericValue(x, depth + 1)}</dd>`)}</dl>`;
}
