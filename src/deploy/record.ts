// The deploy's evidence: one statement builder for milestone, deploy and rollback records, the
// one place they are written, and the preflight that settles before anything changes whether
// they can be written at all (the ledger verifies, the folder is writable, the scan passes).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { recordEvidence, redactStatement } from '../evidence/record.js';
import { ShipproofError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { renderEvidenceMarkdown } from '../evidence/render-markdown.js';
import { loadOrCreateSigningKey } from '../evidence/signing-key.js';
import { buildStatement, serializeStatement, summarize, type StatementInput } from '../evidence/statement.js';
import { EvidenceStore } from '../evidence/store.js';
import { assertNoSecrets } from '../redact/index.js';
import { TOOL_VERSION } from '../version.js';
import type { Session } from './session.js';

export function statement(
  s: Pick<Session, 'config' | 'target' | 'host' | 'release' | 'bundle'>,
  kind: string,
  title: string,
  results: CheckResult[],
  started: Date,
  extra: Partial<StatementInput> = {},
): EvidenceStatement {
  return buildStatement({
    kind,
    title,
    project: s.config.project,
    target: { name: s.target.name, description: s.host.description },
    release: s.release,
    startedAt: started,
    results,
    // The bundle hash covers every file of the release (listed in its release.json on the server);
    // the compose files and shipproof.yaml are named on their own as the files people review.
    subjects: [
      { name: `bundle:${s.release}`, digest: { sha256: s.bundle.sha256 } },
      ...s.bundle.files
        .filter((f) => s.config.composeFiles.includes(f.abs) || f.abs === s.config.configPath)
        .map((f) => ({ name: f.rel, digest: { sha256: f.sha256 } })),
    ],
    notCollected: ['env values', 'build and service logs', 'compose configuration output', 'raw command output (only its sha256 and byte count)'],
    ...extra,
  });
}

/** A rollback record names the release it went back to, not the bundle that failed. */
export function rollbackSubjects(s: Pick<Session, 'state'>, to: string): StatementInput['subjects'] {
  const sha = s.state.releases.find((r) => r.id === to)?.bundleSha256;
  return sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? [{ name: `bundle:${to}`, digest: { sha256: sha } }] : [];
}

export interface Written {
  seq: number;
  record: string;
}

/** Writes one record of this deploy. */
export async function writeRecord(config: ResolvedConfig, st: EvidenceStatement): Promise<Written> {
  const { entry } = await recordEvidence(st, { config });
  return { seq: entry.seq, record: entry.record };
}

/**
 * Writes a record; when the fail-closed scan (or the ledger) refuses it, writes in its place a
 * bare record saying so — without the refused observations and commands — so the change still
 * leaves a trace. Returns the refusal for the runner to treat as a failure (rollback path).
 */
export async function writeRecordOrTrace(config: ResolvedConfig, st: EvidenceStatement): Promise<{ written?: Written; refused?: string }> {
  try {
    return { written: await writeRecord(config, st) };
  } catch (e) {
    const refused = e instanceof Error ? e.message : String(e);
    const bare: EvidenceStatement = {
      ...st,
      predicate: {
        ...st.predicate,
        status: 'error',
        summary: { ...st.predicate.summary },
        results: st.predicate.results.slice(0, 1).map((r) => ({
          id: r.id,
          title: r.title,
          gate: true,
          status: 'error' as const,
          reason: 'the full record of this step was refused by the evidence writer (see the deploy record); its observations and commands are left out',
          durationMs: r.durationMs,
          observations: {},
          commands: [],
        })),
      },
    };
    bare.predicate.summary = summarize(bare.predicate.results);
    try {
      return { written: await writeRecord(config, bare), refused };
    } catch {
      return { refused };
    }
  }
}

/**
 * Before the first change: the ledger verifies (a new folder after a deleted one does not, when
 * this machine remembers its head), the folder takes a file, the signing key exists, and a record
 * naming everything deploy records name (project, target, services, images, paths) passes the
 * fail-closed scan — otherwise nothing starts, and the message says why.
 */
export async function evidencePreflight(config: ResolvedConfig, sample: EvidenceStatement): Promise<void> {
  const store = EvidenceStore.open(config.evidenceDir, { toolVersion: TOOL_VERSION });
  const report = await store.verify();
  if (!report.ok) {
    throw new ShipproofError(`The evidence ledger in ${config.evidenceDir} does not verify (${report.firstBad?.problem ?? 'unknown problem'}), so no deploy starts: its records could not be written.`, {
      hint: 'Run `shipproof evidence verify` for the report; nothing on the server was changed.',
    });
  }
  try {
    await mkdir(config.evidenceDir, { recursive: true });
    const probe = join(config.evidenceDir, `.shipproof-write-check-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    throw new ShipproofError(`The evidence folder ${config.evidenceDir} is not writable (${(e as Error).message}), so no deploy starts.`, {
      hint: 'Fix its permissions; nothing on the server was changed.',
    });
  }
  await loadOrCreateSigningKey(config.evidenceDir);
  try {
    const clean = redactStatement(sample);
    assertNoSecrets(serializeStatement(clean).toString('utf8'), 'the evidence records of this deploy');
    assertNoSecrets(renderEvidenceMarkdown(clean), 'the evidence records of this deploy');
  } catch (e) {
    throw new ShipproofError(`${(e as Error).message.replace(/\.$/, '')}, so no deploy starts: a secret value also appears in the names every record holds (project, service, image or path names).`, {
      hint: 'Give that secret a strong value (e.g. `openssl rand -hex 32`); nothing on the server was changed.',
    });
  }
}

/** A record holding every name a deploy's records hold, for the preflight scan. */
export function sampleStatement(s: Pick<Session, 'config' | 'target' | 'host' | 'release' | 'bundle' | 'compose' | 'layout'>): EvidenceStatement {
  const names = s.compose.services.map((x) => x.name);
  const observations: Record<string, string | string[]> = Object.fromEntries(names.map((n) => [n, `${n}: running`]));
  observations.images = s.compose.services.map((x) => `${x.name}: ${x.image ?? ''}`);
  observations.paths = [s.layout.appDir, s.layout.releaseDir(s.release), s.layout.live, ...s.config.envFiles.map((e) => e.path)];
  observations.health = s.config.health.map((h) => `${h.name} ${h.url}`);
  observations.domains = s.config.domains;
  return statement(s, 'milestone', `Milestone 1: preflight — release ${s.release} on ${s.target.name}`, [
    { id: 'preflight', title: 'names every record holds', gate: true, status: 'pass', durationMs: 0, observations, commands: [] },
  ], new Date());
}
