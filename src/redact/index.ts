// The redaction entry point. Every output path (terminal, logs, evidence files, the dashboard)
// uses the process-wide `redactor`, so a secret registered once is redacted everywhere.
import { ShipproofError } from '../errors.js';
import { redactJsonText } from './json.js';
import { Redactor } from './redactor.js';

export { Redactor, MARKER_PATTERN, marker } from './redactor.js';
export type { RedactionHit, RedactionResult, RedactionSpan, RedactionStats, EnvFileOptions } from './redactor.js';
export { PATTERN_RULES, classifyKeyName, findPatternMatches } from './patterns.js';
export type { PatternRule, PatternMatch, KeyNameVerdict } from './patterns.js';
export { secretVariants, embeddedBase64Cores, MIN_SECRET_LENGTH } from './variants.js';
export { shannonEntropy, looksLikeSecretValue, looksLikeDigest, mixesClasses } from './entropy.js';
export { parseEnvValues } from './dotenv.js';
export { redactJsonText } from './json.js';
export type { EnvValue } from './dotenv.js';
export { createRedactingStream, redactingWriter, RedactingTransform } from './stream.js';
export type { RedactingStreamOptions, RedactingWriterOptions } from './stream.js';
export { valueFingerprint, loadOrCreateFingerprintKey, FINGERPRINT_KEY_BYTES } from './hmac.js';

/** The process-wide redactor. */
export const redactor = new Redactor();

/** Serialises `value` as JSON with every secret redacted; the result always parses to the same shape. */
export function redactedJson(value: unknown, indent = 2, using: Redactor = redactor): string {
  return redactJsonText(JSON.stringify(redactValue(value, using), null, indent) ?? 'null', using);
}

/** `redactor.redact(s).text`. */
export function redactText(s: string): string {
  return redactor.redact(s).text;
}

/**
 * The fail-closed check before a file is written: throws (exit 1) when `text` still holds
 * anything the redactor would replace. The message names the rules, never the text.
 */
export function assertNoSecrets(text: string, where: string, using: Redactor = redactor): void {
  const hits = using.scan(text);
  if (hits.length === 0) return;
  const rules = hits.map((h) => `${h.rule} ×${h.count}`).join(', ');
  throw new ShipproofError(`Refusing to write ${where}: it contains secret-looking text (${rules}).`, {
    hint: 'Pass the text through the redactor (redactText) before writing it.',
  });
}

/**
 * A deep copy of `value` with every string redacted, object keys included.
 * Redacting values before serialising keeps JSON output valid; hits are counted per rule in `hits`.
 */
export function redactValue<T>(value: T, using: Redactor = redactor, hits?: Map<string, number>): T {
  if (typeof value === 'string') {
    const res = using.redact(value);
    if (hits) for (const h of res.hits) hits.set(h.rule, (hits.get(h.rule) ?? 0) + h.count);
    return res.text as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, using, hits)) as T;
  if (value !== null && typeof value === 'object') {
    // Keys are names, but a name can hold a registered secret (a service called like its
    // password): it is redacted too, so the fail-closed scan never finds what this let through.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactValue(k, using, hits), redactValue(v, using, hits)])) as T;
  }
  return value;
}
