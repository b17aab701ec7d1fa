// The `verify:` section (must-haves) and the attestation file. Every leaf carries an "expected"
// phrase as its zod message, as in shipproof.yaml's sections, so settings.ts can say what was
// wanted at file:line:column. Ids are unique across every kind of check, and truths name checks
// by id. The leaves shared with shipproof.yaml (durations, regexes, the HTTP check) come from its
// sections; every type below is inferred from a schema.
import { z } from 'zod';
import { didYouMean } from '../config/did-you-mean.js';
import { AFTER_PATH, duration, nonEmpty, regexText } from '../config/sections/common.js';
import { httpCheckFields, oneBodyCheck } from '../config/sections/health.js';
import { MILESTONES } from '../milestones/catalog.js';

/** Ids become part of evidence result ids (`spot-check:<id>`), which allow 80 characters. */
export const CHECK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$/;
const PHASE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** The debt markers the anti-pattern scan knows, by the name used in reports and settings. */
export const ANTI_PATTERN_NAMES = ['TODO', 'FIXME', 'XXX', 'HACK', 'PLACEHOLDER', 'TBD', 'not implemented'] as const;
export type AntiPatternName = (typeof ANTI_PATTERN_NAMES)[number];
export const ANTI_PATTERN_SEVERITIES = ['blocker', 'warning', 'info'] as const;
export type AntiPatternSeverity = (typeof ANTI_PATTERN_SEVERITIES)[number];

const MILESTONE_IDS = MILESTONES.map((m) => m.id);

const checkId = z
  .string({ error: 'an id of letters, digits, ".", "-" and "_"' })
  .regex(CHECK_ID_PATTERN, { error: 'an id of letters, digits, ".", "-" and "_" (at most 60 characters)' });

const whereSchema = z.enum(['local', 'target'], { error: 'local (this machine) or target (the server)' });

export const artifactSchema = z.strictObject(
  {
    id: checkId,
    path: nonEmpty('a file path, relative to the project folder'),
    expected: z.string({ error: 'a short description' }).optional(),
    minLines: z.number({ error: 'a whole number of at least 1' }).int().min(1).default(5),
    contains: z.array(regexText('a regular expression'), { error: 'a list of regular expressions' }).default([]),
  },
  { error: 'an object with id: and path:' },
);

export const keyLinkSchema = z
  .strictObject(
    {
      id: checkId,
      from: nonEmpty('the file that must hold the link, relative to the project folder'),
      to: nonEmpty('what the link reaches (a file, a function, a service)'),
      via: z.string({ error: 'a short description of the link' }).optional(),
      pattern: regexText('a regular expression').optional(),
      text: nonEmpty('a text the file must contain').optional(),
    },
    { error: 'an object with id:, from:, to: and pattern: (or text:)' },
  )
  .superRefine((link, ctx) => {
    if ((link.pattern === undefined) === (link.text === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'needs exactly one of pattern: or text:', params: AFTER_PATH });
    }
  });

export const spotCheckSchema = z.strictObject(
  {
    id: checkId,
    behavior: nonEmpty('what the command shows'),
    run: z.union([nonEmpty('a shell command'), z.array(z.string(), { error: 'argv' }).min(1)], {
      error: 'a shell command, or a list (argv) like [npm, test]',
    }),
    on: whereSchema.default('local'),
    cwd: nonEmpty('a folder').optional(),
    timeout: duration('Timeout of the command').prefault('60s'),
    exitCode: z.number({ error: 'an exit code between 0 and 255' }).int().min(0).max(255).default(0),
    /** What the command must print; checked here, never recorded (only whether it matched). */
    expect: z
      .strictObject(
        {
          exitCode: z.number({ error: 'an exit code between 0 and 255' }).int().min(0).max(255).optional(),
          stdout: z.string({ error: 'a text the output must contain' }).optional(),
          stdoutRegex: regexText('a regular expression the output must match').optional(),
          stderr: z.string({ error: 'a text the error output must contain' }).optional(),
        },
        { error: 'a mapping with exitCode:, stdout:, stdoutRegex: or stderr:' },
      )
      .optional(),
  },
  { error: 'an object with id:, behavior: and run:' },
);

export const httpProbeSchema = z
  .strictObject(
    {
      id: checkId,
      ...httpCheckFields,
      on: whereSchema.default('target'),
      timeout: duration('Timeout of one request').prefault('10s'),
    },
    { error: 'an object with id: and url:' },
  )
  .superRefine(oneBodyCheck);

const milestoneRef = z
  .union([z.number().int().min(1).max(MILESTONES.length), z.enum(MILESTONE_IDS as [string, ...string[]])], {
    error: `a milestone number (1-${MILESTONES.length}) or id (${MILESTONE_IDS.join(', ')})`,
  })
  .transform((ref) => (MILESTONES.find((m) => m.number === ref || m.id === ref) as (typeof MILESTONES)[number]).number);

export const milestoneCheckSchema = z.strictObject(
  { id: checkId, milestone: milestoneRef },
  { error: 'an object with id: and milestone:' },
);

export const humanItemSchema = z.strictObject(
  {
    id: checkId,
    title: nonEmpty('a short title').optional(),
    test: nonEmpty('what the person does'),
    expected: nonEmpty('what they should see'),
    why: nonEmpty('why a person must do it'),
  },
  { error: 'an object with id:, test:, expected: and why:' },
);

export const truthSchema = z.strictObject(
  {
    id: checkId.optional(),
    truth: nonEmpty('an observable truth, one sentence'),
    checks: z.array(checkId, { error: 'a list of check ids' }).default([]),
  },
  { error: 'an object with truth: and checks:' },
);

