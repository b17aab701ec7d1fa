// Building (the one builder), serialising and parsing evidence statements. The serialised bytes (pretty JSON plus a
// trailing newline) are what gets signed and hashed, so serialisation goes through one function.
import { userInfo } from 'node:os';
import { ShipproofError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import {
  EVIDENCE_PREDICATE_TYPE,
  STATEMENT_TYPE,
  evidenceStatementSchema,
  type ApprovalRef,
  type CheckResult,
  type EvidencePredicate,
  type EvidenceStatement,
  type RecordStatus,
  type ReleaseChanges,
  type RollbackOutcome,
  type Subject,
} from './predicate-schema.js';

export type { EvidenceStatement, EvidencePredicate, Subject } from './predicate-schema.js';

/** The DSSE payloadType of a statement. */
export const STATEMENT_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** What a use case knows about its record; the builder fills in the envelope, counts and defaults. */
export interface StatementInput {
  kind: string;
  title: string;
  project: string;
  target: { name: string; description: string };
  release?: string;
  milestone?: { number: number; id: string };
  startedAt: Date;
  /** Default: now. Never before startedAt. */
  finishedAt?: Date;
  /** Default: this machine's user. */
  operator?: string;
  /** Default: the running shipproof. */
  toolVersion?: string;
  results: CheckResult[];
  subjects: Subject[];
  /** What the record leaves out on purpose (said in the record, so a reader knows it is not missing). */
  notCollected: readonly string[];
  notes?: readonly string[];
  /**
   * Only when the record's status is not the gate rule's (`recordStatus`): a not-applicable
   * milestone is "skipped", a verification carries its verdict. The schema still refuses a
   * "passed" that its results do not back.
   */
  status?: RecordStatus;
  approval?: ApprovalRef;
  rollback?: RollbackOutcome;
  changes?: ReleaseChanges;
}

/** The one statement builder: every record shipproof writes is made here. */
export function buildStatement(i: StatementInput): EvidenceStatement {
  const notes = (i.notes ?? []).filter((n) => n.trim() !== '');
  const finishedAt = i.finishedAt ?? new Date();
  const predicate: EvidencePredicate = {
    schemaVersion: 1,
    kind: i.kind,
    title: i.title,
    project: i.project,
    target: { name: i.target.name, description: i.target.description },
    ...(i.release === undefined ? {} : { release: i.release }),
    ...(i.milestone === undefined ? {} : { milestone: { number: i.milestone.number, id: i.milestone.id } }),
    startedAt: i.startedAt.toISOString(),
    finishedAt: (finishedAt < i.startedAt ? i.startedAt : finishedAt).toISOString(),
    toolVersion: i.toolVersion ?? TOOL_VERSION,
    operator: i.operator ?? operatorName(),
    status: i.status ?? recordStatus(i.results),
    summary: summarize(i.results),
    results: i.results,
    redactions: [],
    notCollected: [...i.notCollected],
    ...(notes.length === 0 ? {} : { notes }),
    ...(i.approval === undefined ? {} : { approval: i.approval }),
    ...(i.rollback === undefined ? {} : { rollback: i.rollback }),
    ...(i.changes === undefined ? {} : { changes: i.changes }),
  };
  return { _type: STATEMENT_TYPE, subject: i.subjects, predicateType: EVIDENCE_PREDICATE_TYPE, predicate };
}

/** The gate rule: a failed or errored gate decides; skips alone never make a pass. */
export function recordStatus(results: readonly CheckResult[]): RecordStatus {
  const gates = results.filter((r) => r.gate);
  if (gates.some((r) => r.status === 'fail')) return 'failed';
  if (gates.some((r) => r.status === 'error')) return 'error';
  // A skipped gate did not apply (e.g. no domain configured); it is not a pass, so nothing passes on skips alone.
  if (!results.some((r) => r.status === 'pass')) return 'pending';
  return 'passed';
}

export function summarize(results: readonly CheckResult[]): EvidencePredicate['summary'] {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === 'pass') s.passed++;
    else if (r.status === 'fail') s.failed++;
    else if (r.status === 'error') s.error++;
    else s.skipped++;
  }
  return s;
}

/** Who runs shipproof on this machine. */
export function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/**
 * Validates a statement and returns it in canonical key order. Errors name the path and the rule,
 * never the value: a rejected value may be a secret that must not reach a terminal or a log.
 */
export function validateStatement(input: unknown): EvidenceStatement {
  const parsed = evidenceStatementSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${safePath(i.path)}: ${safeMessage(i)}`);
  const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
  return raise(`The evidence record is not a valid statement: ${problems.join('; ')}${more}.`);
}

// Observation names are free-form keys; one could be a value pasted by mistake ("PASSWORD=…"),
// so keys below `observations` are never echoed.
function safePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(statement)';
  const out: string[] = [];
  for (let i = 0; i < path.length; i++) {
    out.push(i > 0 && path[i - 1] === 'observations' ? '<name>' : String(path[i]));
  }
  return out.join('.');
}

function safeMessage(issue: { code: string; message: string; keys?: string[] }): string {
  // Unknown keys are not echoed either: they are where raw output tends to hide ({ stdout: { text } }).
  if (issue.code === 'unrecognized_keys') {
    const n = issue.keys?.length ?? 1;
    return `${n} unexpected field${n === 1 ? '' : 's'} (only the fields of the evidence schema are allowed)`;
  }
  return issue.message;
}

function raise(message: string): never {
  throw new ShipproofError(message, {
    hint: 'Evidence holds hashes, byte counts and short observations only; raw output, logs and secret values are refused.',
  });
}

/** The exact bytes of `<base>.json`: validated, pretty JSON, trailing newline. */
export function serializeStatement(statement: EvidenceStatement): Buffer {
  const canonical = validateStatement(statement);
  return Buffer.from(`${JSON.stringify(canonical, null, 2)}\n`, 'utf8');
}

/** Parses and validates `<base>.json` bytes. */
export function parseStatement(bytes: Buffer | string): EvidenceStatement {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new ShipproofError('The evidence record is not valid JSON.');
  }
  return validateStatement(value);
}
