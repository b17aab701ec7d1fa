// The page frame and the small pieces every page uses. HTML comes only from hono/html's `html`
// template, which escapes every interpolated value; `raw` is used for one thing only, the
// output of the Markdown renderer (raw HTML disabled, see markdown.ts).
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { EvidenceSnapshot } from '../snapshot.js';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const PAGES = [
  { path: '/', label: 'Overview' },
  { path: '/timeline', label: 'Timeline' },
  { path: '/releases', label: 'Releases' },
  { path: '/backups', label: 'Backups' },
  { path: '/trends', label: 'Trends' },
  { path: '/reports', label: 'Reports' },
] as const;

export interface PageContext {
  snapshot: EvidenceSnapshot;
  project: string;
  now: Date;
  /** The nav entry to mark as the current page. */
  section: (typeof PAGES)[number]['path'];
}

export function layout(ctx: PageContext, title: string, body: Html): Html {
  const v = ctx.snapshot.verify;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${ctx.project} · shipproof</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/uPlot.iife.min.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body data-version="${versionTag(ctx.snapshot)}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">shipproof · ${ctx.project}</span>
  <nav aria-label="Pages"><ul>${PAGES.map(
    (p) => html`<li><a href="${p.path}"${p.path === ctx.section ? html` aria-current="page"` : ''}>${p.label}</a></li>`,
  )}</ul></nav>
  <span id="live" class="live" role="status" aria-live="polite">${v.entries} record(s) · read ${clock(ctx.snapshot.loadedAt)}</span>
</header>
${v.ok ? '' : html`<div class="banner bad" role="alert"><strong>Evidence ledger ${brokenAt(ctx.snapshot)}</strong>: ${v.firstBad?.problem ?? 'unknown problem'}. Records from there on are not to be trusted.</div>`}
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<footer>Read-only view of ${ctx.snapshot.dir}. Nothing here changes a file or a server.</footer>
</body>
</html>`;
}

/** "broken at #N" (chain) or "bad signature at #N". */
export function brokenAt(s: EvidenceSnapshot): string {
  const v = s.verify;
  if (v.ok) return 'verified';
  const where = v.firstBad?.seq !== undefined ? `#${v.firstBad.seq}` : 'the folder';
  return `${v.kind === 'signature' ? 'bad signature at' : 'broken at'} ${where}`;
}

/** A short, stable tag of the folder's state, so the live script can tell when it changed. */
export function versionTag(s: EvidenceSnapshot): string {
  let h = 0;
  for (let i = 0; i < s.version.length; i++) h = (h * 31 + s.version.charCodeAt(i)) | 0;
  return `${s.verify.entries}-${(h >>> 0).toString(16)}`;
}

const STATUS_CLASS: Record<string, string> = {
  passed: 'ok',
  pass: 'ok',
  failed: 'bad',
  fail: 'bad',
  error: 'bad',
  pending: 'warn',
  human_needed: 'warn',
  skipped: 'muted',
};

/** A status as text plus colour; the word carries the meaning, the colour only repeats it. */
export function status(s: string): Html {
  return html`<span class="status ${STATUS_CLASS[s] ?? 'muted'}">${s.replace('_', ' ')}</span>`;
}

export function clock(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function when(iso: string, now: Date): Html {
  return html`<time datetime="${iso}" title="${iso}">${ago(Date.parse(iso), now)}</time>`;
}

export function ago(t: number, now: Date): string {
  const s = Math.round((now.getTime() - t) / 1000);
  if (Number.isNaN(s)) return 'unknown';
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 2 * 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (ms < 3 * 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function recordLink(seq: number, text?: string): Html {
  return html`<a href="/record/${seq}">${text ?? `#${seq}`}</a>`;
}

export function releaseLink(release: string | undefined): Html {
  return release === undefined ? html`—` : html`<a href="/release/${encodeURIComponent(release)}"><code class="rel">${release}</code></a>`;
}

/** Data for a plot, in a non-executing JSON block (the CSP forbids inline scripts, not data). */
export function jsonData(id: string, value: unknown): Html {
  const text = JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return html`<script type="application/json" id="${id}">${rawJson(text)}</script>`;
}

function rawJson(text: string): HtmlEscapedString {
  // Already safe for a script data block: <, > and & are \u-escaped above.
  return raw(text) as HtmlEscapedString;
}
