// The verification report for people, in the shape of seed 001: YAML frontmatter (phase, verified,
// status, score), then observable truths, required artifacts, key links, spot-checks, probes,
// milestone evidence, anti-patterns, human verification and the gaps summary. Made only from the
// run, so it says nothing that was not observed; empty sections say so instead of vanishing.
import { MILESTONES } from '../milestones/catalog.js';
import { spotCheckCommandText } from './checks/spot-check.js';
import type { VerifyRun } from './verify.js';
import type { CheckOutcome, HumanOutcome, TruthOutcome } from './types.js';
import { signer } from './status.js';

const MARK: Record<CheckOutcome['status'], string> = { pass: '✓', fail: '✗', error: '⚠' };
const TRUTH_MARK: Record<TruthOutcome['status'], string> = { VERIFIED: '✓ VERIFIED', FAILED: '✗ FAILED', UNCERTAIN: '? UNCERTAIN' };
const IMPACT = { blocker: 'unfinished code ships', warning: 'debt marker', info: 'noted only' } as const;

export function renderVerificationMarkdown(run: VerifyRun): string {
  const { spec, verdict } = run;
  const byId = new Map(run.checks.map((c) => [c.id, c]));
  const score = `${verdict.score.verified}/${verdict.score.total}`;
  const out: string[] = [];

  out.push('---');
  out.push(`phase: ${q(spec.phase)}`);
  out.push(`verified: ${q(run.finishedAt)}`);
  out.push(`status: ${verdict.status}`);
  out.push(`score: ${q(`${score} must-haves verified`)}`);
  out.push(`project: ${q(run.project)}`);
  out.push(`target: ${q(run.target.name)}`);
  out.push(`release: ${run.release === undefined ? 'null' : q(run.release)}`);
  out.push(`must_haves: ${q(run.mustHaves.path)}`);
  out.push(`must_haves_sha256: ${q(run.mustHaves.sha256)}`);
  out.push(`gaps: ${verdict.gaps.length}`);
  out.push(`human_verification: ${run.human.filter((h) => h.state !== 'attested').length}`);
  out.push(`verifier: ${q(`shipproof ${run.toolVersion}`)}`);
  out.push('---', '');

  out.push(`# Phase ${spec.phase}: Verification Report`, '');
  out.push(`**Phase goal:** ${spec.goal === undefined ? '_not stated in the must-haves_' : text(spec.goal)}  `);
  out.push(`**Verified:** ${run.finishedAt} · **Status:** ${verdict.status} · **Score:** ${score} must-haves verified  `);
  out.push(`**Target:** ${text(run.target.name)} (${text(run.target.description)}) · **Release:** ${run.release === undefined ? 'none recorded' : code(run.release)}  `);
  out.push(`**Must-haves:** ${code(run.mustHaves.path)} (sha256 ${code(run.mustHaves.sha256)})`, '');

  out.push('## Goal Achievement', '', '### Observable Truths', '');
  out.push('| # | Truth | Status | Evidence |', '| --- | --- | --- | --- |');
  for (const t of verdict.truths) out.push(`| ${t.number} | ${cell(t.truth)} | ${TRUTH_MARK[t.status]} | ${cell(t.evidence)} |`);
  out.push('', `**Score:** ${score} truths verified`, '');

  out.push('### Required Artifacts', '');
  table(out, ['Artifact', 'Expected', 'Status', 'Details'], spec.artifacts, (a) => {
    const c = byId.get(a.id) as CheckOutcome;
    const expected = a.expected ?? `substantive: at least ${a.minLines} non-blank lines, no placeholder body`;
    return [code(a.path), cell(expected), status(c), cell(c.detail)];
  }, 'No artifacts are declared.');

  out.push('### Key Link Verification', '');
  table(out, ['From', 'To', 'Via', 'Status', 'Details'], spec.keyLinks, (k) => {
    const c = byId.get(k.id) as CheckOutcome;
    return [code(k.from), code(k.to), k.via === undefined ? code(k.pattern ?? k.text ?? '') : code(k.via), status(c), cell(c.detail)];
  }, 'No key links are declared.');

  out.push('### Behavioral Spot-Checks', '');
  table(out, ['Behavior', 'Command', 'Result', 'Status'], spec.spotChecks, (s) => {
    const c = byId.get(s.id) as CheckOutcome;
    const where = s.on === 'target' ? ` (on ${run.target.name})` : '';
    return [cell(s.behavior), `${code(spotCheckCommandText(s))}${cell(where)}`, cell(c.detail), status(c)];
  }, 'No spot-checks are declared.');
  if (spec.spotChecks.length > 0) out.push('Only exit codes and durations are recorded; command output is kept as a sha256 in the evidence record.', '');

  out.push('### Probe Execution', '');
  table(out, ['Probe', 'URL', 'Result', 'Status'], spec.probes, (p) => {
    const c = byId.get(p.id) as CheckOutcome;
    return [cell(p.id), `${code(p.url)}${p.on === 'target' ? cell(` (from ${run.target.name})`) : ''}`, cell(c.detail), status(c)];
  }, 'No HTTP probes are declared.');

  out.push('### Milestone Evidence', '');
  table(out, ['Check', 'Milestone', 'Release', 'Status', 'Evidence'], spec.milestones, (m) => {
    const c = byId.get(m.id) as CheckOutcome;
    const ms = MILESTONES.find((x) => x.number === m.milestone);
    const records = c.evidence.map((e) => `#${e.seq} ${code(e.record)} (sha256 ${code(e.sha256.slice(0, 16))}…)`).join(', ');
    return [cell(m.id), cell(`${m.milestone} ${ms?.title ?? ''}`), run.release === undefined ? 'none recorded' : code(run.release), status(c), records === '' ? cell(c.detail) : `${cell(c.detail)}; ${records}`];
  }, 'No milestone checks are declared.');

  out.push('### Anti-Patterns Found', '');
  const scan = run.antiPatterns;
  if (scan === undefined) {
    out.push('No anti-pattern scan is declared (add antiPatterns: with paths: to the must-haves).', '');
  } else {
    const s = scan.skipped;
    out.push(
      `Scanned ${scan.filesScanned} ${scan.filesScanned === 1 ? 'file' : 'files'} under ${scan.paths.map(code).join(', ')} for TODO, FIXME, XXX, HACK, PLACEHOLDER, TBD and "not implemented". ` +
        `Skipped: ${s.lockFiles} lock files, ${s.vendored} vendored or generated, ${s.binary} binary, ${s.large} over 2 MiB, ${s.excluded} excluded.`,
      '',
    );
    for (const m of scan.missing) out.push(`- ✗ ${code(m)} does not exist: nothing was scanned there.`);
    if (scan.missing.length > 0) out.push('');
    out.push('| File | Line | Pattern | Severity | Impact |', '| --- | --- | --- | --- | --- |');
    if (scan.findings.length === 0) out.push('| — | — | None found | — | — |');
    for (const f of scan.findings) {
      const shown = f.excerpt === undefined ? 'line not shown: it looks like it holds a secret' : code(f.excerpt);
      out.push(`| ${code(f.file)} | ${f.line} | ${f.pattern} | ${f.severity} | ${IMPACT[f.severity]}: ${shown} |`);
    }
    out.push('');
  }

  out.push('### Human Verification Required', '');
  if (run.human.length === 0) {
    out.push('No items are declared for a person.', '');
  } else {
    const open = run.human.filter((h) => h.state !== 'attested').length;
    out.push(`${run.human.length} ${run.human.length === 1 ? 'item needs' : 'items need'} a person; ${open} ${open === 1 ? 'is' : 'are'} without a valid sign-off.`, '');
    run.human.forEach((h, i) => {
      out.push(`#### ${i + 1}. ${text(h.spec.title ?? h.spec.id)} (${code(h.spec.id)})`, '');
      out.push(`**Test:** ${text(h.spec.test)}  `);
      out.push(`**Expected:** ${text(h.spec.expected)}  `);
      out.push(`**Why human:** ${text(h.spec.why)}  `);
      out.push(`**Sign-off:** ${signOff(h)}`, '');
    });
  }

  out.push('## Gaps Summary', '');
  if (run.verdict.gaps.length === 0) {
    out.push('No gaps found: every automated check passed.', '');
  } else {
    out.push(`${run.verdict.gaps.length} ${run.verdict.gaps.length === 1 ? 'gap' : 'gaps'}:`, '');
    for (const g of run.verdict.gaps) out.push(`- ${text(g)}`);
    out.push('');
  }
  if (run.verdict.open.length > 0) {
    out.push('Still open before this phase can be called passed:', '');
    for (const o of run.verdict.open) out.push(`- ${text(o)}`);
    out.push('');
  }
  if (run.evidenceUsed.length > 0) {
    out.push('Evidence records relied on:', '');
    for (const e of run.evidenceUsed) out.push(`- #${e.seq} ${code(e.record)} (${e.kind}, ${e.status}, ${e.time}) sha256 ${code(e.sha256)}`);
    out.push('');
  }
  out.push('---', '', `_Verified: ${run.finishedAt}_ · _Verifier: shipproof ${text(run.toolVersion)} (${text(run.operator)})_`, '');
  return out.join('\n');
}

