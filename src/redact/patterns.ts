// Pattern rules: secrets recognisable by their shape, whether or not anyone registered them.
// Each rule has a stable id that names it in `[REDACTED:<id>]` markers, hit counts and errors.
// A rule redacts its whole match, or only the named group `secret` when it has one (the key
// name, the `Bearer` scheme and the URL's user stay readable).
//
// Every rule except pem-private-key matches within one line: the streaming redactor relies on
// that (it emits whole lines, and holds an unfinished PEM block until its END line).
// Regexes are written so that no two adjacent repeats can match the same characters, to keep
// matching linear on long lines.
import { looksLikeSecretValue } from './entropy.js';

export interface PatternRule {
  readonly id: string;
  readonly description: string;
  /** Flags must include `g` and `d` (match indices for the `secret` group). */
  readonly regex: RegExp;
  /** Extra check on a match; the match is dropped when it returns false. */
  readonly accept?: (m: RegExpExecArray) => boolean;
}

export interface PatternMatch {
  rule: string;
  /** The redacted range (the `secret` group, or the whole match). */
  start: number;
  end: number;
  /** Where the whole match starts (key name, scheme...): the context the rule needs. */
  matchStart: number;
}

const SECRET_WORDS = /password|passwd|passphrase|secret|token|credential|api_?key|access_?key|private_?key/;
const SECRET_SEGMENTS = /^(?:pwd|pw|pass|o?auth(?!or(?!i[sz]ation))[a-z]*)$/;
const SECRET_KEY_COMPOUNDS =
  /(?:^|_)(?:api|access|private|secret|signing|encryption|master|app|license|session|account|deploy|admin|root|client)_key(?:$|_)/;
const DIGEST_SEGMENTS = new Set([
  'hash', 'hashed', 'digest', 'sha', 'sha1', 'sha256', 'sha384', 'sha512', 'md5', 'checksum',
  'fingerprint', 'fingerprints', 'etag', 'integrity', 'hmac',
]);
const NON_SECRET_LAST_SEGMENTS = new Set([
  'file', 'files', 'path', 'dir', 'directory', 'url', 'uri', 'endpoint', 'host', 'hostname', 'port',
  'type', 'mode', 'method', 'name', 'names', 'id', 'ids', 'enabled', 'disabled', 'required', 'expiry',
  'expires', 'expiration', 'ttl', 'timeout', 'length', 'len', 'size', 'count', 'limit', 'header',
  'version', 'format', 'algorithm', 'alg', 'kind', 'scope', 'scopes', 'issuer', 'audience', 'user',
  'username', 'provider', 'policy', 'prefix', 'suffix', 'ref', 'env', 'set', 'exists', 'present',
  'at', 'time', 'date', 'source', 'backend', 'store', 'strategy', 'command', 'cmd', 'script', 'level',
  ...DIGEST_SEGMENTS,
]);

export interface KeyNameVerdict {
  /** The key names a secret (password, api_key, clientSecret...). */
  secret: boolean;
  /** The key also names a digest (token_sha256): hex values under it are hashes, not secrets. */
  digest: boolean;
}

/** Whether a key name (env var, JSON/YAML key, CLI flag) says its value is secret. */
export function classifyKeyName(key: string): KeyNameVerdict {
  const normalized = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const segments = normalized.split('_').filter((s) => s.length > 0);
  const digest = segments.some((s) => DIGEST_SEGMENTS.has(s));
  const last = segments[segments.length - 1] ?? '';
  // PWD/OLDPWD are the shell's working directory, not a password.
  if (normalized === 'pwd' || normalized === 'oldpwd' || NON_SECRET_LAST_SEGMENTS.has(last)) {
    return { secret: false, digest };
  }
  const secret =
    SECRET_WORDS.test(normalized) ||
    segments.some((s) => SECRET_SEGMENTS.test(s)) ||
    SECRET_KEY_COMPOUNDS.test(normalized);
  return { secret, digest };
}

function isMarker(s: string): boolean {
  return /^\[REDACTED:[^\]]*\]$/.test(s);
}

/**
 * A value that only names variables (`${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}`, `"$pw"`)
 * holds no secret: it is how scripts pass one without writing it.
 */
export function isVariableReference(value: string): boolean {
  if (!value.includes('$')) return false;
  let rest = value;
  for (let i = 0; i < 4; i++) {
    const next = rest.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=?+](?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})*)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*/g, '');
    if (next === rest) break;
    rest = next;
  }
  return /^[\\"'{}:\-\s]*$/.test(rest);
}

