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
  return buildStatement({
    subjects: [{ name: `${approved.record}.json`, digest: { sha256: approved.jsonSha256 } }],
    kind: 'approval',
    title: `Approval of record #${approved.seq}: ${ap.title}`,
    project: ap.project,
    target: ap.target,
    ...(ap.release !== undefined ? { release: ap.release } : {}),
    ...(ap.milestone !== undefined ? { milestone: ap.milestone } : {}),
    startedAt: input.at,
    finishedAt: input.at,
    toolVersion: input.toolVersion,
    operator: input.operator,
    results: [
      {
        id: 'review',
        title: `${reviewer} reviewed record #${approved.seq}`,
        gate: true,
        status: 'pass',
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
    notCollected: [],
    notes: note !== '' ? [note] : [],
    approval: { seq: approved.seq, record: approved.record, sha256: approved.jsonSha256, reviewer, note },
  });
}
