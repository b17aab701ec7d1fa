// Evidence statements for backups and rehearsals: one result per service (or rehearsal step),
// observations that are counts, sizes and hashes only, and the backup files as in-toto subjects.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { operatorName, recordStatus, summarize } from '../core/collect.js';
import { recordEvidence } from '../core/record-evidence.js';
import type { CheckResult, EvidenceStatement, Subject } from '../evidence/predicate-schema.js';
import { EVIDENCE_PREDICATE_TYPE, STATEMENT_TYPE } from '../evidence/predicate-schema.js';
import type { AppendedEntry } from '../evidence/store.js';
import { TOOL_VERSION } from '../version.js';

export const NOT_COLLECTED = [
  'database rows, keys, values and file contents (only counts and checksums)',
  'credentials (read inside the containers by the engines themselves, never by shipproof)',
  'the age identity (private key)',
  'raw command output (only its sha256 and byte count)',
];

export interface StatementInput {
  config: ResolvedConfig;
  target: ResolvedTarget;
  description: string;
  kind: 'backup' | 'restore';
  title: string;
  startedAt: Date;
  finishedAt: Date;
  results: CheckResult[];
  subjects: Subject[];
  notes?: string[];
  operator?: string;
}

export function buildStatement(i: StatementInput): EvidenceStatement {
  const notes = i.notes?.filter((n) => n.trim() !== '') ?? [];
  return {
    _type: STATEMENT_TYPE,
    subject: i.subjects,
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate: {
      schemaVersion: 1,
      kind: i.kind,
      title: i.title,
      project: i.config.project,
      target: { name: i.target.name, description: i.description },
      startedAt: i.startedAt.toISOString(),
      finishedAt: (i.finishedAt < i.startedAt ? i.startedAt : i.finishedAt).toISOString(),
      toolVersion: TOOL_VERSION,
      operator: i.operator ?? operatorName(),
      status: recordStatus(i.results),
      summary: summarize(i.results),
      results: i.results,
      redactions: [],
      notCollected: NOT_COLLECTED,
      ...(notes.length ? { notes } : {}),
    },
  };
}

/** Writes a backup or rehearsal statement to the evidence ledger (redacted, fail-closed). */
export async function recordBackupEvidence(
  statement: EvidenceStatement,
  o: { config: ResolvedConfig; target: string; home?: string; release?: string; milestone?: { number: number; id: string } },
): Promise<{ entry: AppendedEntry; statement: EvidenceStatement }> {
  return recordEvidence(statement, {
    config: o.config,
    meta: {
      kind: statement.predicate.kind,
      target: o.target,
      ...(o.release ? { release: o.release } : {}),
      ...(o.milestone ? { milestone: o.milestone } : {}),
    },
    ...(o.home ? { home: o.home } : {}),
  });
}
