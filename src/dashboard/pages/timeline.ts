// Every record in ledger order, newest first, filtered by kind, target, status and release with a
// plain GET form (works without the script, and with the keyboard).
import { html } from 'hono/html';
import { pred } from '../facts.js';
import type { RecordView } from '../snapshot.js';
import { clock, layout, recordLink, releaseLink, status, type Html, type PageContext } from './layout.js';

export interface TimelineFilter {
  kind?: string;
  target?: string;
  status?: string;
  release?: string;
}

export function filterRecords(records: readonly RecordView[], f: TimelineFilter): RecordView[] {
  return records.filter(
    (r) =>
      (f.kind === undefined || f.kind === '' || r.entry.kind === f.kind) &&
      (f.target === undefined || f.target === '' || r.entry.target === f.target) &&
      (f.status === undefined || f.status === '' || r.entry.status === f.status) &&
      (f.release === undefined || f.release === '' || r.entry.release === f.release),
  );
}

function select(name: keyof TimelineFilter, label: string, values: string[], chosen: string | undefined): Html {
  return html`<label>${label} <select name="${name}"><option value="">all</option>${values.map(
    (v) => html`<option value="${v}"${v === chosen ? html` selected` : ''}>${v}</option>`,
  )}</select></label>`;
}

export function timelinePage(ctx: PageContext, f: TimelineFilter): Html {
  const all = ctx.snapshot.records;
  const uniq = (pick: (r: RecordView) => string | undefined): string[] => [...new Set(all.map(pick).filter((x): x is string => x !== undefined))].sort();
  const shown = filterRecords(all, f).reverse();
  const badSeq = ctx.snapshot.verify.ok ? undefined : ctx.snapshot.verify.firstBad?.seq;
  const body = html`
<form class="filters" method="get" action="/timeline" role="search" aria-label="Filter records">
${select('kind', 'Kind', uniq((r) => r.entry.kind), f.kind)}
${select('target', 'Target', uniq((r) => r.entry.target), f.target)}
${select('status', 'Status', uniq((r) => r.entry.status), f.status)}
${select('release', 'Release', uniq((r) => r.entry.release), f.release)}
<button type="submit">Filter</button> <a href="/timeline">Clear</a>
</form>
<p>${shown.length} of ${all.length} record(s), newest first.</p>
<table class="list" data-testid="timeline">
<thead><tr><th scope="col">#</th><th scope="col">Written</th><th scope="col">Kind</th><th scope="col">Target</th><th scope="col">Status</th><th scope="col">Release</th><th scope="col">Record</th><th scope="col">Check</th></tr></thead>
<tbody>${shown.map((r) => {
    const e = r.entry;
    const check =
      r.problem !== undefined
        ? html`<span class="status bad">${r.problemKind === 'signature' ? 'bad signature' : 'broken'}</span>`
        : badSeq !== undefined && e.seq >= badSeq
          ? html`<span class="status warn">after the break</span>`
          : html`<span class="status ok">signed</span>`;
    return html`<tr${r.problem !== undefined ? html` class="row-bad"` : ''}>
<td>${recordLink(e.seq)}</td><td>${clock(new Date(e.time))}</td><td>${e.kind}${e.milestone ? ` ${e.milestone.number}` : ''}</td><td>${e.target}</td><td>${status(e.status)}</td><td>${releaseLink(e.release)}</td>
<td><a href="/record/${e.seq}">${pred(r)?.title ?? e.record}</a></td><td>${check}</td></tr>`;
  })}</tbody>
</table>`;
  return layout(ctx, 'Timeline', body);
}