export const antiPatternsSchema = z.strictObject(
  {
    paths: z.array(nonEmpty('a file or folder path'), { error: 'a list of files or folders' }).min(1, { error: 'at least one path' }),
    exclude: z.array(nonEmpty('a glob like "**/*.test.ts"'), { error: 'a list of globs' }).default([]),
    severity: z
      .partialRecord(z.enum(ANTI_PATTERN_NAMES, { error: `one of ${ANTI_PATTERN_NAMES.join(', ')}` }), z.enum(ANTI_PATTERN_SEVERITIES, { error: 'blocker, warning or info' }), {
        error: 'a mapping of pattern names to blocker, warning or info',
      })
      .default({}),
  },
  { error: 'an object with paths:' },
);

const CHECK_LISTS = ['artifacts', 'keyLinks', 'spotChecks', 'probes', 'milestones', 'human'] as const;

export const verifySectionSchema = z
  .strictObject(
    {
      phase: z.string({ error: 'a phase name like 07-deploy-v1' }).regex(PHASE_PATTERN, { error: 'a phase name of letters, digits, ".", "-" and "_"' }),
      goal: z.string({ error: 'one sentence: what this phase delivers' }).optional(),
      truths: z.array(truthSchema, { error: 'a list of truths' }).min(1, { error: 'at least one truth' }),
      artifacts: z.array(artifactSchema, { error: 'a list of artifacts' }).default([]),
      keyLinks: z.array(keyLinkSchema, { error: 'a list of key links' }).default([]),
      spotChecks: z.array(spotCheckSchema, { error: 'a list of spot-checks' }).default([]),
      probes: z.array(httpProbeSchema, { error: 'a list of HTTP probes' }).default([]),
      milestones: z.array(milestoneCheckSchema, { error: 'a list of milestone checks' }).default([]),
      human: z.array(humanItemSchema, { error: 'a list of items for a person' }).default([]),
      antiPatterns: antiPatternsSchema.optional(),
      attestations: nonEmpty('a file path').default('shipproof.attestations.yaml'),
      output: nonEmpty('a folder path').default('docs/verification'),
    },
    { error: 'a mapping with phase:, truths: and checks' },
  )
  .superRefine((v, ctx) => {
    const seen = new Map<string, string>();
    for (const list of CHECK_LISTS) {
      v[list].forEach((item, index) => {
        const other = seen.get(item.id);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [list, index, 'id'],
            message: `repeats the id "${item.id}" of ${other}; ids must be unique across all checks`,
            params: AFTER_PATH,
          });
        }
        seen.set(item.id, `${list}[${index}]`);
      });
    }
    const known = [...seen.keys()];
    const truthIds = new Set<string>();
    v.truths.forEach((truth, t) => {
      if (truth.id !== undefined) {
        if (truthIds.has(truth.id)) {
          ctx.addIssue({ code: 'custom', path: ['truths', t, 'id'], message: `repeats the truth id "${truth.id}"`, params: AFTER_PATH });
        }
        truthIds.add(truth.id);
      }
      truth.checks.forEach((id, c) => {
        if (seen.has(id)) return;
        const guess = didYouMean(id, known);
        ctx.addIssue({
          code: 'custom',
          path: ['truths', t, 'checks', c],
          message: `names no check: "${id}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
          params: AFTER_PATH,
        });
      });
    });
  });

export type VerifySection = z.output<typeof verifySectionSchema>;
export type VerifySectionInput = z.input<typeof verifySectionSchema>;
export type ArtifactSpec = z.output<typeof artifactSchema>;
export type KeyLinkSpec = z.output<typeof keyLinkSchema>;
export type SpotCheckSpec = z.output<typeof spotCheckSchema>;
export type HttpProbeSpec = z.output<typeof httpProbeSchema>;
export type MilestoneCheckSpec = z.output<typeof milestoneCheckSchema>;
export type HumanItemSpec = z.output<typeof humanItemSchema>;
export type TruthSpec = z.output<typeof truthSchema>;
export type AntiPatternsSpec = z.output<typeof antiPatternsSchema>;

// ---- attestations: a person's sign-off on a human item ----

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export const attestationSchema = z.strictObject(
  {
    item: checkId,
    status: z.enum(['passed', 'failed'], { error: 'passed or failed' }),
    /** A signing identity: a key file name under <evidence>/reviewers/, or a key fingerprint (sha256:…). */
    by: nonEmpty('a signing identity: the name of a key in <evidence folder>/reviewers/, or its sha256: fingerprint'),
    justification: nonEmpty('what the person checked and saw'),
    evidence: nonEmpty('a file path (relative to the project folder) or an http(s) URL that backs it'),
    /** Required for a local evidence file: the sign-off names exactly these bytes. */
    sha256: z.string({ error: '64 hex digits' }).regex(/^[0-9a-fA-F]{64}$/, { error: '64 hex digits' }).optional(),
    expires: z
      .string({ error: 'a date like 2026-12-31' })
      .regex(DATE_PATTERN, { error: 'a date like 2026-12-31' })
      .refine((d) => !Number.isNaN(Date.parse(d)), { error: 'a real date like 2026-12-31' }),
  },
  { error: 'an object with item:, status:, by:, justification:, evidence:, sha256: (for a file) and expires:' },
);

export const attestationFileSchema = z.strictObject(
  { attestations: z.array(attestationSchema, { error: 'a list of attestations' }).default([]) },
  { error: 'a mapping with attestations:' },
);

export type Attestation = z.output<typeof attestationSchema>;
