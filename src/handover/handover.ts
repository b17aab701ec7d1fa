// `shipproof handover`: HANDOVER.md, a living document made from the evidence ledger, lint and the
// image lock — where things stand, how to operate this project, what to watch, what is next.
// Overwritten each time; the ledger is the durable record. It reads only this machine (no server
// connection), and it never holds a secret: it reads no env values, and the finished text passes
// the one redactor and the fail-closed scan before it is written.
import path from 'node:path';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { displayPath, resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import { formatLocation } from '../errors.js';
import { writeFileAtomic } from '../evidence/atomic-write.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import { EvidenceStore } from '../evidence/store.js';
import type { LintReport } from '../lint/lint.js';
import { lintProject } from '../lint/project.js';
import { MILESTONES } from '../milestones/catalog.js';
import { checkImageLock, type LockCheck } from '../pin/check.js';
import { milestoneTable, type MilestoneTable } from '../probes/milestones.js';
import { assertNoSecrets, redactText } from '../redact/index.js';
import { TOOL_VERSION } from '../version.js';
import { evaluateHumanItems, loadAttestations } from '../verify/attestations.js';
import { currentRelease, newestOfKind, type CurrentRelease } from '../verify/release.js';
import type { ProjectSettings } from '../verify/settings.js';
import type { HumanOutcome } from '../verify/types.js';

/** A backup older than this is stale: daily backups plus a little slack. */
export const STALE_BACKUP_HOURS = 26;
/** Certificates closer to expiry than this are a watch-out (Let's Encrypt renews at 30 days left). */
export const CERT_WARN_DAYS = 21;

export interface HandoverOptions {
  config: ResolvedConfig;
  settings: ProjectSettings;
  cwd: string;
  targetName?: string;
  /** The commands this shipproof has (from the CLI), so the runbook names only real ones. */
  commands: readonly string[];
  /** The --config given on the command line, repeated in every command shown. */
  configFlag?: string;
  now?: () => Date;
}

interface CollectFacts {
  entry: LedgerEntry;
  health?: CheckResult;
  certificates: { domain: string; daysLeft: number | null }[];
}

export interface HandoverFacts {
  project: string;
  target: ResolvedTarget;
  now: Date;
  evidenceDir: string;
  composeFiles: string[];
  /** Env file paths as written (shipproof.yaml envFiles, compose env_file), never their content. */
  envFiles: string[];
  entries: LedgerEntry[];
  ledgerProblem?: string;
  lastDeploy?: LedgerEntry;
  lastRollback?: LedgerEntry;
  release?: CurrentRelease;
  milestones: MilestoneTable;
  collect?: CollectFacts;
  lastVerify?: { entry: LedgerEntry; notes: string[]; gaps: string[] };
  lastBackup?: LedgerEntry;
  lastRestore?: LedgerEntry;
  /** The newest record of each kind (and milestone) that did not pass. */
  notPassing: LedgerEntry[];
  lint?: LintReport;
  lintProblem?: string;
  lock?: LockCheck;
  lockProblem?: string;
  human: HumanOutcome[];
  commands: readonly string[];
  configFlag?: string;
}

export async function gatherHandover(o: HandoverOptions): Promise<HandoverFacts> {
  const now = (o.now ?? (() => new Date()))();
  const target = resolveTargetName(o.config, o.targetName);
  const store = EvidenceStore.open(o.config.evidenceDir);
  let entries: LedgerEntry[] = [];
  let ledgerProblem: string | undefined;
  try {
    entries = await store.list();
  } catch (e) {
    ledgerProblem = messageOf(e);
  }
  const mine = entries.filter((e) => e.target === target.name);
  const release = currentRelease(entries, target.name);

  let collect: CollectFacts | undefined;
  const collectEntry = newestOfKind(entries, target.name, 'collect');
  if (collectEntry !== undefined) {
    const shown = await store.show(collectEntry.seq).catch(() => undefined);
    const results = shown?.statement.predicate.results ?? [];
    const tls = results.find((r) => r.id === 'tls');
    const domains = Object.keys(tls?.observations ?? {})
      .filter((k) => k.endsWith('.daysLeft'))
      .map((k) => ({ domain: k.slice(0, -'.daysLeft'.length), daysLeft: numberOrNull(tls?.observations[k]) }));
    const health = results.find((r) => r.id === 'http-health');
    collect = { entry: collectEntry, ...(health === undefined ? {} : { health }), certificates: domains };
  }

  let lastVerify: HandoverFacts['lastVerify'];
  const verifyEntry = newestOfKind(entries, target.name, 'verify');
  if (verifyEntry !== undefined) {
    const shown = await store.show(verifyEntry.seq).catch(() => undefined);
    const p = shown?.statement.predicate;
    lastVerify = {
      entry: verifyEntry,
      notes: p?.notes ?? [],
      gaps: (p?.results ?? []).filter((r) => r.gate && (r.status === 'fail' || r.status === 'error') && !r.id.startsWith('truth:')).map((r) => `${r.title}: ${r.reason ?? r.status}`),
    };
  }

  let lint: LintReport | undefined;
  let lintProblem: string | undefined;
  try {
    lint = await lintProject({ config: o.config, settings: o.settings, cwd: o.cwd });
  } catch (e) {
    lintProblem = messageOf(e);
  }
  let lock: LockCheck | undefined;
  let lockProblem: string | undefined;
  const envFiles = new Set(o.config.envFiles.map((e) => e.path));
  try {
    const model = await loadCompose(o.config.composeFiles, { cwd: o.cwd });
    for (const s of model.services) for (const ref of s.envFiles) envFiles.add(ref.path);
    lock = await checkImageLock(o.config, model, { cwd: o.cwd });
  } catch (e) {
    lockProblem = messageOf(e);
  }

  let human: HumanOutcome[] = [];
  const spec = o.settings.verify;
  if (spec !== undefined) {
    const attestations = await loadAttestations(path.resolve(o.config.rootDir, spec.attestations), o.cwd, spec.human);
    human = evaluateHumanItems(spec.human, attestations.attestations, now);
  }

  return {
    project: o.config.project,
    target,
    now,
    evidenceDir: displayPath(o.cwd, o.config.evidenceDir),
    composeFiles: o.config.composeFiles.map((f) => displayPath(o.cwd, f)),
    envFiles: [...envFiles].sort(),
    entries,
    ...(ledgerProblem === undefined ? {} : { ledgerProblem }),
    ...optional('lastDeploy', newestOfKind(entries, target.name, 'deploy')),
    ...optional('lastRollback', newestOfKind(entries, target.name, 'rollback')),
    ...optional('release', release),
    milestones: milestoneTable(entries, target.name, release?.release),
    ...optional('collect', collect),
    ...optional('lastVerify', lastVerify),
    ...optional('lastBackup', newestOfKind(entries, target.name, 'backup')),
    ...optional('lastRestore', newestOfKind(entries, target.name, 'restore')),
    notPassing: newestPerKey(mine).filter((e) => e.status !== 'passed' && e.kind !== 'approval'),
    ...optional('lint', lint),
    ...optional('lintProblem', lintProblem),
    ...optional('lock', lock),
    ...optional('lockProblem', lockProblem),
    human,
    commands: o.commands,
    ...optional('configFlag', o.configFlag),
  };
}

/** The newest entry per kind, and per milestone for milestone entries. */
function newestPerKey(entries: readonly LedgerEntry[]): LedgerEntry[] {
  const newest = new Map<string, LedgerEntry>();
  for (const e of entries) newest.set(e.milestone === undefined ? e.kind : `${e.kind}:${e.milestone.number}`, e);
  return [...newest.values()].sort((a, b) => a.seq - b.seq);
}

export function renderHandover(f: HandoverFacts): string {
  const out: string[] = [];
  const t = f.target;
  const cmd = (args: string) => `shipproof${f.configFlag === undefined ? '' : ` --config ${f.configFlag}`} --target ${t.name} ${args}`;
  const ago = (iso: string) => humanAge(f.now.getTime() - Date.parse(iso));
  const ref = (e: LedgerEntry) => `#${e.seq} \`${e.record}\``;

  out.push(`# HANDOVER — ${f.project} on ${t.name}`, '');
  out.push(`> Living document: written by \`shipproof handover\` at ${f.now.toISOString()} and overwritten each time.`);
  out.push(`> The durable record is the evidence ledger in \`${f.evidenceDir}\` (\`shipproof evidence list\`, \`shipproof evidence verify\`).`);
  out.push('> This file reads only that ledger and the project files on this machine; it holds no secret values.', '');

  // ---- where things stand ----
  out.push('## Where things stand', '');
  const where = t.kind === 'ssh' ? `${t.user}@${t.host}:${t.port}` : 'this machine';
  out.push(`- **Target:** ${t.name} (${where}), app folder \`${t.appDir}\``);
  if (f.ledgerProblem !== undefined) out.push(`- **Evidence ledger:** could not be read — ${f.ledgerProblem}`);
  const d = f.lastDeploy;
  out.push(d === undefined ? '- **Last deploy:** no deploy recorded yet.' : `- **Last deploy:** ${d.status}, release \`${d.release ?? 'unknown'}\`, at ${d.time} (${ago(d.time)} ago), evidence ${ref(d)}`);
  if (f.lastRollback !== undefined) {
    const r = f.lastRollback;
    out.push(`- **Last rollback:** ${r.status}, to release \`${r.release ?? 'unknown'}\`, at ${r.time}, evidence ${ref(r)}`);
  }
  out.push(
    f.release === undefined
      ? '- **Current release:** none recorded.'
      : `- **Current release:** \`${f.release.release}\` (from ${f.release.entry.kind} ${ref(f.release.entry)})`,
  );
  const c = f.collect;
  if (c === undefined) out.push(`- **Health:** not observed yet — run \`${cmd('collect')}\`.`);
  else if (c.health === undefined) out.push(`- **Health:** the last collect (${ref(c.entry)}, ${c.entry.time}) holds no HTTP health result.`);
  else out.push(`- **Health:** ${c.health.status} at ${c.entry.time} (${ago(c.entry.time)} ago, collect ${ref(c.entry)})${c.health.reason === undefined ? '' : ` — ${c.health.reason}`}`);
  const v = f.lastVerify;
  out.push(v === undefined ? '- **Verification:** none recorded — run `shipproof verify`.' : `- **Verification:** ${v.notes[0] ?? v.entry.status}, at ${v.entry.time}, evidence ${ref(v.entry)}`);
  out.push(`- **Backups:** ${backupLine(f)}`);
  out.push('');

  out.push(`### Milestones${f.milestones.release === null ? ' (no release recorded yet)' : ` of release \`${f.milestones.release}\``}`, '');
  out.push('| # | Milestone | Status | Evidence |', '| --- | --- | --- | --- |');
  for (const row of f.milestones.rows) {
    const m = MILESTONES[row.number - 1];
    out.push(`| ${row.number} | ${m?.title ?? row.id} | ${row.status} | ${row.record === null ? '—' : `\`${row.record}\``} |`);
  }
  out.push('');

  // ---- operating essentials ----
  out.push('## Operating essentials', '');
  if (t.kind === 'ssh') out.push(`- **Server:** \`ssh -p ${t.port} ${t.user}@${t.host}\`, app folder \`${t.appDir}\` (releases under \`releases/\`, the live one at \`current\`)`);
  else out.push(`- **Server:** this machine, app folder \`${t.appDir}\``);
  out.push(`- **Compose project:** \`${f.project}\`, files ${f.composeFiles.map((x) => `\`${x}\``).join(', ')}`);
  const envFiles = f.envFiles;
  out.push(`- **Env files on the server** (names only; values never leave the server): ${envFiles.length === 0 ? 'none declared' : envFiles.map((x) => `\`${x}\``).join(', ')}`);
  out.push(`- **Evidence:** \`${f.evidenceDir}\``, '');
  out.push('| To | Run |', '| --- | --- |');
  const runbook: [string, string, string][] = [
    ['Deploy the working tree', 'deploy', cmd('deploy')],
    ['Roll back to the previous healthy release', 'rollback', cmd('rollback')],
    ['Back up the stateful services', 'backup', cmd('backup run')],
    ['List the backups on the server', 'backup', cmd('backup list')],
    ['Rehearse a restore into a scratch container', 'restore', cmd('restore <backup> --rehearse')],
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
  const watch = watchOuts(f, ago);
  if (watch.length === 0) out.push('Nothing to watch in the evidence, lint, backups, certificates or image pins.');
  for (const w of watch) out.push(w.startsWith('  - ') ? w : `- ${w}`);
  out.push('');

  // ---- next steps ----
  out.push('## Next steps', '');
  const next = nextSteps(f, cmd);
  if (next.length === 0) out.push('Nothing pending: every milestone of the current release has passing evidence and no human item is open.');
  next.forEach((n, i) => out.push(`${i + 1}. ${n}`));
  out.push('', '---', '', `_Generated by shipproof ${TOOL_VERSION} at ${f.now.toISOString()}._`, '');
  return out.join('\n');
}

