// `shipproof handover`: HANDOVER.md, a living document made from the evidence ledger, lint and the
// image lock — where things stand, what happened since the last handover, how to operate this
// project, what to watch, what is next. Overwritten each time; the ledger is the durable record.
// It reads only this machine (no server connection), and it never holds a secret: it reads no env
// values, and the finished text passes the one redactor and the fail-closed scan before it is written.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { displayPath, resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import { resolveBackupSettings, type BackupSettings } from '../backup/settings.js';
import { writeGeneratedFile } from '../evidence/generated-file.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { EvidenceStore } from '../evidence/store.js';
import type { LintReport } from '../lint/lint.js';
import { lintProject } from '../lint/project.js';
import { checkImageLock, type LockCheck } from '../pin/check.js';
import { milestoneTable } from '../probes/milestones.js';
import { assertNoSecrets, redactText } from '../redact/index.js';
import { evaluateHumanItems, loadAttestations } from '../verify/attestations.js';
import { currentRelease, newestOfKind } from '../verify/release.js';
import type { ProjectSettings } from '../verify/settings.js';
import type { HumanOutcome } from '../verify/types.js';
import { handoverEvents, isRehearsal, type Loaded } from './events.js';
import { renderHandover } from './render.js';
import type { HandoverFacts } from './types.js';

export type { HandoverFacts } from './types.js';
import { standingOf } from './standing.js';

export { renderHandover } from './render.js';

/** Most events listed under "what happened"; older ones are counted. */
export const MAX_EVENTS = 40;
/** The marker HANDOVER.md keeps so the next one knows what it already covered. */
export const COVERED_MARKER = /<!-- shipproof-handover covered-to: (\d+) -->/;

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


async function loadAll(store: EvidenceStore, entries: readonly LedgerEntry[]): Promise<Loaded[]> {
  const out: Loaded[] = [];
  for (const entry of entries) {
    // Approvals and verify runs are read where needed; the rest is read for what it says happened.
    const shown = entry.kind === 'approval' ? undefined : await store.show(entry.seq).catch(() => undefined);
    out.push(shown === undefined ? { entry } : { entry, statement: shown.statement });
  }
  return out;
}

async function coveredBefore(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const m = COVERED_MARKER.exec(text);
  return m === null ? undefined : Number(m[1]);
}

export async function gatherHandover(o: HandoverOptions & { output?: string }): Promise<HandoverFacts> {
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
  const loaded = await loadAll(store, entries);
  const mine = loaded.filter((l) => l.entry.target === target.name);
  const release = currentRelease(entries, target.name);

  const targets = [target.name, ...new Set(entries.map((e) => e.target).filter((t) => t !== target.name && o.config.targets[t] !== undefined))];
  const standing = targets.map((t) => standingOf(loaded, t, o.config));

  const file = handoverPath(o);
  const covered = await coveredBefore(file);
  const since = mine.filter((l) => covered === undefined || l.entry.seq > covered);
  const all = handoverEvents(since);
  const events = all.slice(-MAX_EVENTS);

  const certificates: HandoverFacts['certificates'] = [];
  const collectEntry = [...mine].reverse().find((l) => l.entry.kind === 'collect');
  const tls = collectEntry?.statement?.predicate.results.find((r) => r.id === 'tls');
  for (const k of Object.keys(tls?.observations ?? {})) {
    if (k.endsWith('.daysLeft') && collectEntry !== undefined) {
      certificates.push({ domain: k.slice(0, -'.daysLeft'.length), daysLeft: numberOrNull(tls?.observations[k]), record: collectEntry.entry });
    }
  }

  let lastVerify: HandoverFacts['lastVerify'];
  const verifyEntry = newestOfKind(entries, target.name, 'verify');
  if (verifyEntry !== undefined) {
    const p = (await store.show(verifyEntry.seq).catch(() => undefined))?.statement.predicate;
    lastVerify = {
      entry: verifyEntry,
      notes: p?.notes ?? [],
      gaps: (p?.results ?? []).filter((r) => r.gate && (r.status === 'fail' || r.status === 'error') && !r.id.startsWith('truth:')).map((r) => `${r.title}: ${r.reason ?? r.status}`),
    };
  }

  const restores = mine.filter((l) => l.entry.kind === 'restore');
  const lastRehearsal = [...mine].reverse().find((l) => (l.entry.kind === 'restore' && isRehearsal(l)) || (l.entry.kind === 'milestone' && l.entry.milestone?.number === 10 && l.entry.status !== 'skipped'));
  const lastLiveRestore = [...restores].reverse().find((l) => !isRehearsal(l));
  const backupLoaded = [...mine].reverse().find((l) => l.entry.kind === 'backup' || (l.entry.kind === 'milestone' && l.entry.milestone?.number === 9 && l.entry.status !== 'skipped'));
  const offsite = (backupLoaded?.statement?.predicate.results ?? [])
    .filter((r) => r.id.startsWith('offsite.'))
    .map((r) => ({ destination: r.title, status: r.status, record: (backupLoaded as Loaded).entry }));

  let backupSettings: BackupSettings | undefined;
  try {
    backupSettings = resolveBackupSettings(o.config);
  } catch {
    backupSettings = undefined;
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
    evidenceLink: path.relative(path.dirname(file), o.config.evidenceDir).split(path.sep).join('/') || '.',
    composeFiles: o.config.composeFiles.map((f) => displayPath(o.cwd, f)),
    envFiles: [...envFiles].sort(),
    entries,
    ...(ledgerProblem === undefined ? {} : { ledgerProblem }),
    standing,
    events,
    eventsLeftOut: all.length - events.length,
    ...(covered === undefined ? {} : { coveredBefore: covered }),
    ...optional('lastDeploy', newestOfKind(entries, target.name, 'deploy')),
    milestones: milestoneTable(entries, target.name, release?.release),
    certificates,
    ...optional('lastVerify', lastVerify),
    ...optional('lastBackup', backupLoaded?.entry),
    ...optional('lastRehearsal', lastRehearsal?.entry),
    ...optional('lastLiveRestore', lastLiveRestore?.entry),
    offsite,
    ...optional('backupSettings', backupSettings),
    backupsDir: target.backupsDir,
    notPassing: newestPerKey(mine.map((l) => l.entry)).filter((e) => e.status !== 'passed' && e.status !== 'skipped' && e.kind !== 'approval'),
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

function handoverPath(o: HandoverOptions & { output?: string }): string {
  return path.resolve(o.output === undefined ? o.config.rootDir : o.cwd, o.output ?? o.settings.handover.path);
}

/** Writes HANDOVER.md atomically after the redactor and the fail-closed scan. */
export async function writeHandover(o: HandoverOptions & { output?: string; force?: boolean }): Promise<{ path: string; text: string; facts: HandoverFacts }> {
  const facts = await gatherHandover(o);
  const text = redactText(renderHandover(facts));
  assertNoSecrets(text, 'HANDOVER.md');
  const file = handoverPath(o);
  // A HANDOVER.md a person wrote (or edited since) is not replaced without --force.
  const written = await writeGeneratedFile(file, text, {
    syntax: 'markdown',
    shown: path.relative(o.cwd, file) || file,
    ...(o.force === undefined ? {} : { force: o.force }),
    legacy: (existing) => COVERED_MARKER.test(existing),
  });
  return { path: file, text: written.text, facts };
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