const PEM_LABEL = String.raw`(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?`;
const NL = String.raw`(?:\r?\n|\\(?:r\\)?n)`; // a real newline, or an escaped one inside a JSON string

const SECRET_ASSIGNMENT = 'secret-assignment';
// A key name where a key starts (also right after a %XX escape, in URL-encoded text), its closing
// quote as written raw, escaped (\" or \\\") or URL-encoded (%22), and the separator (= : => := %3D %3A).
const KEY_AND_SEPARATOR = String.raw`(?:(?<![A-Za-z0-9_])|(?<=%[0-9A-Fa-f]{2}))(?<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})(?:\\{0,7}["']|%2[27])?[ \t]*(?:=>|:=|[:=]|%3[AaDd])`;

export const PATTERN_RULES: readonly PatternRule[] = [
  {
    id: 'pem-private-key',
    description: 'PEM private key block (PKCS#1/#8, EC, OpenSSH, encrypted, PGP)',
    regex: new RegExp(
      // A whole block, newlines real, escaped or flattened to spaces...
      String.raw`-----BEGIN ${PEM_LABEL}-----[\s\S]*?-----END ${PEM_LABEL}-----` +
        // ...or an unterminated one (truncated output): the armour line and the base64 or
        // header lines that follow it.
        String.raw`|-----BEGIN ${PEM_LABEL}-----(?:${NL}(?:(?:[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z-]*: ?[^\r\n\\]*)(?=${NL}|$|["'])|(?=${NL})))*`,
      'gd',
    ),
  },
  {
    id: 'ssh-private-key-inline',
    description: 'OpenSSH private key body without armour, or PuTTY private lines',
    regex: new RegExp(
      String.raw`(?<![A-Za-z0-9+/])b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/]*={0,2}(?:\\(?:r\\)?n[A-Za-z0-9+/]+={0,2})*` +
        String.raw`|Private-Lines: *\d+(?:\r?\n[A-Za-z0-9+/=]+(?=\r?\n|$))+`,
      'gd',
    ),
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id (AKIA/ASIA)',
    regex: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/dg,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key after its key name',
    regex:
      /(?:aws[_.-]?secret[_.-]?(?:access[_.-]?)?key|secret[_.-]?access[_.-]?key)["']?(?:[ \t]*(?:=>|[:=])[ \t]*|[ \t]+)["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  {
    id: 'github-token',
    description: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
    regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/dg,
  },
  {
    id: 'slack-token',
    description: 'Slack token (xoxa-, xoxb-, xoxp-, xoxo-, xoxs-, xoxr-)',
    regex: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/dg,
  },
  {
    id: 'stripe-key',
    description: 'Stripe secret or restricted key',
    regex: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9])/dg,
  },
  {
    id: 'google-api-key',
    description: 'Google API key (AIza + 35)',
    regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/dg,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token (three base64url segments, header eyJ...)',
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}/dg,
  },
  {
    id: 'bearer-token',
    description: 'Authorization header value, or a token after the word bearer',
    regex: new RegExp(
      String.raw`(?<![A-Za-z0-9-])(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?` +
        String.raw`(?<scheme>(?:bearer|basic|token|digest|negotiate|ntlm|apikey|api-key)[ \t]+)?(?<secret>[^\s"',;]+)` +
        String.raw`|(?<![A-Za-z0-9])bearer[ \t]+(?<bare>[A-Za-z0-9\-._~+/]+=*)`,
      'dgi',
    ),
    accept: (m) => {
      const token = m.groups?.secret ?? m.groups?.bare ?? '';
      if (isMarker(token)) return false;
      // After an explicit scheme anything is a credential; otherwise it must look like one.
      return m.groups?.scheme !== undefined ? token.length > 0 : looksLikeSecretValue(token);
    },
  },
  {
    id: 'url-credentials',
    description: 'password in scheme://user:password@host (the user is kept)',
    regex: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/|\\\/\\\/)[^\s:@/?#"'<>]*:(?<secret>[^\s/"'<>]+)@/dg,
    accept: (m) => !isMarker(m.groups?.secret ?? ''),
  },
  {
    id: SECRET_ASSIGNMENT,
    description: 'key=value, key: value or "key": "value" where the key names a secret and the value looks random',
    regex:
      new RegExp(
        String.raw`${KEY_AND_SEPARATOR}[ \t]*` +
          String.raw`(?:"(?<dq>(?:[^"\\\r\n]|\\.){1,4096})"|'(?<sq>[^'\r\n]{1,4096})'` +
          // Quoted inside an escaped string (a JSON string, a logged command line): api_token=\"…\", =\\\"…\\\"
          String.raw`|\\{1,7}"(?<eq>(?:[^"\\\r\n]|\\{1,7}[^"\\\r\n]){1,4096})(?=\\{1,7}")` +
          // URL-encoded quotes: api_token%3D%22…%22
          String.raw`|%2[27](?<pq>[^\s"'\x60%,;&]{1,4096})%2[27]` +
          String.raw`|(?<bare>[^\s"'\x60,;&]{1,4096}))`,
        'dg',
      ),
    accept: (m) => {
      const value = m.groups?.dq ?? m.groups?.sq ?? m.groups?.eq ?? m.groups?.pq ?? m.groups?.bare ?? '';
      if (isMarker(value) || isVariableReference(value)) return false;
      const verdict = classifyKeyName(m.groups?.key ?? '');
      return verdict.secret && looksLikeSecretValue(value, verdict.digest);
    },
  },
  {
    id: 'age-secret-key',
    description: 'age identity (AGE-SECRET-KEY-1...)',
    regex: /AGE-SECRET-KEY-1[0-9A-Z]{50,}/dg,
  },
];