function backupLine(f: HandoverFacts): string {
  const b = f.lastBackup;
  const note = 'backups on the server were not listed: this file reads only the ledger';
  if (b === undefined) return `no backup recorded in the ledger; whether backups exist on the server is unknown (${note}).`;
  const hours = (f.now.getTime() - Date.parse(b.time)) / 3_600_000;
  const restore = f.lastRestore === undefined ? 'no restore rehearsal recorded' : `last restore rehearsal ${f.lastRestore.status} at ${f.lastRestore.time}`;
  return `last backup ${b.status} at ${b.time} (${humanAge(hours * 3_600_000)} ago, #${b.seq}); ${restore}.`;
}

function watchOuts(f: HandoverFacts, ago: (iso: string) => string): string[] {
  const w: string[] = [];
  for (const e of f.notPassing) {
    const what = e.milestone === undefined ? e.kind : `milestone ${e.milestone.number} (${e.milestone.id})`;
    w.push(`Evidence: the newest ${what} record is **${e.status}** (#${e.seq}, ${e.time}${e.release === undefined ? '' : `, release \`${e.release}\``}).`);
  }
  if (f.lastVerify !== undefined) for (const g of f.lastVerify.gaps.slice(0, 10)) w.push(`Verification gap (#${f.lastVerify.entry.seq}): ${g}`);
  if (f.lintProblem !== undefined) w.push(`Lint could not run: ${f.lintProblem}`);
  if (f.lint !== undefined && f.lint.findings.length > 0) {
    w.push(`Lint: ${f.lint.errors} ${f.lint.errors === 1 ? 'error' : 'errors'}, ${f.lint.warnings} ${f.lint.warnings === 1 ? 'warning' : 'warnings'} (\`shipproof lint\` for why and how to fix):`);
    for (const x of f.lint.findings.slice(0, 15)) w.push(`  - \`${formatLocation(x.location)}\` ${x.severity} ${x.rule}: ${x.message}`);
    if (f.lint.findings.length > 15) w.push(`  - … and ${f.lint.findings.length - 15} more`);
  }
  for (const s of f.lint?.switchedOff ?? []) w.push(`Lint rule ${s.rule} is switched off${s.services === undefined ? '' : ` for ${s.services.join(', ')}`}: ${s.reason}`);
  const b = f.lastBackup;
  if (b === undefined) w.push('Backups: none recorded in the ledger.');
  else if (b.status !== 'passed') w.push(`Backups: the newest backup record is ${b.status} (#${b.seq}).`);
  else if (f.now.getTime() - Date.parse(b.time) > STALE_BACKUP_HOURS * 3_600_000) w.push(`Backups: stale — the last passing backup is ${ago(b.time)} old.`);
  for (const cert of f.collect?.certificates ?? []) {
    if (cert.daysLeft === null) w.push(`Certificate of ${cert.domain}: expiry could not be read (collect #${f.collect?.entry.seq}).`);
    else if (cert.daysLeft < CERT_WARN_DAYS) w.push(`Certificate of ${cert.domain}: ${cert.daysLeft < 0 ? 'expired' : `expires in ${cert.daysLeft} days`} (seen by collect #${f.collect?.entry.seq} at ${f.collect?.entry.time}).`);
  }
  if (f.lockProblem !== undefined) w.push(`Image pins could not be checked: ${f.lockProblem}`);
  for (const p of f.lock?.problems ?? []) w.push(`Images: ${p.message}`);
  return w;
}

function nextSteps(f: HandoverFacts, cmd: (args: string) => string): string[] {
  const n: string[] = [];
  if (f.lastDeploy === undefined) n.push(`Deploy for the first time: \`${cmd('deploy')}\`.`);
  const open = f.milestones.rows.filter((r) => r.status !== 'passed');
  if (open.length > 0 && f.milestones.release !== null) {
    n.push(`Milestones without passing evidence for \`${f.milestones.release}\`: ${open.map((r) => `${r.number} ${r.id} (${r.status})`).join(', ')}.`);
  }
  for (const h of f.human) {
    if (h.state === 'attested') continue;
    const state = h.state === 'needed' ? 'needs a person' : h.state === 'expired' ? `sign-off expired on ${h.attestation?.expires ?? '?'}` : 'a person saw it fail';
    n.push(`Human item \`${h.spec.id}\` (${state}): ${h.spec.test} — expected: ${h.spec.expected}.`);
  }
  if (f.lastVerify !== undefined && f.lastVerify.gaps.length > 0) n.push(`Close the ${f.lastVerify.gaps.length} verification gaps of #${f.lastVerify.entry.seq}, then run \`shipproof verify\` again.`);
  if (f.lint !== undefined && f.lint.errors > 0) n.push('Fix the lint errors listed under watch-outs (`shipproof lint`).');
  if (f.lock !== undefined && !f.lock.ok) n.push('Pin the images: `shipproof pin`, then commit shipproof.lock.');
  return n;
}

/** Writes HANDOVER.md atomically after the redactor and the fail-closed scan. */
export async function writeHandover(o: HandoverOptions & { output?: string }): Promise<{ path: string; text: string; facts: HandoverFacts }> {
  const facts = await gatherHandover(o);
  const text = redactText(renderHandover(facts));
  assertNoSecrets(text, 'HANDOVER.md');
  const file = path.resolve(o.output === undefined ? o.config.rootDir : o.cwd, o.output ?? o.settings.handover.path);
  await writeFileAtomic(file, text);
  return { path: file, text, facts };
}

function humanAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