function signOff(h: HumanOutcome): string {
  const a = h.attestation;
  if (a === undefined) return 'none yet.';
  const detail = `${text(a.justification)} (evidence: ${text(a.evidence)}${a.sha256 === undefined ? '' : `, sha256 ${a.sha256.toLowerCase()}`})`;
  const by = text(signer(h));
  if (h.state === 'invalid') return `✗ does not hold: ${text(h.problem ?? '?')}`;
  if (h.state === 'expired') return `✗ expired on ${a.expires} (was ${a.status}, by ${by}): ${detail}`;
  if (h.state === 'failed') return `✗ failed, signed off by ${by} until ${a.expires}: ${detail}`;
  return `✓ passed, signed off by ${by} until ${a.expires}: ${detail}`;
}

function status(c: CheckOutcome): string {
  return `${MARK[c.status]} ${c.label}`;
}

function table<T>(out: string[], head: string[], rows: readonly T[], row: (r: T) => string[], empty: string): void {
  if (rows.length === 0) {
    out.push(empty, '');
    return;
  }
  out.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) out.push(`| ${row(r).join(' | ')} |`);
  out.push('');
}

/** Text on one line. */
function text(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/** A table cell: one line, no bare pipes. */
function cell(s: string): string {
  return text(s).replace(/\|/g, '\\|');
}

/** Inline code that survives backticks and pipes inside. */
function code(s: string): string {
  const body = text(s).replace(/\|/g, '\\|');
  const fence = body.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ` ${body} ` : body}${fence}`;
}

function q(s: string): string {
  return JSON.stringify(s);
}
