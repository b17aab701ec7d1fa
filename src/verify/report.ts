// The report for machines (a verification summary in the manner of SLSA's VSA: the policy it was
// judged against and every input attestation, each by sha256), the evidence record, and writing
// both report files atomically after the one redactor has passed over them.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { refuseUnlessOurs, writeGeneratedFile } from '../evidence/generated-file.js';
import { MAX_OBSERVATION_ITEMS, type CheckResult, type EvidenceStatement, type RecordStatus } from '../evidence/predicate-schema.js';
import { buildStatement } from '../evidence/statement.js';
import { assertNoSecrets, redactor, redactText, redactValue } from '../redact/index.js';
import { MILESTONES } from '../milestones/catalog.js';
import { blockingFindings } from './checks/anti-patterns.js';
import { spotCheckCommandText } from './checks/spot-check.js';
import { renderVerificationMarkdown } from './report-markdown.js';
import { checkTitle, signer } from './status.js';
import type { VerificationStatus } from './types.js';
import type { VerifyRun } from './verify.js';

export const VERIFICATION_TYPE = 'https://shipproof.dev/verification-summary/v1';

/** The JSON report. */
export function verificationSummary(run: VerifyRun): Record<string, unknown> {
  const byId = new Map(run.checks.map((c) => [c.id, c]));
  const check = (id: string) => {
    const c = byId.get(id);
    return c === undefined ? {} : { status: c.status, label: c.label, detail: c.detail, observations: c.observations, durationMs: c.durationMs };
  };
  const { spec } = run;
  return {
    _type: VERIFICATION_TYPE,
    verifier: { id: 'shipproof', version: run.toolVersion },
    timeVerified: run.finishedAt,
    startedAt: run.startedAt,
    phase: spec.phase,
    goal: spec.goal ?? null,
    status: run.verdict.status,
    score: run.verdict.score,
    project: run.project,
    target: run.target,
    release: run.release ?? null,
    policy: { uri: run.mustHaves.path, digest: { sha256: run.mustHaves.sha256 } },
    attestationFile: run.attestations.sha256 === undefined ? null : { uri: run.attestations.path, digest: { sha256: run.attestations.sha256 } },
    inputAttestations: run.evidenceUsed.map((e) => ({ seq: e.seq, record: e.record, kind: e.kind, status: e.status, time: e.time, uri: `${e.record}.json`, digest: { sha256: e.sha256 } })),
    truths: run.verdict.truths,
    artifacts: spec.artifacts.map((a) => ({ id: a.id, path: a.path, expected: a.expected ?? null, minLines: a.minLines, ...check(a.id) })),
    keyLinks: spec.keyLinks.map((k) => ({ id: k.id, from: k.from, to: k.to, via: k.via ?? null, pattern: k.pattern ?? null, text: k.text ?? null, ...check(k.id) })),
    spotChecks: spec.spotChecks.map((s) => ({ id: s.id, behavior: s.behavior, command: spotCheckCommandText(s), on: s.on, expectedExit: s.expect?.exitCode ?? s.exitCode, expectsOutput: s.expect?.stdout !== undefined || s.expect?.stdoutRegex !== undefined || s.expect?.stderr !== undefined, ...check(s.id) })),
    probes: spec.probes.map((p) => ({ id: p.id, url: p.url, on: p.on, expectedStatus: p.status, ...check(p.id) })),
    milestones: spec.milestones.map((m) => ({ id: m.id, milestone: m.milestone, milestoneId: MILESTONES[m.milestone - 1]?.id, ...check(m.id), evidence: byId.get(m.id)?.evidence ?? [] })),
    antiPatterns: run.antiPatterns ?? null,
    human: run.human.map((h) => ({ ...h.spec, state: h.state, attestation: h.attestation ?? null })),
    gaps: run.verdict.gaps,
    open: run.verdict.open,
  };
}

const RECORD_STATUS: Record<VerificationStatus, RecordStatus> = { passed: 'passed', gaps_found: 'failed', human_needed: 'human_needed' };

