// Decides whether a value found after a secret-looking key name is itself secret-looking.
// Used only by the `secret-assignment` rule: a key name alone (password, token, ...) is not
// enough, the value must also look random. Digests are excluded on purpose: evidence is full of
// sha256 hex and `sha256:<hex>` image digests, and those must never be taken for secrets.

/** Shannon entropy in bits per character (UTF-16 code units). 0 for the empty string. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export interface CharClasses {
  lower: boolean;
  upper: boolean;
  digit: boolean;
  /** Anything else except the identifier separators `-`, `_`, `.` and whitespace. */
  symbol: boolean;
}

export function charClasses(s: string): CharClasses {
  return {
    lower: /[a-z]/.test(s),
    upper: /[A-Z]/.test(s),
    digit: /[0-9]/.test(s),
    symbol: /[^A-Za-z0-9\-_.\s]/.test(s),
  };
}

/**
 * True when the value mixes character classes the way generated secrets and passwords do:
 * letters with digits, or three of lower/upper/digit/symbol. `Production` or `my-service`
 * do not mix; `hunter22`, `Pa55word` and `aB3$xY9z` do.
 */
export function mixesClasses(s: string): boolean {
  const c = charClasses(s);
  const letters = c.lower || c.upper;
  const count = Number(c.lower) + Number(c.upper) + Number(c.digit) + Number(c.symbol);
  return (letters && c.digit) || count >= 3;
}

const HEX_DIGEST_LENGTHS = new Set([32, 40, 56, 64, 96, 128]);

/**
 * A content digest rather than a secret: `sha256:<hex>` (any algorithm prefix, any case),
 * or `SHA256:<base64>` as ssh-keygen prints fingerprints.
 */
export function looksLikeDigest(s: string): boolean {
  const m = /^(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b|blake3)[:=-]([A-Za-z0-9+/=]+)$/i.exec(s);
  if (m === null) return false;
  const body = m[1] ?? '';
  return /^[0-9a-f]+$/i.test(body) ? HEX_DIGEST_LENGTHS.has(body.length) : body.length >= 27;
}

/** A bare hex string of a digest length (md5/sha1/sha224/sha256/sha384/sha512). */
export function isHexDigestShaped(s: string): boolean {
  return HEX_DIGEST_LENGTHS.has(s.length) && /^[0-9a-f]+$/i.test(s);
}

/** References, placeholders and masks that are not values themselves. */
export function looksLikePlaceholder(s: string): boolean {
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?+=][^}]*)?\}?$/.test(s)) return true; // $VAR, ${VAR:-x}
  if (/^\{\{.*\}\}$/.test(s) || /^<[^<>]*>$/.test(s) || /^%\([A-Za-z_]+\)s$/.test(s)) return true;
  if (/^(.)\1+$/.test(s)) return true; // ********, xxxxxxxx
  if (/^\[REDACTED[^\]]*\]$/i.test(s)) return true;
  return /^(?:null|none|undefined|true|false|redacted|changeme|example|placeholder|your[-_a-z]*)$/i.test(s);
}

/** Minimum length of a value the secret-assignment rule will redact. */
export const MIN_ASSIGNED_SECRET_LENGTH = 8;

/**
 * The value half of the secret-assignment rule: at least 8 characters, not a placeholder or a
 * digest, and either long-and-random (≥ 16 chars at ≥ 3.5 bits/char) or mixing classes.
 * `keyNamesDigest` is true when the key itself says the value is a hash (token_sha256, ...).
 */
export function looksLikeSecretValue(value: string, keyNamesDigest = false): boolean {
  if (value.length < MIN_ASSIGNED_SECRET_LENGTH) return false;
  if (looksLikePlaceholder(value) || looksLikeDigest(value)) return false;
  if (keyNamesDigest && /^[0-9a-f]+$/i.test(value)) return false;
  if (value.length >= 16 && shannonEntropy(value) >= 3.5) return true;
  return mixesClasses(value);
}
