// HANDOVER.md from the gathered facts. Pure. Every statement about what happened or how things
// stand names the evidence record behind it, as a link; a statement with no record behind it
// says so ("no record").
import { formatLocation } from '../errors.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { MILESTONES } from '../milestones/catalog.js';
import { TOOL_VERSION } from '../version.js';
import type { HandoverFacts } from './types.js';
import type { Fact } from './standing.js';

export const NO_RECORD = '_(no record)_';
/** A backup older than this is stale: daily backups plus a little slack. */
export const STALE_BACKUP_HOURS = 26;
/** Certificates closer to expiry than this are a watch-out (Let's Encrypt renews at 30 days left). */
export const CERT_WARN_DAYS = 21;

export function renderHandover(f: HandoverFacts): string {
  const out: string[] = [];
  const t = f.target;
  const cmd = (args: string) => `shipproof${f.configFlag === undefined ? '' : ` --config ${f.configFlag}`} --target ${t.name} ${args}`;
  const ago = (iso: string) => humanAge(f.now.getTime() - Date.parse(iso));
  const ref = (e: LedgerEntry) => `[#${e.seq} \`${e.record}\`](${f.evidenceLink}/${e.record}.md)`;
  const refOf = <T>(x: Fact<T> | undefined) => (x?.record === undefined ? NO_RECORD : `— ${ref(x.record)}`);
  const last = f.entries[f.entries.length - 1];

  out.push(`# HANDOVER — ${f.project}`, '');
  out.push(`> Living document: written by \`shipproof handover\` at ${f.now.toISOString()} and overwritten each time.`);
  out.push(`> The durable record is the evidence ledger in \`${f.evidenceDir}\` (\`shipproof evidence list\`, \`shipproof evidence verify\`).`);
  out.push('> Every statement below names the evidence record it comes from; one marked _(no record)_ has none behind it.');
  out.push('> This file reads only that ledger and the project files on this machine; it holds no secret values.', '');
  out.push(`<!-- shipproof-handover covered-to: ${last?.seq ?? 0} -->`, '');

  // ---- where things stand ----
  out.push('## Where things stand', '');
  if (f.ledgerProblem !== undefined) out.push(`- **Evidence ledger:** could not be read — ${f.ledgerProblem}`, '');
  for (const s of f.standing) {
    const tt = s.target === t.name ? t : undefined;
    const where = tt === undefined ? '' : tt.kind === 'ssh' ? ` (${tt.user}@${tt.host}:${tt.port}, app folder \`${tt.appDir}\`)` : ` (this machine, app folder \`${tt.appDir}\`)`;
    out.push(`### Target ${s.target}${where}`, '');
    if (s.current === undefined) out.push(`- **Current release:** none recorded ${NO_RECORD}`);
    else if (s.current.value === null) out.push(`- **Current release:** **nothing serves** — the newest rollback failed ${refOf(s.current)}`);
    else out.push(`- **Current release:** \`${s.current.value}\` ${refOf(s.current)}`);
    out.push(s.lastGood === undefined ? `- **Last good release:** none recorded ${NO_RECORD}` : `- **Last good release:** \`${s.lastGood.value}\` ${refOf(s.lastGood)}`);
    if (s.health === undefined) out.push(`- **Health:** not observed yet ${NO_RECORD} — run \`${cmd('collect')}\`.`);
    else {
      const h = s.health.value;
      const stale = s.healthStale ? ` **Stale:** something changed after it; run \`${cmd('collect')}\`.` : '';
      out.push(`- **Health:** ${h.status} at ${h.time} (${ago(h.time)} old)${h.reason === undefined ? '' : ` — ${h.reason}`} ${refOf(s.health)}${stale}`);
    }
    if (s.urls.length === 0) out.push(`- **App URLs:** none declared (no \`health:\` probes or \`domains:\` in shipproof.yaml) ${NO_RECORD}`);
    else {
      out.push('- **App URLs:**');
      for (const u of s.urls) {
        out.push(
          u.seen === undefined
            ? `  - ${u.url} (${u.name}): no record shows it answering ${NO_RECORD}`
            : `  - ${u.url} (${u.name}): answered${u.seen.value.status === null ? '' : ` ${u.seen.value.status}`} at ${u.seen.value.time} (${ago(u.seen.value.time)} ago) ${refOf(u.seen)}`,
        );
      }
    }
    out.push('');
  }
  const v = f.lastVerify;
  out.push(v === undefined ? `- **Verification:** none recorded ${NO_RECORD} — run \`shipproof verify\`.` : `- **Verification:** ${v.notes[0] ?? v.entry.status}, at ${v.entry.time} — ${ref(v.entry)}`);
  out.push(`- **Backups:** ${backupLine(f, ago, ref)}`);
  out.push('');

  out.push(`### Milestones${f.milestones.release === null ? ' (no release recorded yet)' : ` of release \`${f.milestones.release}\``}`, '');
  out.push('| # | Milestone | Status | Evidence |', '| --- | --- | --- | --- |');
  for (const row of f.milestones.rows) {
    const m = MILESTONES[row.number - 1];
    const e = row.record === null ? undefined : f.entries.find((x) => x.record === row.record);
    const status = row.status === 'skipped' ? 'did not apply' : row.status;
    out.push(`| ${row.number} | ${m?.title ?? row.id} | ${status} | ${e === undefined ? 'no record' : ref(e)} |`);
  }
  out.push('');

  // ---- what happened ----
  out.push(f.coveredBefore === undefined ? '## What happened (the whole ledger: no earlier handover)' : `## What happened since the last handover (records after #${f.coveredBefore})`, '');
  if (f.eventsLeftOut > 0) out.push(`- … ${f.eventsLeftOut} earlier ${f.eventsLeftOut === 1 ? 'event is' : 'events are'} not listed (\`shipproof evidence list\`).`);
  if (f.events.length === 0) out.push('Nothing was deployed, rolled back, backed up or restored.');
  for (const e of f.events) out.push(`- ${e.time} ${e.failed ? '**' : ''}${e.text}${e.failed ? '**' : ''} — ${e.records.map(ref).join(', ')}`);
  out.push('');

  // ---- operating essentials ----
  out.push('## Operating essentials', '');
  if (t.kind === 'ssh') out.push(`- **Server:** \`ssh -p ${t.port} ${t.user}@${t.host}\`, app folder \`${t.appDir}\` (releases under \`releases/\`, the live one at \`current\`)`);
  else out.push(`- **Server:** this machine, app folder \`${t.appDir}\``);
  out.push(`- **Compose project:** \`${f.project}\`, files ${f.composeFiles.map((x) => `\`${x}\``).join(', ')}`);
  out.push(`- **Env files on the server** (names only; values never leave the server): ${f.envFiles.length === 0 ? 'none declared' : f.envFiles.map((x) => `\`${x}\``).join(', ')}`);
  out.push(`- **Evidence folder:** \`${f.evidenceDir}\` — commit it with the code; \`shipproof evidence verify\` checks every record and signature.`);
  out.push(`- **Backups folder:** \`${f.backupsDir}\` on ${t.name} (from shipproof.yaml) ${NO_RECORD}`);
  out.push(`- **Off-site copies:** ${offsiteLine(f, ref)}`);
  out.push(`- **Retention:** ${retentionLine(f)} (from shipproof.yaml) ${NO_RECORD}`, '');
  out.push('| To | Run |', '| --- | --- |');
  const runbook: [string, string, string][] = [
    ['Deploy the working tree', 'deploy', cmd('deploy')],
    ['Roll back to the previous healthy release', 'rollback', cmd('rollback')],
    ['Back up the stateful services', 'backup', cmd('backup run')],
    ['List the backups on the server', 'backup', cmd('backup list')],
    ['Rehearse a restore into a scratch container (the live service is untouched)', 'restore', cmd('restore <backup> --rehearse')],
    ['Restore a backup into a live service (asks first, backs it up before)', 'restore', cmd('restore <backup> --into <service>')],
    ['See the state of the server (read-only)', 'collect', cmd('collect')],
    ['Check the must-haves', 'verify', cmd('verify')],
    ['Lint the compose files against the production policy', 'lint', cmd('lint')],
    ['Check the image pins', 'pin', 'shipproof pin --check'],
  ];
  for (const [what, name, line] of runbook) {
    out.push(`| ${what} | ${f.commands.includes(name) ? `\`${line}\`` : `_not available in shipproof ${TOOL_VERSION}_`} |`);
  }
  out.push('');

  // ---- watch-outs ----
  out.push('## Watch-outs', '');
  const watch = watchOuts(f, ago, ref);
  if (watch.length === 0) out.push('Nothing to watch in the evidence, lint, backups, certificates or image pins.');
  for (const w of watch) out.push(w.startsWith('  - ') ? w : `- ${w}`);
  out.push('');

  // ---- next steps ----
  out.push('## Next steps', '');
  const next = nextSteps(f, cmd, ref);
  if (next.length === 0) out.push('Nothing pending: every milestone that applies has passing evidence and no human item is open.');
  next.forEach((n, i) => out.push(`${i + 1}. ${n}`));
  out.push('', '---', '', `_Generated by shipproof ${TOOL_VERSION} at ${f.now.toISOString()}._`, '');
  return out.join('\n');
}

function backupLine(f: HandoverFacts, ago: (iso: string) => string, ref: (e: LedgerEntry) => string): string {
  const parts: string[] = [];
  const b = f.lastBackup;
  parts.push(b === undefined ? `no backup recorded ${NO_RECORD}` : `last backup ${b.status} at ${b.time} (${ago(b.time)} ago) — ${ref(b)}`);
  const r = f.lastRehearsal;
  parts.push(r === undefined ? `no restore rehearsal recorded ${NO_RECORD}` : `last restore rehearsal ${r.status} at ${r.time} — ${ref(r)}`);
  const l = f.lastLiveRestore;
  if (l !== undefined) parts.push(`last restore into a live service ${l.status} at ${l.time} — ${ref(l)}`);
  return `${parts.join('; ')}.`;
}

function offsiteLine(f: HandoverFacts, ref: (e: LedgerEntry) => string): string {
  const configured = f.backupSettings?.offsite ?? [];
  if (configured.length === 0) return `none configured in shipproof.yaml, so every backup lives only on ${f.target.name} ${NO_RECORD}`;
  if (f.offsite.length === 0) return `${configured.length} destination(s) configured; no off-site copy is recorded ${NO_RECORD}`;
  return f.offsite.map((o) => `${o.destination}: ${o.status} — ${ref(o.record)}`).join('; ');
}

function retentionLine(f: HandoverFacts): string {
  const s = f.backupSettings;
  if (s === undefined) return 'could not be read';
  const rules = [s.keep === undefined ? undefined : `keep the newest ${s.keep} per service`, s.keepDays === undefined ? undefined : `keep ${s.keepDays} days`].filter((x) => x !== undefined);
  return rules.length === 0 ? 'none configured: backups are never pruned' : rules.join(', ');
}

function watchOuts(f: HandoverFacts, ago: (iso: string) => string, ref: (e: LedgerEntry) => string): string[] {
  const w: string[] = [];
  for (const s of f.standing) if (s.current?.value === null && s.current.record !== undefined) w.push(`**${s.target}: nothing serves** — the newest rollback failed (${ref(s.current.record)}).`);
  for (const e of f.notPassing) {
    const what = e.milestone === undefined ? e.kind : `milestone ${e.milestone.number} (${e.milestone.id})`;
    w.push(`Evidence: the newest ${what} record is **${e.status}**${e.release === undefined ? '' : ` (release \`${e.release}\`)`} — ${ref(e)}.`);
  }
  if (f.lastVerify !== undefined) for (const g of f.lastVerify.gaps.slice(0, 10)) w.push(`Verification gap: ${g} — ${ref(f.lastVerify.entry)}`);
  if (f.lintProblem !== undefined) w.push(`Lint could not run: ${f.lintProblem} ${NO_RECORD}`);
  if (f.lint !== undefined && f.lint.findings.length > 0) {
    w.push(`Lint, run now on this machine: ${f.lint.errors} ${f.lint.errors === 1 ? 'error' : 'errors'}, ${f.lint.warnings} ${f.lint.warnings === 1 ? 'warning' : 'warnings'} (\`shipproof lint\` for why and how to fix) ${NO_RECORD}:`);
    for (const x of f.lint.findings.slice(0, 15)) w.push(`  - \`${formatLocation(x.location)}\` ${x.severity} ${x.rule}: ${x.message}`);
    if (f.lint.findings.length > 15) w.push(`  - … and ${f.lint.findings.length - 15} more`);
  }
  for (const s of f.lint?.switchedOff ?? []) w.push(`Lint rule ${s.rule} is switched off${s.services === undefined ? '' : ` for ${s.services.join(', ')}`}: ${s.reason} ${NO_RECORD}`);
  const b = f.lastBackup;
  if (b === undefined) w.push(`Backups: none recorded in the ledger ${NO_RECORD}.`);
  else if (b.status !== 'passed') w.push(`Backups: the newest backup record is ${b.status} — ${ref(b)}.`);
  else if (f.now.getTime() - Date.parse(b.time) > STALE_BACKUP_HOURS * 3_600_000) w.push(`Backups: stale — the last passing backup is ${ago(b.time)} old — ${ref(b)}.`);
  if (b !== undefined && (f.lastRehearsal === undefined || f.lastRehearsal.seq < b.seq)) w.push(`Backups: the newest backup has not been rehearsed — ${ref(b)}.`);
  for (const cert of f.certificates) {
    if (cert.daysLeft === null) w.push(`Certificate of ${cert.domain}: expiry could not be read — ${ref(cert.record)}.`);
    else if (cert.daysLeft < CERT_WARN_DAYS) w.push(`Certificate of ${cert.domain}: ${cert.daysLeft < 0 ? 'expired' : `expires in ${cert.daysLeft} days`} (seen at ${cert.record.time}) — ${ref(cert.record)}.`);
  }
  if (f.lockProblem !== undefined) w.push(`Image pins could not be checked: ${f.lockProblem} ${NO_RECORD}`);
  for (const p of f.lock?.problems ?? []) w.push(`Images: ${p.message} ${NO_RECORD}`);
  return w;
}

