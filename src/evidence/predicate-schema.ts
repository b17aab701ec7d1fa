// The shape of one evidence record: an in-toto Statement v1 whose predicate is EvidencePredicate.
// The schema is the guard that keeps raw command output out of evidence: command output exists
// only as { sha256, bytes }, every object is strict (an extra `stdout.text` is rejected), and
// observations are short named facts, not logs. It also keeps the status honest (see superRefine).
import { z } from 'zod';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const EVIDENCE_PREDICATE_TYPE = 'https://shipproof.dev/evidence/v1';

/** Longest observation string. Long enough for a version line or a digest list, too short for a log. */
export const MAX_OBSERVATION_CHARS = 1024;
/** Most items in one string[] observation. */
export const MAX_OBSERVATION_ITEMS = 256;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const isoUtc = z.iso.datetime({ offset: false, local: false });
const nonNegInt = z.int().min(0);
const nonEmpty = z.string().min(1);

/** Kinds shipproof writes today; other lowercase kinds are allowed for later record types. */
export const KNOWN_EVIDENCE_KINDS = ['collect', 'milestone', 'backup', 'restore', 'verify', 'approval', 'deploy', 'rollback'] as const;
export const evidenceKindSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a lowercase kind such as "collect" or "milestone"');

export const RECORD_STATUSES = ['passed', 'failed', 'error', 'skipped', 'pending', 'human_needed'] as const;
export const recordStatusSchema = z.enum(RECORD_STATUSES);
export type RecordStatus = z.infer<typeof recordStatusSchema>;

export const RESULT_STATUSES = ['pass', 'fail', 'error', 'skipped'] as const;
export const resultStatusSchema = z.enum(RESULT_STATUSES);
export type ResultStatus = z.infer<typeof resultStatusSchema>;

export const outputDigestSchema = z.strictObject({
  sha256: sha256Hex,
  bytes: nonNegInt,
});
export type OutputDigest = z.infer<typeof outputDigestSchema>;

export const commandRecordSchema = z.strictObject({
  /** The argv template (placeholders, not secret values). */
  argv: z.array(z.string()).min(1),
  exitCode: z.int().nullable(),
  durationMs: z.number().min(0),
  attempts: z.int().min(1),
  timedOut: z.boolean(),
  stdout: outputDigestSchema,
  stderr: outputDigestSchema,
});
export type CommandRecord = z.infer<typeof commandRecordSchema>;

export const observationValueSchema = z.union([
  z.string().max(MAX_OBSERVATION_CHARS),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string().max(MAX_OBSERVATION_CHARS)).max(MAX_OBSERVATION_ITEMS),
]);
export type ObservationValue = z.infer<typeof observationValueSchema>;

// Keys are names, not data: this stops `{ "DB_PASSWORD=...": true }`-style dumps.
const observationKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a short name of letters, digits, "_", ".", ":" or "-"');

export const checkResultSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/, 'expected an id of letters, digits, "_", ".", ":" or "-"'),
  title: nonEmpty,
  gate: z.boolean(),
  status: resultStatusSchema,
  reason: z.string().optional(),
  /** Absent when nothing was timed (a verdict drawn from other records, a sign-off): never a made-up 0. */
  durationMs: z.number().min(0).optional(),
  observations: z.record(observationKey, observationValueSchema),
  commands: z.array(commandRecordSchema),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const approvalRefSchema = z.strictObject({
  /** Ledger seq of the approved record. */
  seq: z.int().min(1),
  /** Base name of the approved record. */
  record: nonEmpty,
  /** sha256 of the approved record's .json file. */
  sha256: sha256Hex,
  reviewer: nonEmpty,
  note: z.string(),
});
export type ApprovalRef = z.infer<typeof approvalRefSchema>;

/** A rollback's outcome, said plainly: from which release, to which, and whether it serves. */
export const rollbackOutcomeSchema = z.strictObject({
  from: nonEmpty.nullable(),
  to: nonEmpty,
  serves: z.boolean(),
});
export type RollbackOutcome = z.infer<typeof rollbackOutcomeSchema>;

const names = z.array(z.string().max(MAX_OBSERVATION_CHARS)).max(MAX_OBSERVATION_ITEMS);

/**
 * What a release changed against the one before it: names and fingerprints only, never values
 * (an env file is listed by path when its HMAC fingerprint changed; an image by service and digest).
 */