/** The evidence record of a run: one result per check, human item and truth. */
export function verificationStatement(run: VerifyRun, files: readonly { name: string; sha256: string }[]): EvidenceStatement {
  const results: CheckResult[] = run.checks.map((c) => ({
    id: `${c.kind}:${c.id}`,
    title: checkTitle(c),
    gate: true,
    status: c.status,
    reason: c.detail,
    durationMs: c.durationMs,
    observations: c.observations,
    commands: c.commands,
  }));
  const scan = run.antiPatterns;
  if (scan !== undefined) {
    const blocking = blockingFindings(scan);
    const listed = scan.findings.map((f) => `${f.file}:${f.line} ${f.pattern} ${f.severity}`);
    const failed = blocking.length > 0 || scan.missing.length > 0;
    results.push({
      id: 'anti-patterns',
      title: 'Anti-pattern scan',
      gate: true,
      status: failed ? 'fail' : 'pass',
      reason: failed ? `${blocking.length} blocking ${blocking.length === 1 ? 'finding' : 'findings'}${scan.missing.length > 0 ? `; missing paths: ${scan.missing.join(', ')}` : ''}` : `${scan.findings.length} findings, none blocking`,
      observations: {
        filesScanned: scan.filesScanned,
        findings: listed.slice(0, MAX_OBSERVATION_ITEMS),
        findingsTotal: listed.length,
        missingPaths: scan.missing,
      },
      commands: [],
    });
  }
  for (const h of run.human) {
    const a = h.attestation;
    results.push({
      id: `human:${h.spec.id}`,
      title: `Human item ${h.spec.title ?? h.spec.id}`,
      gate: false,
      status: h.state === 'attested' ? 'pass' : h.state === 'failed' || h.state === 'invalid' ? 'fail' : 'skipped',
      reason:
        h.state === 'needed'
          ? `needs a person: ${h.spec.why}`
          : h.state === 'invalid'
            ? `the sign-off does not hold: ${h.problem ?? '?'}`
            : h.state === 'expired'
              ? `the sign-off by ${signer(h)} expired on ${a?.expires ?? '?'}`
              : `signed off as ${a?.status ?? '?'} by ${signer(h)} until ${a?.expires ?? '?'}`,
      observations: {
        state: h.state,
        ...(a === undefined ? {} : { by: a.by, expires: a.expires, evidence: a.evidence.slice(0, 1024) }),
        ...(a?.sha256 === undefined ? {} : { evidenceSha256: a.sha256.toLowerCase() }),
        ...(h.identity === undefined ? {} : { identity: h.identity.name, keyid: h.identity.keyid }),
      },
      commands: [],
    });
  }
  for (const t of run.verdict.truths) {
    results.push({
      id: `truth:${t.id ?? t.number}`,
      title: `Truth ${t.number}: ${t.truth}`.slice(0, 200),
      gate: true,
      status: t.status === 'VERIFIED' ? 'pass' : t.status === 'FAILED' ? 'fail' : 'skipped',
      ...(t.status === 'VERIFIED' ? {} : { reason: t.status === 'FAILED' ? 'a check it relies on failed' : 'needs a person: nothing automated confirms it' }),
      observations: { checks: t.checks },
      commands: [],
    });
  }
  const reportFile = files.find((f) => f.name.endsWith('.md'))?.name;
  const subjects = [
    ...files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
    ...(run.mustHaves.sha256 === '' ? [] : [{ name: run.mustHaves.path, digest: { sha256: run.mustHaves.sha256 } }]),
    ...(run.attestations.sha256 === undefined ? [] : [{ name: run.attestations.path, digest: { sha256: run.attestations.sha256 } }]),
  ];
  return buildStatement({
    kind: 'verify',
    title: `Verification of phase ${run.spec.phase}`,
    project: run.project,
    target: run.target,
    ...(run.release === undefined ? {} : { release: run.release }),
    startedAt: new Date(run.startedAt),
    finishedAt: new Date(run.finishedAt),
    toolVersion: run.toolVersion,
    operator: run.operator,
    status: RECORD_STATUS[run.verdict.status],
    results,
    subjects,
    notCollected: [
      'command output (only its sha256 and byte count)',
      'file contents (only line counts and line numbers)',
      'HTTP response bodies',
      'anti-pattern lines that look like secrets (file:line only)',
    ],
    notes: [
      `verification status: ${run.verdict.status}, score ${run.verdict.score.verified}/${run.verdict.score.total} must-haves verified`,
      ...(reportFile === undefined ? [] : [`report: ${reportFile}`]),
      `must-haves: ${run.mustHaves.path} (sha256 ${run.mustHaves.sha256})`,
      ...run.evidenceUsed.map((e) => `relied on evidence #${e.seq} ${e.record} (sha256 ${e.sha256})`),
    ],
  });
}

