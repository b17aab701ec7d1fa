// Releases: the list, and one release with its ten milestones (status, duration, evidence), what
// changed against the release before it on the same target (from the records: bundle, compose
// and config digests, images, env names — never values), and its deploy runs and rollbacks.
import { html } from 'hono/html';
import type { ReleaseChanges } from '../../evidence/predicate-schema.js';
import { pred, releaseChanges, releasesOf, type ReleaseFacts } from '../facts.js';
import { clock, duration, layout, recordLink, releaseLink, status, when, type Html, type PageContext } from './layout.js';

export function releasesPage(ctx: PageContext): Html {
  const all = releasesOf(ctx.snapshot.records).reverse();
  const body =
    all.length === 0
      ? html`<p class="muted">No release recorded yet: <code>shipproof deploy</code> makes one.</p>`
      : html`<table class="list"><thead><tr><th scope="col">Release</th><th scope="col">Target</th><th scope="col">First seen</th><th scope="col">Milestones passed</th><th scope="col">Outcome</th></tr></thead>
<tbody>${all.map((r) => {
          const last = r.runs[r.runs.length - 1];
          return html`<tr><th scope="row">${releaseLink(r.release)}</th><td>${r.target}</td><td>${when(r.firstSeen, ctx.now)}</td>
<td>${r.milestones.filter((m) => m.status === 'passed').length} / ${r.milestones.length}</td>
<td>${last ? html`${status(last.outcome.entry.status)} ${outcomeWord(last.outcome)}` : html`<span class="muted">no outcome recorded</span>`}</td></tr>`;
        })}</tbody></table>`;
  return layout(ctx, 'Releases', body);
}

function outcomeWord(r: ReleaseFacts['runs'][number]['outcome']): string {
  return pred(r)?.title.split(': ').pop() ?? r.entry.status;
}

export function releasePage(ctx: PageContext, id: string): Html | undefined {
  const all = releasesOf(ctx.snapshot.records);
  const mine = all.filter((r) => r.release === id);
  if (mine.length === 0) return undefined;
  const body = html`${mine.map((r) => {
    const sameTarget = all.filter((x) => x.target === r.target);
    const prev = sameTarget[sameTarget.indexOf(r) - 1];
    const changes = releaseChanges(prev, r);
    const recorded = [...r.runs].reverse().map((run) => pred(run.outcome)?.changes).find((c) => c !== undefined);
    return html`<section aria-labelledby="m-${r.target}"><h2 id="m-${r.target}">Milestones on <code>${r.target}</code></h2>
<ol class="milestones" data-testid="milestones">${r.milestones.map(
      (m) => html`<li>${status(m.status)} <strong>${m.number}. ${m.title}</strong> <span class="muted">${duration(m.durationMs)}</span> ${m.record ? recordLink(m.record.entry.seq, `evidence #${m.record.entry.seq}`) : html`<span class="muted">no evidence</span>`}</li>`,
    )}</ol>
</section>
<section aria-labelledby="c-${r.target}"><h2 id="c-${r.target}">What changed since ${recorded ? releaseLink(recorded.against) : prev ? releaseLink(prev.release) : 'the start'}</h2>
${recorded ? recordedChanges(recorded) : ''}
${
  recorded !== undefined
    ? html`<details><summary>Every recorded fact that differs between the milestone records</summary>${factTable(prev, r, changes)}</details>`
    : prev === undefined
    ? html`<p class="muted">This is the first release recorded on ${r.target}.</p>`
    : changes.length === 0
      ? html`<p class="muted">No recorded fact differs (bundle, compose and config digests, images, env names and fingerprints are the same).</p>`
      : factTable(prev, r, changes)
}
<p class="muted">Env files appear by key names and keyed fingerprints only; their values never reach a record.</p>
</section>
<section aria-labelledby="r-${r.target}"><h2 id="r-${r.target}">Deploys and rollbacks</h2>
${
  r.runs.length === 0
    ? html`<p class="muted">No deploy outcome recorded for this release.</p>`
    : html`<ul>${r.runs.map(
        (run) => html`<li>${status(run.outcome.entry.status)} ${outcomeWord(run.outcome)} at ${clock(new Date(run.finishedAt))}, ${duration(run.durationMs)} (${recordLink(run.outcome.entry.seq)})
${run.rollbacks.length > 0 ? html`<ul>${run.rollbacks.map((rb) => html`<li>${status(rb.entry.status)} rolled back to ${releaseLink(rb.entry.release)} (${recordLink(rb.entry.seq)})</li>`)}</ul>` : ''}</li>`,
      )}</ul>`
}
${rolledBackTo(ctx, id)}
</section>`;
  })}`;
  return layout(ctx, `Release ${id}`, body);
}

/** The deploy record's own account of what changed (bundle files, service configs, image digests, env fingerprints). */
function recordedChanges(c: ReleaseChanges): Html {
  const rows: [string, string[]][] = [
    ['files added', c.files.added],
    ['files changed', c.files.changed],
    ['files removed', c.files.removed],
    ['service configs changed', c.services],
    ['images changed', c.images],
    ['env files changed (by keyed fingerprint)', c.env],
    ...(c.notCompared?.length ? [['not compared', c.notCompared] as [string, string[]]] : []),
  ];
  return html`<table class="list" data-testid="recorded-changes"><tbody>${rows.map(
    ([what, list]) => html`<tr><th scope="row">${what}</th><td>${list.length === 0 ? html`<span class="muted">none</span>` : list.map((x) => html`<code>${x}</code> `)}</td></tr>`,
  )}</tbody></table>`;
}

function factTable(prev: ReleaseFacts | undefined, r: ReleaseFacts, changes: ReturnType<typeof releaseChanges>): Html {
  if (prev === undefined || changes.length === 0) return html`<p class="muted">No recorded fact differs between the milestone records.</p>`;
  return html`<table class="list" data-testid="changes"><thead><tr><th scope="col">Milestone</th><th scope="col">Fact</th><th scope="col">${prev.release}</th><th scope="col">${r.release}</th></tr></thead>
<tbody>${changes.map((c) => html`<tr><td>${c.where}</td><th scope="row"><code>${c.key}</code></th><td>${c.before === undefined ? html`<span class="muted">absent</span>` : html`<code>${c.before}</code>`}</td><td>${c.after === undefined ? html`<span class="muted">absent</span>` : html`<code>${c.after}</code>`}</td></tr>`)}</tbody></table>`;
}

/** Rollbacks that landed on this release (it was the last good one when a later release failed). */
function rolledBackTo(ctx: PageContext, id: string): Html {
  const rbs = ctx.snapshot.records.filter((r) => r.entry.kind === 'rollback' && r.entry.release === id);
  if (rbs.length === 0) return html``;
  return html`<p>Later releases were rolled back to this one: ${rbs.map((rb) => html`${recordLink(rb.entry.seq)} (from ${releaseLink(String(pred(rb)?.results.find((x) => x.id === 'failure')?.observations.failedRelease ?? '?'))}) `)}</p>`;
}
