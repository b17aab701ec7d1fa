// The overview, per target: releases (current, last good), health now with its age, the server
// state and lock (only after a refresh), the last deploy, backups per service, and warnings;
// above them the ledger's verification, done by this server process.
import { html } from 'hono/html';
import { expiringCertificates, overviewOf, pred, targetsOf, type BackupFacts, type TargetOverview } from '../facts.js';
import type { ServerView } from '../refresh.js';
import type { RecordView } from '../snapshot.js';
import { ago, brokenAt, duration, layout, recordLink, releaseLink, status, when, type Html, type PageContext } from './layout.js';

export interface OverviewOptions {
  maxBackupAgeMs: number;
  offsiteConfigured: boolean;
  /** Server views read by earlier refreshes, by target. */
  server: ReadonlyMap<string, ServerView>;
  /** After this long a server view is shown as stale. */
  staleAfterMs: number;
  certWarnDays: number;
}

export function overviewPage(ctx: PageContext, o: OverviewOptions): Html {
  const targets = targetsOf(ctx.snapshot.records);
  const body = html`
${verification(ctx)}
${targets.length === 0 ? html`<p>No evidence yet. Run <code>shipproof collect</code> or <code>shipproof deploy</code>; this page updates when the first record lands.</p>` : ''}
${targets.map((t) => targetSection(ctx, overviewOf(ctx.snapshot.records, t), o))}`;
  return layout(ctx, 'Overview', body);
}

