// The verdict, by the issue's rules and nothing else: any failed check (or blocking anti-pattern,
// or failed sign-off) gives gaps_found; otherwise any item that needs a person, or a truth no
// check backs, gives human_needed; only otherwise passed. Errors count as failures: a check that
// could not run observed nothing.
import { blockingFindings } from './checks/anti-patterns.js';
import type { TruthSpec } from './schema.js';
import type { AntiPatternScan, CheckOutcome, HumanOutcome, TruthOutcome, Verdict } from './types.js';

const KIND_TITLE: Record<CheckOutcome['kind'], string> = {
  artifact: 'Artifact',
  'key-link': 'Key link',
  'spot-check': 'Spot-check',
  probe: 'Probe',
  milestone: 'Milestone',
};

export function checkTitle(c: CheckOutcome): string {
  return `${KIND_TITLE[c.kind]} ${c.subject}`;
}

export function describeCheck(c: CheckOutcome): string {
  return `${checkTitle(c)}: ${c.label} — ${c.detail}`;
}

/** Who signed: the key's name and fingerprint, never the free text alone. */
export function signer(h: HumanOutcome): string {
  return h.identity === undefined ? `${h.attestation?.by ?? '?'} (no signing identity)` : `${h.identity.name} (${h.identity.keyid.slice(0, 19)}…)`;
}

export interface JudgeInput {
  truths: readonly TruthSpec[];
  checks: readonly CheckOutcome[];
  human: readonly HumanOutcome[];
  antiPatterns?: AntiPatternScan;
}

export function judgeTruths(input: JudgeInput): TruthOutcome[] {
  const checks = new Map(input.checks.map((c) => [c.id, c]));
  const human = new Map(input.human.map((h) => [h.spec.id, h]));
  return input.truths.map((t, i) => {
    const parts: string[] = [];
    let failed = false;
    let open = t.checks.length === 0;
    for (const id of t.checks) {
      const c = checks.get(id);
      const h = human.get(id);
      if (c !== undefined) {
        if (c.status !== 'pass') failed = true;
        parts.push(`${id}: ${c.label.toLowerCase()} (${c.detail})`);
      } else if (h !== undefined) {
        if (h.state === 'failed' || h.state === 'invalid') failed = true;
        if (h.state === 'needed' || h.state === 'expired') open = true;
        parts.push(`${id}: ${h.state === 'attested' ? `signed off by ${signer(h)}` : h.state === 'failed' ? 'a person saw it fail' : h.state === 'invalid' ? `the sign-off does not hold (${h.problem ?? '?'})` : h.state === 'expired' ? 'sign-off expired' : 'needs a person'}`);
      }
    }
    const status = failed ? 'FAILED' : open ? 'UNCERTAIN' : 'VERIFIED';
    const evidence = t.checks.length === 0 ? 'No check backs this truth; a person must confirm it.' : parts.join('; ');
    return { number: i + 1, ...(t.id === undefined ? {} : { id: t.id }), truth: t.truth, checks: t.checks, status, evidence };
  });
}

export function judge(input: JudgeInput): Verdict {
  const truths = judgeTruths(input);
  const gaps: string[] = [];
  for (const c of input.checks) if (c.status !== 'pass') gaps.push(describeCheck(c));
  for (const p of input.antiPatterns?.missing ?? []) gaps.push(`Anti-pattern scan: ${p} does not exist, so nothing was scanned there`);
  for (const f of blockingFindings(input.antiPatterns)) gaps.push(`Anti-pattern ${f.pattern} at ${f.file}:${f.line} (${f.severity})`);
  for (const h of input.human) {
    if (h.state === 'failed') gaps.push(`Human item ${h.spec.id}: ${signer(h)} signed it off as failed`);
    if (h.state === 'invalid') gaps.push(`Human item ${h.spec.id}: the sign-off does not hold: ${h.problem ?? '?'}`);
  }
  const open: string[] = [];
  for (const h of input.human) {
    if (h.state === 'needed') open.push(`Human item ${h.spec.id}: needs a person (${h.spec.why})`);
    if (h.state === 'expired') open.push(`Human item ${h.spec.id}: the sign-off by ${signer(h)} expired on ${h.attestation?.expires ?? '?'}`);
  }
  for (const t of truths) if (t.status === 'UNCERTAIN' && t.checks.length === 0) open.push(`Truth ${t.number}: no check backs it`);
  const status = gaps.length > 0 ? 'gaps_found' : open.length > 0 ? 'human_needed' : 'passed';
  return { status, score: { verified: truths.filter((t) => t.status === 'VERIFIED').length, total: truths.length }, truths, gaps, open };
}
