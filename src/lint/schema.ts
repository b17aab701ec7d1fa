// The `lint:` section: per-project changes to the production policy. Every change carries a reason,
// so a switched-off rule is a recorded decision, not a silent gap; lint prints them each run.
import { z } from 'zod';
import { LINT_RULE_IDS } from './rule-ids.js';

// A custom issue whose message continues the sentence after the path (as AFTER_PATH in
// src/config/schema.ts; a copy, so shipproof.yaml's schema can import this one without a cycle).
const AFTER_PATH = { form: 'after-path' } as const;

const SERVICE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const serviceName = z.string({ error: 'a compose service name' }).regex(SERVICE_NAME_PATTERN, { error: 'a compose service name' });

export const lintRuleSettingSchema = z.strictObject(
  {
    off: z.boolean({ error: 'true or false' }).default(false),
    severity: z.enum(['error', 'warning'], { error: 'error or warning' }).optional(),
    services: z.array(serviceName, { error: 'a list of compose service names' }).min(1, { error: 'at least one service' }).optional(),
    reason: z
      .string({ error: 'why this project differs, one sentence' })
      .trim()
      .min(10, { error: 'why this project differs, one sentence (at least 10 characters)' }),
  },
  { error: 'an object with off: (or severity:) and reason:' },
).superRefine((setting, ctx) => {
  if (!setting.off && setting.severity === undefined) {
    ctx.addIssue({ code: 'custom', path: ['off'], message: 'changes nothing: set off: true or a severity:', params: AFTER_PATH });
  }
});

export const lintSectionSchema = z.strictObject(
  {
    rules: z
      .partialRecord(z.enum(LINT_RULE_IDS, { error: `a rule id: ${LINT_RULE_IDS.join(', ')}` }), lintRuleSettingSchema, {
        error: 'a mapping of rule ids to { off:, reason: }',
      })
      .default({}),
    proxy: z
      .array(serviceName, { error: 'a list of compose service names' })
      .optional()
      .meta({ description: 'The services that are the reverse proxy. Default: guessed from the image (caddy, traefik, nginx, …) or the label shipproof.role=proxy.' }),
  },
  { error: 'a mapping with rules: and proxy:' },
);

export type LintSection = z.output<typeof lintSectionSchema>;
export type LintRuleSetting = z.output<typeof lintRuleSettingSchema>;