export const releaseChangesSchema = z.strictObject({
  against: nonEmpty,
  files: z.strictObject({ added: names, changed: names, removed: names }),
  /** Services whose compose configuration changed. */
  services: names,
  /** `service: old digest -> new digest`. */
  images: names,
  /** Env file paths whose fingerprint changed. */
  env: names,
  /** What could not be compared, and why (an older record lists no images, say): never read as "unchanged". */
  notCompared: names.optional(),
});
export type ReleaseChanges = z.infer<typeof releaseChangesSchema>;

export const evidencePredicateSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    kind: evidenceKindSchema,
    title: nonEmpty,
    project: nonEmpty,
    target: z.strictObject({ name: nonEmpty, description: z.string() }),
    release: nonEmpty.optional(),
    milestone: z.strictObject({ number: z.int().min(1), id: nonEmpty }).optional(),
    startedAt: isoUtc,
    finishedAt: isoUtc,
    toolVersion: nonEmpty,
    operator: nonEmpty,
    status: recordStatusSchema,
    summary: z.strictObject({ passed: nonNegInt, failed: nonNegInt, error: nonNegInt, skipped: nonNegInt }),
    results: z.array(checkResultSchema),
    redactions: z.array(z.strictObject({ rule: nonEmpty, count: nonNegInt })),
    notCollected: z.array(z.string()),
    notes: z.array(z.string()).optional(),
    /** Present exactly when kind is "approval". */
    approval: approvalRefSchema.optional(),
    /** On a rollback record. */
    rollback: rollbackOutcomeSchema.optional(),
    /** On a deploy record, when the previous release is known. */
    changes: releaseChangesSchema.optional(),
  })
  .superRefine((p, ctx) => {
    // Honest status: the record must agree with itself.
    const counts = { passed: 0, failed: 0, error: 0, skipped: 0 };
    for (const r of p.results) {
      if (r.status === 'pass') counts.passed++;
      else if (r.status === 'fail') counts.failed++;
      else if (r.status === 'error') counts.error++;
      else counts.skipped++;
    }
    for (const k of ['passed', 'failed', 'error', 'skipped'] as const) {
      if (p.summary[k] !== counts[k]) {
        ctx.addIssue({ code: 'custom', path: ['summary', k], message: `summary.${k} is ${p.summary[k]} but the results hold ${counts[k]}` });
      }
    }
    // "passed" needs an observed pass and no failed or errored gate. A skipped gate (it did not
    // apply, e.g. no domain configured) does not block it, but skips alone never make a pass.
    if (p.status === 'passed') {
      if (counts.passed === 0) {
        ctx.addIssue({ code: 'custom', path: ['status'], message: 'status "passed" needs at least one result that passed' });
      }
      p.results.forEach((r, i) => {
        if (r.gate && (r.status === 'fail' || r.status === 'error')) {
          ctx.addIssue({ code: 'custom', path: ['status'], message: `status "passed" but gate result ${i} (${r.id}) is "${r.status}"` });
        }
      });
    }
    p.results.forEach((r, i) => {
      if (r.status !== 'pass' && (r.reason === undefined || r.reason.trim() === '')) {
        ctx.addIssue({ code: 'custom', path: ['results', i, 'reason'], message: `result "${r.id}" is "${r.status}" and needs a reason` });
      }
      if (r.status === 'pass' && r.commands.some((c) => c.timedOut)) {
        ctx.addIssue({ code: 'custom', path: ['results', i, 'status'], message: `result "${r.id}" timed out, so it cannot pass` });
      }
    });
    if (Date.parse(p.finishedAt) < Date.parse(p.startedAt)) {
      ctx.addIssue({ code: 'custom', path: ['finishedAt'], message: 'finishedAt is before startedAt' });
    }
    if ((p.kind === 'approval') !== (p.approval !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['approval'], message: 'an "approval" field belongs on, and only on, kind "approval"' });
    }
  });
export type EvidencePredicate = z.infer<typeof evidencePredicateSchema>;

export const subjectSchema = z.strictObject({
  name: nonEmpty,
  digest: z.strictObject({ sha256: sha256Hex }),
});
export type Subject = z.infer<typeof subjectSchema>;

export const evidenceStatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(subjectSchema),
  predicateType: z.literal(EVIDENCE_PREDICATE_TYPE),
  predicate: evidencePredicateSchema,
});
export type EvidenceStatement = z.infer<typeof evidenceStatementSchema>;

/** JSON Schema (draft 2020-12) of an evidence record file (`<base>.json`), for export next to the config schema. */
export function evidenceJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(evidenceStatementSchema),
    $id: 'https://shipproof.dev/schema/evidence-v1.json',
    title: 'shipproof evidence record (in-toto Statement v1)',
  };
}
