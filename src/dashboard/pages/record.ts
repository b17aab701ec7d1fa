// One record: its ledger entry, whether it checks out (hashes and signature, by the server),
// its approvals, then the record itself rendered as Markdown from its JSON — as the .md file is.
// Fields the Markdown renderer does not cover are shown generically, so nothing is hidden.
import { html, raw } from 'hono/html';
import { renderEvidenceMarkdown } from '../../evidence/render-markdown.js';
import { approvalsOf, pred } from '../facts.js';
import { renderMarkdown } from '../markdown.js';
import type { RecordView } from '../snapshot.js';
import { genericValue } from './generic.js';
import { clock, layout, recordLink, releaseLink, status, type Html, type PageContext } from './layout.js';

/** Predicate fields renderEvidenceMarkdown shows; any other field is listed under "More fields". */
const RENDERED = new Set(['schemaVersion', 'kind', 'title', 'project', 'target', 'release', 'milestone', 'startedAt', 'finishedAt', 'toolVersion', 'operator', 'status', 'summary', 'results', 'redactions', 'notCollected', 'notes', 'approval', 'rollback', 'changes']);
const RESULT_RENDERED = new Set(['id', 'title', 'gate', 'status', 'reason', 'durationMs', 'observations', 'commands']);

export function recordPage(ctx: PageContext, r: RecordView): Html {
  const e = r.entry;
  const p = pred(r);
  const approvals = approvalsOf(ctx.snapshot.records, e.seq);
  const laterBreak = !ctx.snapshot.verify.ok && ctx.snapshot.verify.firstBad?.seq !== undefined && ctx.snapshot.verify.firstBad.seq <= e.seq;
  const body = html`
<p><a href="/timeline">← Timeline</a>${e.seq > 1 ? html` · ${recordLink(e.seq - 1, `previous (#${e.seq - 1})`)}` : ''}${e.seq < ctx.snapshot.records.length ? html` · ${recordLink(e.seq + 1, `next (#${e.seq + 1})`)}` : ''}</p>
<section aria-labelledby="check-h">
<h2 id="check-h">Signature and chain</h2>
${
  r.problem !== undefined
    ? html`<p class="banner bad" role="alert" data-testid="record-problem"><strong>${r.problemKind === 'signature' ? 'Bad signature' : 'Broken'}</strong>: ${r.problem}</p>`
    : html`<p class="status-line"><span class="status ok">signature valid</span> signed by <code>${e.keyid}</code>; files match the ledger's hashes.${laterBreak ? html` <span class="status warn">but the ledger is ${ctx.snapshot.verify.kind === 'signature' ? 'badly signed' : 'broken'} at or before this record</span>` : ''}</p>`
}
<table class="facts"><tbody>
<tr><th scope="row">Seq</th><td>#${e.seq}</td></tr>
<tr><th scope="row">Record</th><td><code>${e.record}</code></td></tr>
<tr><th scope="row">Kind</th><td>${e.kind}${e.milestone ? ` ${e.milestone.number} (${e.milestone.id})` : ''}</td></tr>
<tr><th scope="row">Target</th><td>${e.target}</td></tr>
<tr><th scope="row">Status</th><td>${status(e.status)}</td></tr>
<tr><th scope="row">Release</th><td>${releaseLink(e.release)}</td></tr>
<tr><th scope="row">Written</th><td>${clock(new Date(e.time))}</td></tr>
<tr><th scope="row">Operator</th><td>${e.operator} (shipproof ${e.toolVersion})</td></tr>
</tbody></table>
</section>
<section aria-labelledby="appr-h">
<h2 id="appr-h">Approvals</h2>
${
  approvals.length === 0
    ? html`<p class="muted">No one has approved this record yet (<code>shipproof evidence approve ${e.seq}</code>).</p>`
    : html`<ul>${approvals.map((a) => html`<li>${recordLink(a.entry.seq)}: reviewed by <strong>${pred(a)?.approval?.reviewer ?? '?'}</strong> at ${clock(new Date(a.entry.time))}${pred(a)?.approval?.note ? html` — “${pred(a)?.approval?.note}”` : ''}</li>`)}</ul>`
}
</section>
<section aria-labelledby="content-h" class="record-content" data-testid="record-content">
<h2 id="content-h">Content</h2>
${r.statement !== undefined ? html`${markdownOf(r)}${moreFields(r)}` : html`<p>The record as found on disk (not trusted):</p>${genericValue(r.raw)}`}
</section>`;
  return layout(ctx, `Record #${e.seq}: ${p?.title ?? e.kind}`, body);
}

/** The record's Markdown, made from its JSON as the .md file is; a statement this renderer refuses is shown generically. */
function markdownOf(r: RecordView): Html {
  try {
    return html`<div class="markdown">${raw(renderMarkdown(renderEvidenceMarkdown(r.statement as NonNullable<RecordView['statement']>), 2))}</div>`;
  } catch {
    return html`<p class="muted">This version of shipproof cannot render this record as Markdown; here it is field by field.</p>${genericValue(r.statement)}`;
  }
}

function moreFields(r: RecordView): Html {
  const p = pred(r) as Record<string, unknown> | undefined;
  if (p === undefined) return html``;
  const extra = Object.keys(p).filter((k) => !RENDERED.has(k));
  const resultExtras = (pred(r)?.results ?? []).flatMap((res) =>
    Object.keys(res)
      .filter((k) => !RESULT_RENDERED.has(k))
      .map((k) => ({ id: res.id, key: k, value: (res as Record<string, unknown>)[k] })),
  );
  if (extra.length === 0 && resultExtras.length === 0) return html``;
  return html`<h3>More fields</h3>
<dl class="generic">${extra.map((k) => html`<dt>${k}</dt><dd>${genericValue(p[k])}</dd>`)}${resultExtras.map((x) => html`<dt>${x.id}.${x.key}</dt><dd>${genericValue(x.value)}</dd>`)}</dl>`;
}
