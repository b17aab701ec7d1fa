// An approval is its own chained, signed record: a person reviewed record #seq, whose .json had
// this sha256. Its subject is that .json file, so the approval names exactly the bytes reviewed.
import type { EvidenceStatement } from './predicate-schema.js';
import { buildStatement } from './statement.js';

export interface ApprovalInput {
  approved: { seq: number; record: string; jsonSha256: string; statement: EvidenceStatement };
  reviewer: string;
  note: string;
  operator: string;
  toolVersion: string;
  at: Date;
}

export function buildApprovalStatement(input: ApprovalInput): EvidenceStatement {
  const { approved, reviewer, note } = input;
  const ap = approved.statement.predicate;
  const time = input.at.toISOString();
  return buildStatement([{ name: `${approved.record}.json`, digest: { sha256: approved.jsonSha256 } }], {
    schemaVersion: 1,
    kind: 'approval',
    title: `Approval of record #${approved.seq}: ${ap.title}`,
    project: ap.project,
    target: { name: ap.target.name, description: ap.target.description },
    ...(ap.release !== undefined ? { release: ap.release } : {}),
    ...(ap.milestone !== undefined ? { milestone: { number: ap.milestone.number, id: ap.milestone.id } } : {}),
    startedAt: time,
    finishedAt: time,
    toolVersion: input.toolVersion,
    operator: input.operator,
    status: 'passed',
    summary: { passed: 1, failed: 0, error: 0, skipped: 0 },
    results: [
      {
        id: 'review',
        title: `${reviewer} reviewed record #${approved.seq}`,
        gate: true,
        status: 'pass',
        durationMs: 0,
        observations: {
          reviewer,
          approvedSeq: approved.seq,
          approvedRecord: approved.record,
          approvedSha256: approved.jsonSha256,
          approvedStatus: ap.status,
        },
        commands: [],
      },
    ],
    redactions: [],
    notCollected: [],
    ...(note !== '' ? { notes: [note] } : {}),
    approval: { seq: approved.seq, record: approved.record, sha256: approved.jsonSha256, reviewer, note },
  });
}