export interface WrittenReport {
  markdownPath: string;
  jsonPath: string;
  /** Names relative to the project folder, with the sha256 of the bytes written. */
  files: { name: string; sha256: string }[];
}

/** How the report files are checked before they are replaced (shipproof's own, unless --force). */
export function reportWriteOptions(file: string, force?: boolean): { syntax: 'markdown' | 'json'; shown: string; force?: boolean; legacy: (existing: string) => boolean } {
  const json = /\.json$/i.test(file);
  return {
    syntax: json ? 'json' : 'markdown',
    shown: path.relative(process.cwd(), file) || file,
    ...(force === undefined ? {} : { force }),
    // Reports written before the mark existed.
    legacy: json ? (t) => t.startsWith(`{\n  "_type": "${VERIFICATION_TYPE}"`) : (t) => /^---\nphase: .*\nverified: /.test(t),
  };
}

export function reportJsonPath(markdownPath: string): string {
  return markdownPath.replace(/\.md$/i, '') + '.json';
}

/** Refuses (exit 2) before a verify run when a report file there is not shipproof's. */
export async function checkReportWritable(markdownPath: string, force?: boolean): Promise<void> {
  for (const f of [markdownPath, reportJsonPath(markdownPath)]) await refuseUnlessOurs(f, reportWriteOptions(f, force));
}

/** Writes `<base>.md` and `<base>.json` atomically, redacted and checked for secrets first; never over a file a person wrote (unless `force`). */
export async function writeVerificationReport(run: VerifyRun, markdownPath: string, rootDir: string, force?: boolean): Promise<WrittenReport> {
  const jsonPath = reportJsonPath(markdownPath);
  const markdown = redactText(renderVerificationMarkdown(run));
  const json = `${JSON.stringify(redactValue(verificationSummary(run), redactor), null, 2)}\n`;
  assertNoSecrets(markdown, 'the verification report (Markdown)');
  assertNoSecrets(json, 'the verification report (JSON)');
  await mkdir(path.dirname(markdownPath), { recursive: true });
  await checkReportWritable(markdownPath, force);
  const md = (await writeGeneratedFile(markdownPath, markdown, reportWriteOptions(markdownPath, force))).text;
  const js = (await writeGeneratedFile(jsonPath, json, reportWriteOptions(jsonPath, force))).text;
  const name = (p: string) => {
    const rel = path.relative(rootDir, p);
    return rel.startsWith('..') ? p : rel.split(path.sep).join('/');
  };
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  return { markdownPath, jsonPath, files: [{ name: name(markdownPath), sha256: sha(md) }, { name: name(jsonPath), sha256: sha(js) }] };
}

/** Writes the report files and returns the run's statement; the command records it (src/evidence/record.ts). */
export async function writeVerification(run: VerifyRun, o: { config: ResolvedConfig; markdownPath: string; force?: boolean }): Promise<{ report: WrittenReport; statement: EvidenceStatement }> {
  const report = await writeVerificationReport(run, o.markdownPath, o.config.rootDir, o.force);
  return { report, statement: verificationStatement(run, report.files) };
}
