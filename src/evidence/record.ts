// The one recorder: every evidence record is written here, through the one redactor, fail-closed.
// Every string is redacted, the redactions are listed in the record, the finished JSON and
// Markdown are scanned once more, and only then is the record signed and chained. The ledger
// line (kind, target, release, milestone, status) is read from the statement itself, so the two
// cannot disagree.
//
// Who records: a use case builds its statement (`buildStatement`) and returns it; the command
// that ran it records it. A deploy is that command for its milestones: each milestone's record is
// written before the next milestone starts.
import type { ResolvedConfig } from '../config/load.js';
import { assertNoSecrets, redactJsonText, redactor, redactValue, type Redactor } from '../redact/index.js';
import { TOOL_VERSION } from '../version.js';
import type { EvidencePredicate, EvidenceStatement } from './predicate-schema.js';
import { renderEvidenceMarkdown } from './render-markdown.js';
import { serializeStatement } from './statement.js';
import { EvidenceStore, type AppendedEntry, type AppendMeta } from './store.js';

export function redactStatement(statement: EvidenceStatement, r: Redactor = redactor): EvidenceStatement {
  const hits = new Map<string, number>();
  const predicate = redactValue(statement.predicate, r, hits) as EvidencePredicate;
  const redactions = [...predicate.redactions];
  for (const [rule, count] of [...hits].sort(([a], [b]) => a.localeCompare(b))) {
    const existing = redactions.find((x) => x.rule === rule);
    if (existing) existing.count += count;
    else redactions.push({ rule, count });
  }
  return { ...statement, predicate: { ...predicate, redactions } };
}

export interface RecordOptions {
  config: Pick<ResolvedConfig, 'evidenceDir'>;
  /** SHIPPROOF_HOME override (tests). */
  home?: string;
  redactWith?: Redactor;
}

/**
 * The redaction every record passes before it is signed (deploy, collect, approvals...): strings
 * redacted one by one, then the serialised JSON once more in a way that keeps its structure (a
 * `"password": "…"` pair is seen only there), then the fail-closed scan of both files. The scan
 * follows the redactor's own rules, so a statement that came out of the redactor always passes.
 */
export function sealStatement(statement: EvidenceStatement, r: Redactor = redactor): EvidenceStatement {
  let clean = redactStatement(statement, r);
  const json = serializeStatement(clean).toString('utf8');
  const rejson = redactJsonText(json, r);
  if (rejson !== json) clean = redactStatement(JSON.parse(rejson) as EvidenceStatement, r);
  const final = serializeStatement(clean).toString('utf8');
  if (redactJsonText(final, r) !== final) assertNoSecrets(final, 'the evidence record (JSON)', r);
  assertNoSecrets(renderEvidenceMarkdown(clean), 'the evidence record (Markdown)', r);
  return clean;
}

/** The ledger line of a statement. */
export function ledgerMetaOf(statement: EvidenceStatement): AppendMeta {
  const p = statement.predicate;
  return {
    kind: p.kind,
    target: p.target.name,
    status: p.status,
    ...(p.release === undefined ? {} : { release: p.release }),
    ...(p.milestone === undefined ? {} : { milestone: { number: p.milestone.number, id: p.milestone.id } }),
  };
}

export async function recordEvidence(statement: EvidenceStatement, o: RecordOptions): Promise<{ entry: AppendedEntry; statement: EvidenceStatement }> {
  const r = o.redactWith ?? redactor;
  const clean = sealStatement(statement, r);
  const store = EvidenceStore.open(o.config.evidenceDir, {
    toolVersion: TOOL_VERSION,
    ...(o.home === undefined ? {} : { home: o.home }),
  });
  const entry = await store.append(clean, ledgerMetaOf(clean));
  return { entry, statement: clean };
}
