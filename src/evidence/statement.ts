// Building, serialising and parsing evidence statements. The serialised bytes (pretty JSON plus a
// trailing newline) are what gets signed and hashed, so serialisation goes through one function.
import { ShipproofError } from '../errors.js';
import {
  EVIDENCE_PREDICATE_TYPE,
  STATEMENT_TYPE,
  evidenceStatementSchema,
  type EvidencePredicate,
  type EvidenceStatement,
  type Subject,
} from './predicate-schema.js';

export type { EvidenceStatement, EvidencePredicate, Subject } from './predicate-schema.js';

/** The DSSE payloadType of a statement. */
export const STATEMENT_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export function buildStatement(subject: Subject[], predicate: EvidencePredicate): EvidenceStatement {
  return { _type: STATEMENT_TYPE, subject, predicateType: EVIDENCE_PREDICATE_TYPE, predicate };
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