/** The group whose range is redacted, if the rule has one and it took part in the match. */
function redactedRange(m: RegExpExecArray): [number, number] {
  const groups = m.indices?.groups;
  if (groups !== undefined) {
    for (const name of ['secret', 'dq', 'sq', 'eq', 'pq', 'bare']) {
      const range = groups[name];
      if (range !== undefined) return range;
    }
  }
  return [m.index, m.index + m[0].length];
}

// Where a key and its separator start inside a rejected value (`?token=`, `x:password=`).
const INNER_KEY = new RegExp(KEY_AND_SEPARATOR, 'g');
const stickyCache = new WeakMap<RegExp, RegExp>();

/**
 * A rejected key=value candidate may hide others in its value (`url=https://h/?token=…`); the
 * regex would resume after it and never see them. Each secret-named key inside the value is
 * tried where it stands. The value is at most 4096 characters and scanned once, so this stays linear.
 */
function innerMatches(rule: PatternRule, text: string, m: RegExpExecArray, out: PatternMatch[]): void {
  const [vs, ve] = redactedRange(m);
  if (ve - vs < 3) return;
  let separator = false;
  for (let i = vs; i < ve && !separator; i++) {
    const c = text.charCodeAt(i);
    separator = c === 0x3d || c === 0x3a || (c === 0x25 && /^%3[AaDd]/.test(text.slice(i, i + 3))); // = : %3D %3A
  }
  if (!separator) return;
  let sticky = stickyCache.get(rule.regex);
  if (sticky === undefined) {
    sticky = new RegExp(rule.regex.source, rule.regex.flags.replace('g', '') + 'y');
    stickyCache.set(rule.regex, sticky);
  }
  const value = text.slice(vs, ve);
  for (const k of value.matchAll(INNER_KEY)) {
    if (!classifyKeyName(k.groups?.key ?? '').secret) continue;
    sticky.lastIndex = vs + k.index;
    const inner = sticky.exec(text);
    if (inner === null || (rule.accept !== undefined && !rule.accept(inner))) continue;
    const [start, end] = redactedRange(inner);
    if (end > start) out.push({ rule: rule.id, start, end, matchStart: inner.index });
  }
}

/** All matches of all rules, in rule order then text order. Overlaps are left for the caller to merge. */
export function findPatternMatches(text: string, rules: readonly PatternRule[] = PATTERN_RULES): PatternMatch[] {
  const out: PatternMatch[] = [];
  for (const rule of rules) {
    rule.regex.lastIndex = 0;
    for (const m of text.matchAll(rule.regex)) {
      if (rule.accept !== undefined && !rule.accept(m)) {
        if (rule.id === SECRET_ASSIGNMENT) innerMatches(rule, text, m, out);
        continue;
      }
      const [start, end] = redactedRange(m);
      if (end > start) out.push({ rule: rule.id, start, end, matchStart: m.index });
    }
  }
  return out;
}
