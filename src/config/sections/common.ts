// Pieces every section of shipproof.yaml shares: name patterns, the "expected" phrases, and the
// duration and non-empty-string leaves. No section imports another; schema.ts composes them.
import { z } from 'zod';
import { DURATION_FORMS, parseDuration } from '../duration.js';

/** Compose project names, and the names of targets. */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const SERVICE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A domain (or localhost, for local use), with an optional port when the proxy is not on 443.
export const DOMAIN_PATTERN = /^(?=[^:]{1,253}(:|$))(?:(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]|localhost)(:\d{1,5})?$/i;

/**
 * A custom issue whose message continues a sentence after the path (`"x" <message>.`) instead of
 * naming what was expected (`"x" must be <message>, got …`).
 */
export const AFTER_PATH = { form: 'after-path' } as const;

export const nonEmpty = (phrase: string) => z.string({ error: phrase }).min(1, { error: phrase });

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export function isRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/** A non-empty JavaScript regular expression. */
export const regexText = (phrase: string) => nonEmpty(phrase).refine(isRegex, { error: 'a valid regular expression' });

export const duration = (title: string) =>
  z
    .union([z.number(), z.string()], { error: DURATION_FORMS })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms === 0) {
        ctx.addIssue({ code: 'custom', message: ms === 0 ? 'a duration above zero' : DURATION_FORMS });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ title, description: `${title}: ${DURATION_FORMS}.` });