function verification(ctx: PageContext): Html {
  const v = ctx.snapshot.verify;
  const cache = v.warnings.some((w) => w.includes('head cache')) ? html`<span class="status warn">head cache not yet on this machine</span>` : html`<span class="status ok">head cache matches</span>`;
  return html`<section aria-labelledby="verify-h" class="card ${v.ok ? 'good' : 'broken'}" data-testid="verification">
<h2 id="verify-h">Ledger verification</h2>
${
  v.ok
    ? html`<p><span class="status ok big">verified</span> ${v.entries} record(s): hash chain <span class="status ok">intact</span>, signatures <span class="status ok">valid</span>, ${cache}. Checked by this dashboard at ${ctx.snapshot.loadedAt.toISOString()}.</p>`
    : html`<p><span class="status bad big">${brokenAt(ctx.snapshot)}</span> ${v.firstBad?.record !== undefined ? html`(<code>${v.firstBad.record}</code>)` : ''}: ${v.firstBad?.problem ?? ''}</p>
<p>${v.firstBad?.seq !== undefined ? html`See ${recordLink(v.firstBad.seq, `record #${v.firstBad.seq}`)}. ` : ''}Run <code>shipproof evidence verify</code> for the full report.</p>`
}
${v.warnings.length > 0 ? html`<details><summary>${v.warnings.length} verification warning(s)</summary><ul>${v.warnings.map((w) => html`<li>${w}</li>`)}</ul></details>` : ''}
</section>`;
}

function targetSection(ctx: PageContext, t: TargetOverview, o: OverviewOptions): Html {
  const id = `t-${t.target.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const server = o.server.get(t.target);
  return html`<section aria-labelledby="${id}" class="target" data-testid="target">
<h2 id="${id}">Target <code>${t.target}</code></h2>
<div class="grid">
<section class="card" aria-labelledby="${id}-rel"><h3 id="${id}-rel">Releases</h3>
<dl class="kv">
<dt>Current</dt><dd data-testid="current-release">${releaseLink(t.current?.release)}${t.current ? html` <span class="muted">(${t.current.entry.kind} ${recordLink(t.current.entry.seq)}, ${when(t.current.entry.time, ctx.now)})</span>` : html` <span class="muted">no deploy recorded</span>`}</dd>
<dt>Last good</dt><dd>${releaseLink(t.lastGood)}${t.lastGood === undefined ? html` <span class="muted">no passing deploy recorded</span>` : ''}</dd>
</dl></section>
<section class="card" aria-labelledby="${id}-health"><h3 id="${id}-health">Health now</h3>${healthBlock(ctx, t)}</section>
<section class="card" aria-labelledby="${id}-srv"><h3 id="${id}-srv">Server state and lock</h3>${serverBlock(ctx, t.target, server, o)}</section>
<section class="card" aria-labelledby="${id}-dep"><h3 id="${id}-dep">Last deploy</h3>${lastDeploy(ctx, t)}</section>
</div>
<section class="card wide" aria-labelledby="${id}-bk"><h3 id="${id}-bk">Backups</h3>${backupTable(ctx, t.backups, o)}</section>
<section class="card wide" aria-labelledby="${id}-warn"><h3 id="${id}-warn">Warnings</h3>${warnings(ctx, t, o)}</section>
</section>`;
}

function healthBlock(ctx: PageContext, t: TargetOverview): Html {
  const h = t.health;
  if (h === undefined) return html`<p class="muted">No health gate or collect recorded yet.</p>`;
  const kind = { collect: 'collect', rollback: 'health gate after the rollback' }[h.record.entry.kind] ?? 'health gate (milestone 7)';
  return html`<p data-testid="health">${status(h.status)} from the ${kind} ${recordLink(h.record.entry.seq)}, ${when(h.at, ctx.now)}${h.record.entry.release ? html` for ${releaseLink(h.record.entry.release)}` : ''}</p>
${h.checks.length > 0 ? html`<ul class="checks">${h.checks.map((c) => html`<li>${status(c.status === 'pass' ? 'passed' : c.status)} ${c.detail || c.name}</li>`)}</ul>` : ''}`;
}

function serverBlock(ctx: PageContext, target: string, s: ServerView | undefined, o: OverviewOptions): Html {
  const link = html`<a class="button" href="/refresh?target=${encodeURIComponent(target)}">${s ? 'Read again' : 'Read from the server'}</a>`;
  if (s === undefined) return html`<p class="muted">Not read yet: the dashboard connects only when asked.</p><p>${link}</p>`;
  const age = ctx.now.getTime() - Date.parse(s.at);
  const stale = age > o.staleAfterMs ? html` <span class="status warn">stale</span>` : '';
  if (!s.ok) return html`<p><span class="status bad">unreachable</span> ${s.problem ?? ''} (${when(s.at, ctx.now)})${stale}</p><p>${link}</p>`;
  const lock = s.lock;
  return html`<dl class="kv">
<dt>Current</dt><dd>${releaseLink(s.current)}</dd>
<dt>Last known good</dt><dd>${releaseLink(s.lastKnownGood)}</dd>
<dt>In progress</dt><dd>${s.inProgress ? html`${releaseLink(s.inProgress.release)} by ${s.inProgress.operator} since ${s.inProgress.startedAt}` : 'none'}</dd>
<dt>Lock</dt><dd data-testid="lock">${lock === undefined || !lock.held ? 'free' : html`<span class="status warn">held</span> by ${lock.holder ? `${lock.holder.operator}@${lock.holder.host} (pid ${lock.holder.pid}) since ${lock.holder.since}` : 'an unrecorded holder'}${lock.stale ? html` <span class="status bad">its process is gone</span>` : ''}`}</dd>
</dl><p class="muted">Read ${ago(Date.parse(s.at), ctx.now)}${stale}. ${link}</p>`;
}

function lastDeploy(ctx: PageContext, t: TargetOverview): Html {
  const r = t.lastRun;
  if (r === undefined) return html`<p class="muted">No deploy recorded.</p>`;
  const notes = pred(r.outcome)?.notes ?? [];
  const outcome = pred(r.outcome)?.title.split(': ').pop() ?? r.outcome.entry.status;
  return html`<p>${status(r.outcome.entry.status)} <strong>${outcome}</strong> — ${releaseLink(r.release)}, ${when(r.finishedAt, ctx.now)} (${recordLink(r.outcome.entry.seq)})</p>
<p>Took ${duration(r.durationMs)} over ${r.milestones.length} milestone record(s).</p>
${r.rollbacks.map((rb) => html`<p class="rollback">${status(rb.entry.status)} rolled back to ${releaseLink(rb.entry.release)} (${recordLink(rb.entry.seq)}): ${pred(rb)?.results.find((x) => x.id === 'failure')?.reason ?? pred(rb)?.title ?? ''}</p>`)}
${notes.length > 0 ? html`<ul>${notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}`;
}

export function backupTable(ctx: PageContext, backups: readonly BackupFacts[], o: Pick<OverviewOptions, 'maxBackupAgeMs' | 'offsiteConfigured'>): Html {
  if (backups.length === 0) return html`<p class="muted">No backup recorded. Milestone 9 or <code>shipproof backup</code> takes one.</p>`;
  return html`<table class="list"><thead><tr><th scope="col">Service</th><th scope="col">Newest</th><th scope="col">Age vs max age</th><th scope="col">Rehearsed</th><th scope="col">Off-site</th><th scope="col">Record</th></tr></thead>
<tbody>${backups.map((b) => {
    const age = ctx.now.getTime() - Date.parse(b.at);
    const tooOld = age > o.maxBackupAgeMs;
    const offsite = b.offsite.length > 0 ? b.offsite.map((x) => html`${status(x.status === 'pass' ? 'passed' : 'failed')} ${x.destination} `) : o.offsiteConfigured ? html`<span class="status bad">missing</span>` : html`<span class="muted">none configured</span>`;
    return html`<tr><th scope="row">${b.service} <span class="muted">(${b.engine})</span></th>
<td>${status(b.status === 'pass' ? 'passed' : 'failed')} <code>${b.file}</code></td>
<td>${tooOld ? html`<span class="status bad">too old</span>` : html`<span class="status ok">fresh</span>`} ${ago(Date.parse(b.at), ctx.now)} (max ${duration(o.maxBackupAgeMs)})</td>
<td>${b.rehearsal ? html`${status(b.rehearsal.status === 'pass' ? 'passed' : 'failed')} ${b.rehearsal.detail} (${recordLink(b.rehearsal.record.entry.seq)})` : html`<span class="status warn">not rehearsed</span>`}</td>
<td>${offsite}</td><td>${recordLink(b.record.entry.seq)}</td></tr>`;
  })}</tbody></table>`;
}

function warnings(ctx: PageContext, t: TargetOverview, o: OverviewOptions): Html {
  const items: Html[] = [];
  for (const r of t.notPassing) items.push(html`<li>${status(r.entry.status)} ${recordLink(r.entry.seq)} ${pred(r)?.title ?? r.entry.kind} — the newest ${r.entry.kind}${r.entry.milestone ? ` ${r.entry.milestone.number}` : ''} record did not pass</li>`);
  for (const c of expiringCertificates(ctx.snapshot.records, t.target, o.certWarnDays)) {
    items.push(html`<li><span class="status warn">certificate</span> ${c.domain} expires in ${c.daysLeft} day(s) (${recordLink(c.record.entry.seq)})</li>`);
  }
  for (const u of unpinnedImages(ctx.snapshot.records, t.target)) items.push(html`<li><span class="status warn">unpinned</span> image <code>${u.image}</code> has no digest (${recordLink(u.seq)}); <code>shipproof pin</code> locks it</li>`);
  for (const r of ctx.snapshot.records.filter((x) => x.entry.target === t.target && x.entry.status === 'human_needed')) {
    items.push(html`<li>${status('human_needed')} ${recordLink(r.entry.seq)} ${pred(r)?.title ?? ''} waits for a person</li>`);
  }
  for (const r of ctx.snapshot.records.filter((x) => x.entry.target === t.target && x.problem !== undefined)) {
    items.push(html`<li><span class="status bad">untrusted</span> ${recordLink(r.entry.seq)}: ${r.problem}</li>`);
  }
  for (const l of lintErrors(ctx.snapshot.records, t.target)) items.push(html`<li><span class="status bad">lint</span> ${l.text} (${recordLink(l.seq)})</li>`);
  return items.length === 0 ? html`<p><span class="status ok">none</span> nothing failed, pending or waiting.</p>` : html`<ul class="warnings">${items}</ul>`;
}

/** Images of the newest "all images build" milestone that carry no @sha256 digest. */
function unpinnedImages(records: readonly RecordView[], target: string): { image: string; seq: number }[] {
  const r = [...records].reverse().find((x) => x.entry.target === target && x.entry.milestone?.number === 5 && x.statement !== undefined);
  const images = r === undefined ? undefined : pred(r)?.results.find((x) => Array.isArray(x.observations.images))?.observations.images;
  if (r === undefined || !Array.isArray(images)) return [];
  return images
    .map((line) => /^[^:]+: (\S+)/.exec(line)?.[1])
    .filter((img): img is string => img !== undefined && !img.includes('@sha256:') && !img.startsWith('sha256:'))
    .filter((img, i, all) => all.indexOf(img) === i)
    .map((image) => ({ image, seq: r.entry.seq }));
}

/** Failed lint results in the newest verify record (verify runs the production lint). */
function lintErrors(records: readonly RecordView[], target: string): { text: string; seq: number }[] {
  const r = [...records].reverse().find((x) => x.entry.target === target && x.entry.kind === 'verify' && x.statement !== undefined);
  if (r === undefined) return [];
  return (pred(r)?.results ?? []).filter((x) => x.id.startsWith('lint') && x.status === 'fail').map((x) => ({ text: `${x.title}: ${x.reason ?? ''}`, seq: r.entry.seq }));
}
