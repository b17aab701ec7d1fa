// Backups per service: every backup with its size, fingerprint summary, rehearsal, off-site copies
// and retention, and a plot of size over time where a sudden drop (an "empty" backup that still
// reported success) is marked.
import { html } from 'hono/html';
import { backupsOf, suddenDrops } from '../facts.js';
import { backupTable } from './overview.js';
import { bytes, clock, layout, recordLink, status, type Html, type PageContext } from './layout.js';
import { plot } from './plots.js';

export interface BackupsOptions {
  maxBackupAgeMs: number;
  offsiteConfigured: boolean;
  retention: string;
}

export function backupsPage(ctx: PageContext, o: BackupsOptions): Html {
  const all = backupsOf(ctx.snapshot.records);
  const drops = suddenDrops(all);
  const services = [...new Set(all.map((b) => `${b.record.entry.target}\u0000${b.service}`))];
  const body = html`<p>Retention: ${o.retention}. ${o.offsiteConfigured ? 'Off-site copies are configured.' : 'No off-site destination is configured (backups.offsite in shipproof.yaml).'}</p>
${all.length === 0 ? html`<p class="muted">No backup recorded yet.</p>` : ''}
${services.map((key) => {
    const [target, service] = key.split('\u0000') as [string, string];
    const mine = all.filter((b) => b.record.entry.target === target && b.service === service);
    const newest = mine.filter((b) => b.status === 'pass').pop() ?? mine[mine.length - 1];
    const id = `svc-${target}-${service}`.replace(/[^A-Za-z0-9_-]/g, '-');
    return html`<section aria-labelledby="${id}"><h2 id="${id}"><code>${service}</code> on ${target} <span class="muted">(${mine[0]?.engine ?? ''})</span></h2>
${newest ? backupTable(ctx, [newest], o) : ''}
${plot({ id: `${id}-size`, title: `${service} backup size`, unit: 'bytes', points: mine.filter((b) => b.bytes !== undefined).map((b) => ({ x: Date.parse(b.at) / 1000, y: b.bytes as number, label: b.file, ...(drops.has(b) ? { mark: 'sudden drop' } : {}) })), markLabel: 'sudden drop', fromZero: true })}
<table class="list" data-testid="backups-${service}"><thead><tr><th scope="col">Taken</th><th scope="col">File</th><th scope="col">Size</th><th scope="col">Fingerprint</th><th scope="col">Rehearsal</th><th scope="col">Off-site</th><th scope="col">Record</th></tr></thead>
<tbody>${[...mine].reverse().map(
      (b) => html`<tr${drops.has(b) ? html` class="row-bad"` : ''}><td>${clock(new Date(b.at))}</td><td>${status(b.status === 'pass' ? 'passed' : 'failed')} <code>${b.file}</code>${b.encrypted ? ' (age-encrypted)' : ''}</td>
<td>${bytes(b.bytes)}${drops.has(b) ? html` <span class="status bad">sudden drop</span>` : ''}</td>
<td>${b.fingerprint.join(', ') || '—'}${b.sha256 ? html`<br><code title="${b.sha256}">sha256 ${b.sha256.slice(0, 12)}…</code>` : ''}</td>
<td>${b.rehearsal ? html`${status(b.rehearsal.status === 'pass' ? 'passed' : 'failed')} ${b.rehearsal.detail}` : html`<span class="muted">not rehearsed</span>`}</td>
<td>${b.offsite.length ? b.offsite.map((x) => html`${status(x.status === 'pass' ? 'passed' : 'failed')} ${x.destination} `) : html`<span class="muted">none</span>`}${b.retention ? html`<br><span class="muted">${b.retention}</span>` : ''}</td>
<td>${recordLink(b.record.entry.seq)}</td></tr>`,
    )}</tbody></table></section>`;
  })}`;
  return layout(ctx, 'Backups', body);
}