function nextSteps(f: HandoverFacts, cmd: (args: string) => string, ref: (e: LedgerEntry) => string): string[] {
  const n: string[] = [];
  const here = f.standing.find((s) => s.target === f.target.name);
  if (here?.current?.value === null && here.current.record !== undefined) n.push(`Bring ${f.target.name} back: nothing serves since the failed rollback (${ref(here.current.record)}); see that record for what ran, then \`${cmd('rollback <release>')}\`.`);
  if (f.lastDeploy === undefined) n.push(`Deploy for the first time: \`${cmd('deploy')}\`.`);
  else if (f.lastDeploy.status !== 'passed') n.push(`Fix what failed in the newest deploy and deploy again (\`${cmd('deploy')}\`) — ${ref(f.lastDeploy)}.`);
  // A milestone that did not apply (skipped) is not a next step; only ones that apply and have not passed.
  const open = f.milestones.rows.filter((r) => r.status !== 'passed' && r.status !== 'skipped');
  if (open.length > 0 && f.milestones.release !== null) {
    n.push(`Milestones without passing evidence for \`${f.milestones.release}\`: ${open.map((r) => `${r.number} ${r.id} (${r.status})`).join(', ')}.`);
  }
  if (here?.healthStale === true && here.health?.record !== undefined) n.push(`Observe health again after the last change: \`${cmd('collect')}\` (newest observation ${ref(here.health.record)}).`);
  if (f.lastBackup === undefined) n.push(`Take a first backup: \`${cmd('backup run')}\`.`);
  else if (f.lastRehearsal === undefined || f.lastRehearsal.seq < f.lastBackup.seq) n.push(`Rehearse a restore of the newest backup: \`${cmd('restore <backup> --rehearse')}\` — ${ref(f.lastBackup)}.`);
  for (const h of f.human) {
    if (h.state === 'attested') continue;
    const state = h.state === 'needed' ? 'needs a person' : h.state === 'expired' ? `sign-off expired on ${h.attestation?.expires ?? '?'}` : 'a person saw it fail';
    n.push(`Human item \`${h.spec.id}\` (${state}): ${h.spec.test} — expected: ${h.spec.expected}.`);
  }
  if (f.lastVerify !== undefined && f.lastVerify.gaps.length > 0) n.push(`Close the ${f.lastVerify.gaps.length} verification gaps, then run \`shipproof verify\` again — ${ref(f.lastVerify.entry)}.`);
  if (f.lint !== undefined && f.lint.errors > 0) n.push('Fix the lint errors listed under watch-outs (`shipproof lint`).');
  if (f.lock !== undefined && !f.lock.ok) n.push('Pin the images: `shipproof pin`, then commit shipproof.lock.');
  return n;
}

export function humanAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
