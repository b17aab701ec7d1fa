// A milestone has passing evidence for the current release: read from the ledger, and the record
// itself re-read so a changed or missing file is caught rather than trusted.
import type { LedgerEntry } from '../../evidence/ledger.js';
import type { EvidenceStore } from '../../evidence/store.js';
import { MILESTONES } from '../../milestones/catalog.js';
import { milestoneTable } from '../../probes/milestones.js';
import { recordSha256 } from '../release.js';
import type { MilestoneCheckSpec } from '../schema.js';
import type { CheckOutcome, EvidenceRef } from '../types.js';

export interface MilestoneContext {
  store: EvidenceStore;
  entries: readonly LedgerEntry[];
  target: string;
  release?: string;
}

export function evidenceRef(entry: LedgerEntry): EvidenceRef {
  return { seq: entry.seq, record: entry.record, kind: entry.kind, status: entry.status, time: entry.time, sha256: recordSha256(entry) };
}

export async function checkMilestone(spec: MilestoneCheckSpec, ctx: MilestoneContext): Promise<CheckOutcome> {
  const started = Date.now();
  const m = MILESTONES.find((x) => x.number === spec.milestone) as (typeof MILESTONES)[number];
  const done = (status: CheckOutcome['status'], label: string, detail: string, evidence: EvidenceRef[] = []): CheckOutcome => ({
    kind: 'milestone',
    id: spec.id,
    subject: `${m.number} ${m.id}`,
    status,
    label,
    detail,
    durationMs: Date.now() - started,
    observations: { milestone: m.number, milestoneId: m.id, release: ctx.release ?? null, records: evidence.map((e) => `#${e.seq} ${e.record}`) },
    commands: [],
    evidence,
  });
  if (ctx.release === undefined) {
    return done('fail', 'NO EVIDENCE', `no release is recorded for ${ctx.target} yet, so milestone ${m.number} (${m.id}) has no evidence`);
  }
  const row = milestoneTable(ctx.entries, ctx.target, ctx.release).rows[m.number - 1];
  const entry = row?.record === null || row === undefined ? undefined : ctx.entries.find((e) => e.record === row.record);
  if (row === undefined || entry === undefined || row.status !== 'passed') {
    const status = row?.status ?? 'pending';
    const why = entry === undefined ? `no evidence for release ${ctx.release}` : `newest evidence #${entry.seq} for release ${ctx.release} is ${status}`;
    return done('fail', status === 'pending' ? 'NO EVIDENCE' : 'FAIL', why, entry === undefined ? [] : [evidenceRef(entry)]);
  }
  try {
    await ctx.store.show(entry.seq);
  } catch (e) {
    return done('error', 'ERROR', `evidence #${entry.seq} could not be read back: ${e instanceof Error ? e.message : String(e)}`, [evidenceRef(entry)]);
  }
  return done('pass', 'PASS', `evidence #${entry.seq} (${entry.time}) passed for release ${ctx.release}`, [evidenceRef(entry)]);
}
