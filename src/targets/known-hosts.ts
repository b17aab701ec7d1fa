// OpenSSH known_hosts, as pure functions: parse the text, look a host up, decide whether the key a
// server offers is known, changed, revoked or new, and format the line to append for a new host.
// No I/O here; src/targets/ssh.ts reads and appends the file.
import { createHash, createHmac } from 'node:crypto';

export type KnownHostMarker = 'revoked' | 'cert-authority' | null;

/** The host part of a line: comma-separated patterns, or one hashed name `|1|salt|hash`. */
export type HostField = { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker: KnownHostMarker;
  hosts: HostField;
  keyType: string;
  /** The key blob (SSH wire format), as the server sends it. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'unknown' };

/**
 * Parses known_hosts text. Lines that are blank, comments or malformed are skipped, as OpenSSH
 * does; `file` is only recorded so messages can point at `file:line`.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i] ?? '', file, i + 1);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, file: string, line: number): KnownHostEntry | undefined {
  const fields = raw.trim().split(/[ \t]+/);
  if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return undefined;
  let marker: KnownHostMarker = null;
  if (fields[0].startsWith('@')) {
    if (fields[0] === '@revoked') marker = 'revoked';
    else if (fields[0] === '@cert-authority') marker = 'cert-authority';
    else return undefined;
    fields.shift();
  }
  const [hostText, keyType, keyBase64] = fields;
  if (hostText === undefined || keyType === undefined || keyBase64 === undefined) return undefined;
  const hosts = parseHostField(hostText);
  if (hosts === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) return undefined;
  const key = Buffer.from(keyBase64, 'base64');
  // The blob names its own type; a line whose type field disagrees is corrupt.
  if (keyTypeOf(key) !== keyType) return undefined;
  return { file, line, marker, hosts, keyType, key };
}

function parseHostField(text: string): HostField | undefined {
  if (text.startsWith('|')) {
    const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(text);
    if (m?.[1] === undefined || m[2] === undefined) return undefined;
    return { kind: 'hashed', salt: Buffer.from(m[1], 'base64'), hash: Buffer.from(m[2], 'base64') };
  }
  const patterns = text.split(',').filter((p) => p !== '');
  return patterns.length === 0 ? undefined : { kind: 'patterns', patterns };
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower-cased. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** True when `entry` applies to `name` (from knownHostsName). A matching negated pattern (`!x`) excludes it. */
export function hostMatches(hosts: HostField, name: string): boolean {
  if (hosts.kind === 'hashed') {
    const hash = createHmac('sha1', hosts.salt).update(name).digest();
    return hash.length === hosts.hash.length && hash.equals(hosts.hash);
  }
  let matched = false;
  for (const pattern of hosts.patterns) {
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (!globMatch(body, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** OpenSSH pattern matching: `*` any run of characters, `?` one character, nothing else special. */
function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Decides about the key a server offered. Known and equal: ok. Equal to an @revoked key: refused.
 * Any other key recorded for this host (of any type): changed, and the entry reported is one of
 * the same type when there is one. Nothing recorded: unknown. @cert-authority lines are ignored.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === null);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  const type = keyTypeOf(key);
  const other = plain.find((e) => e.keyType === type) ?? plain[0];
  if (other) return { status: 'changed', entry: other };
  return { status: 'unknown' };
}

/** The key type named inside an SSH key blob (its first length-prefixed string), or '' when malformed. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return '';
  return key.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH-style fingerprint: `SHA256:` and the unpadded base64 of the blob's sha256. */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The line to append for a newly accepted host (no trailing newline). */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostsName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Host key algorithms shipproof offers, strongest first: as OpenSSH 8.8+, no SHA-1 `ssh-rsa` or `ssh-dss`. */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/**
 * The host key algorithms to offer, those matching key types already recorded for this host
 * first. Like OpenSSH, this makes a server with several host keys present the one we know,
 * instead of a different-but-valid one that would look like a changed key.
 */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const known = new Set(entries.filter((e) => e.marker === null && hostMatches(e.hosts, name)).map((e) => e.keyType));
  const first = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => known.has(a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a));
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
