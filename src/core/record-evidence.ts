// Writes an evidence statement through the one redactor, fail-closed: every string is redacted,
// the redactions are listed in the record, the finished JSON and Markdown are scanned once more,
// and only then is the record signed and chained.
import type { ResolvedConfig } from '../config/load.js';
import type { EvidenceStatement, EvidencePredicate } from '../evidence/predicate-schema.js';
import { renderEvidenceMarkdown } from '../evidence/render-markdown.js';
import { serializeStatement } from '../evidence/statement.js';
import { EvidenceStore, type AppendedEntry, type AppendMeta } from '../evidence/store.js';
import { assertNoSecrets, redactJsonText, redactor, redactValue, type Redactor } from '../redact/index.js';
import { TOOL_VERSION } from '../version.js';

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
  config: ResolvedConfig;
  meta: Omit<AppendMeta, 'status'>;
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

export async function recordEvidence(statement: EvidenceStatement, o: RecordOptions): Promise<{ entry: AppendedEntry; statement: EvidenceStatement }> {
  const r = o.redactWith ?? redactor;
  const clean = sealStatement(statement, r);
  const store = EvidenceStore.open(o.config.evidenceDir, {
    toolVersion: TOOL_VERSION,
    ...(o.home === undefined ? {} : { home: o.home }),
  });
  const entry = await store.append(clean, { ...o.meta, status: clean.predicate.status });
  return { entry, statement: clean };
}
