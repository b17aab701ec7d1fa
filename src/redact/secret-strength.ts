// Whether a secret value can be kept out of evidence at all. A placeholder (`change-me`) is not a
// secret yet; a value that is short, low in entropy, a common password, or part of a name the
// records must show (the project, a service, an image, a path) cannot be redacted without blanking
// ordinary words — the redactor would either miss it or eat the names. Such values are refused
// (milestone 3, `check`) unless shipproof.yaml allows that key, with a reason; an allowed weak value
// is then not registered for redaction, so the redactor and the fail-closed scan agree about it.
import { shannonEntropy } from './entropy.js';

/** Shortest value accepted as a secret. */
export const MIN_STRONG_SECRET_LENGTH = 12;
/** Bits per character below which a value is too regular (aaaaaaaaaaaa, 121212121212). */
export const MIN_SECRET_ENTROPY = 2.5;
export const SECRET_ADVICE = 'Make a good one with `openssl rand -hex 32`';

const PLACEHOLDERS = [
  'changeme', 'changeit', 'replaceme', 'password', 'passwd', 'secret', 'example', 'placeholder', 'todo', 'fixme',
  'default', 'test', 'dummy', 'sample', 'xxx', 'none', 'null', 'empty', 'insertsecrethere', 'yoursecret', 'yourpassword',
];
const COMMON = new Set([
  '123456', '12345678', '123456789', '1234567890', 'qwerty', 'qwertyuiop', 'letmein', 'welcome', 'admin', 'administrator',
  'root', 'toor', 'postgres', 'mysql', 'mariadb', 'redis', 'guest', 'master', 'abc123', 'iloveyou', 'monkey', 'dragon',
  'password1', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'secret123', 'changeme123', 'supersecret',
]);

function normalize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9@]+/g, '');
}

/**
 * Why `value` (under `key`) is too weak to be a secret, or undefined when it is fine. `names` are
 * words the evidence must be able to show: project, services, images and their parts, path parts.
 * The reason never contains the value.
 */
export function secretWeakness(key: string, value: string, names: readonly string[]): string | undefined {
  const v = value.trim();
  if (v.length === 0) return 'is empty';
  const n = normalize(v);
  if (/^\$\{?[A-Za-z_]/.test(v) && !/[^$A-Za-z0-9_{}:?=+-]/.test(v)) return undefined; // a reference, resolved elsewhere
  if (/^<.*>$/.test(v) || /^\{\{.*\}\}$/.test(v)) return 'is a placeholder';
  if (n === normalize(key) || (n.length > 0 && normalize(key).includes(n) && n.length < MIN_STRONG_SECRET_LENGTH)) return 'is the key\'s own name';
  if (PLACEHOLDERS.some((p) => n === p || (n.startsWith(p) && /^(?:change|replace|your|insert)/.test(p))) || /^(?:change|replace)(?:me|it|this)/.test(n)) {
    return 'is a placeholder';
  }
  if (COMMON.has(v.toLowerCase()) || COMMON.has(n)) return 'is a common password';
  const lower = v.toLowerCase();
  for (const name of names) {
    const nm = name.toLowerCase();
    if (nm.length === 0) continue;
    if (nm === lower) return 'equals a name that appears in the records (project, service, image or path)';
    if (nm.includes(lower)) return 'is part of a name that appears in the records (project, service, image or path)';
  }
  if (v.length < MIN_STRONG_SECRET_LENGTH) return `is shorter than ${MIN_STRONG_SECRET_LENGTH} characters`;
  if (shannonEntropy(v) < MIN_SECRET_ENTROPY) return 'is too regular (low entropy)';
  return undefined;
}

/** The words a secret must not equal or hide in: each name, and its parts split at / : @ . _ -. */
export function visibleNames(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    if (name === '') continue;
    out.add(name);
    for (const part of name.split(/[/:@._\s-]+/)) if (part.length > 0) out.add(part);
  }
  return [...out];
}
