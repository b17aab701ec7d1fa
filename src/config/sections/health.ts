// health: — the HTTP probes of the health gate.
import { z } from 'zod';
import { AFTER_PATH, duration, isHttpUrl, regexText } from './common.js';

const PROBE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * What an HTTP check asks of one response: shipproof.yaml's health probes and the must-haves'
 * HTTP probes (src/verify/schema.ts) are both built from these leaves.
 */
export const httpCheckFields = {
  url: z
    .string({ error: 'an http:// or https:// URL' })
    .refine(isHttpUrl, { error: 'an http:// or https:// URL, like https://example.com/healthz' }),
  status: z
    .number({ error: 'an HTTP status code between 100 and 599' })
    .int()
    .min(100)
    .max(599)
    .default(200)
    .meta({ description: 'Expected HTTP status.' }),
  body: z.string({ error: 'a text the response body must contain' }).optional().meta({
    description: 'A substring the response body must contain.',
  }),
  bodyRegex: regexText('a regular expression').optional().meta({ description: 'A regular expression the response body must match.' }),
  insecure: z
    .boolean({ error: 'true or false' })
    .default(false)
    .meta({ description: 'Accept a self-signed TLS certificate (e.g. Caddy `tls internal`).' }),
};

/** body: and bodyRegex: exclude each other. */
export function oneBodyCheck(check: { body?: string | undefined; bodyRegex?: string | undefined }, ctx: z.RefinementCtx): void {
  if (check.body !== undefined && check.bodyRegex !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['bodyRegex'],
      message: 'cannot be used together with body; pick one',
      params: AFTER_PATH,
    });
  }
}

const probeSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'a probe name' })
        .regex(PROBE_NAME_PATTERN, { error: 'a probe name of letters, digits, ., - and _' }),
      ...httpCheckFields,
      timeout: duration('Timeout of one request').prefault('5s'),
      interval: duration('Pause between attempts').prefault('2s'),
    },
    { error: 'an object with name: and url:' },
  )
  .superRefine(oneBodyCheck)
  .meta({ title: 'Health probe', description: 'An HTTP check that must pass after a deploy.' });

export const healthSchema = z
  .array(probeSchema, { error: 'a list of health probes' })
  .superRefine((probes, ctx) => {
    const seen = new Set<string>();
    probes.forEach((probe, index) => {
      if (seen.has(probe.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `repeats the probe name "${probe.name}"; names must be unique`,
          params: AFTER_PATH,
        });
      }
      seen.add(probe.name);
    });
  })
  .meta({ title: 'Health probes', description: 'HTTP probes that make up the health gate.' });

/** One health probe as the schema hands it on (durations in ms). */
export type HealthProbe = z.output<typeof probeSchema>;
