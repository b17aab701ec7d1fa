import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HOST_KEY_ALGORITHMS,
  checkHostKey,
  fingerprintSha256,
  hostMatches,
  keyTypeOf,
  knownHostsLine,
  knownHostsName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../src/targets/known-hosts.js';

// Fixtures made with ssh-keygen (OpenSSH 9.2); fingerprints from `ssh-keygen -lf`, hashed lines from `ssh-keygen -H`.
const ED_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIEjOCLxpOjXlQS83jI7FGpEz7Y9kLRbUxRJu5VIeE7y5';
const ED_FP = 'SHA256:QA7VjFJk862Gv6r++317A0bQRVjYPxzer/ORoVpxxEE';
const EC_B64 =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDv+Rwg4Aacy7hDAflLCetImKb+jCsbtDhxWJCwQLt5gB2ysOKtpI8bZgkwgBziidS/XsI/zRJQnxpQH3B1sZy0=';
const EC_FP = 'SHA256:a2KPpDiT+j+uXl99XrFyKnxbjSgz9sp4FKuGymE1Zzk';
const ED = Buffer.from(ED_B64, 'base64');
const EC = Buffer.from(EC_B64, 'base64');
/** `[example.com]:2200` hashed, with the ed25519 key. */
const HASHED_ED = `|1|oNHd9ZcGXNTToEK9bnJNb1eDi/k=|vhBs5QeFNZghk/jYdoSF33vQoYQ= ssh-ed25519 ${ED_B64}`;
/** `example.org` hashed, with the ecdsa key. */
const HASHED_EC = `|1|V2ltSXigVL9u15kEtpR10prR8fo=|e4bobgznAdMrbCukLClfs+6Ej14= ecdsa-sha2-nistp256 ${EC_B64}`;

/** Another key of the same type: the blob with its last byte changed. */
function withLastByteFlipped(key: Buffer): Buffer {
  const copy = Buffer.from(key);
  copy.writeUInt8((copy.readUInt8(copy.length - 1) ^ 1) & 0xff, copy.length - 1);
  return copy;
}

describe('parseKnownHosts', () => {
  it('parses plain, bracketed, comma-list, hashed and marked lines with their line numbers', () => {
    const text = [
      '# a comment',
      '',
      `host1,10.0.0.1 ssh-ed25519 ${ED_B64} comment here`,
      `[host2]:2222 ecdsa-sha2-nistp256 ${EC_B64}`,
      HASHED_ED,
      `@revoked * ssh-ed25519 ${ED_B64}`,
      `@cert-authority *.example.com ssh-ed25519 ${ED_B64}`,
      '   \t  ',
    ].join('\n');
    const entries = parseKnownHosts(text, '/k/known_hosts');
    expect(entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [3, null, 'ssh-ed25519'],
      [4, null, 'ecdsa-sha2-nistp256'],
      [5, null, 'ssh-ed25519'],
      [6, 'revoked', 'ssh-ed25519'],
      [7, 'cert-authority', 'ssh-ed25519'],
    ]);
    expect(entries[0]?.hosts).toEqual({ kind: 'patterns', patterns: ['host1', '10.0.0.1'] });
    expect(entries[0]?.file).toBe('/k/known_hosts');
    expect(entries[0]?.key.equals(ED)).toBe(true);
    expect(entries[2]?.hosts.kind).toBe('hashed');
  });

  it('skips malformed lines instead of failing', () => {
    const text = [
      'onlyhost',
      'host ssh-ed25519',
      'host ssh-ed25519 not*base64',
      `host ecdsa-sha2-nistp256 ${ED_B64}`, // the type field disagrees with the blob
      `@unknown-marker host ssh-ed25519 ${ED_B64}`,
      '|1|broken ssh-ed25519 ' + ED_B64,
      `good ssh-ed25519 ${ED_B64}`,
    ].join('\n');
    expect(parseKnownHosts(text, 'f').map((e) => e.line)).toEqual([7]);
  });

  it('accepts CRLF line endings', () => {
    expect(parseKnownHosts(`a ssh-ed25519 ${ED_B64}\r\nb ssh-ed25519 ${ED_B64}\r\n`, 'f')).toHaveLength(2);
  });
});

describe('knownHostsName and hostMatches', () => {
  it('uses the bare host on port 22 and [host]:port otherwise, lower-cased', () => {
    expect(knownHostsName('Example.COM', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
  });

  it('matches comma lists, case-insensitively, and only on the right port', () => {
    const [e] = parseKnownHosts(`alpha,BETA,[gamma]:2200 ssh-ed25519 ${ED_B64}`, 'f');
    if (!e) throw new Error('no entry');
    expect(hostMatches(e.hosts, knownHostsName('beta', 22))).toBe(true);
    expect(hostMatches(e.hosts, knownHostsName('gamma', 2200))).toBe(true);
    expect(hostMatches(e.hosts, knownHostsName('gamma', 22))).toBe(false);
    expect(hostMatches(e.hosts, knownHostsName('alpha', 2200))).toBe(false);
    expect(hostMatches(e.hosts, knownHostsName('alphabet', 22))).toBe(false);
  });

  it('supports * and ? wildcards and ! negation', () => {
    const [e] = parseKnownHosts(`*.example.com,!bad.example.com,web?.net ssh-ed25519 ${ED_B64}`, 'f');
    if (!e) throw new Error('no entry');
    expect(hostMatches(e.hosts, 'a.example.com')).toBe(true);
    expect(hostMatches(e.hosts, 'a.b.example.com')).toBe(true);
    expect(hostMatches(e.hosts, 'bad.example.com')).toBe(false);
    expect(hostMatches(e.hosts, 'example.com')).toBe(false);
    expect(hostMatches(e.hosts, 'web1.net')).toBe(true);
    expect(hostMatches(e.hosts, 'web12.net')).toBe(false);
  });

  it('matches hashed names as OpenSSH wrote them', () => {
    const [ed, ec] = parseKnownHosts(`${HASHED_ED}\n${HASHED_EC}`, 'f');
    if (!ed || !ec) throw new Error('no entries');
    expect(hostMatches(ed.hosts, '[example.com]:2200')).toBe(true);
    expect(hostMatches(ed.hosts, 'example.com')).toBe(false);
    expect(hostMatches(ec.hosts, 'example.org')).toBe(true);
    expect(hostMatches(ec.hosts, 'example.com')).toBe(false);
  });
});

describe('checkHostKey', () => {
  it('finds a known key (plain and hashed)', () => {
    const entries = parseKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${ED_B64}\n${HASHED_EC}`, 'kh');
    expect(checkHostKey(entries, '127.0.0.1', 2222, ED)).toMatchObject({ status: 'known', entry: { line: 1 } });
    expect(checkHostKey(entries, 'example.org', 22, EC)).toMatchObject({ status: 'known', entry: { line: 2 } });
  });

  it('reports a different key for a known host as changed, pointing at the old line', () => {
    const entries = parseKnownHosts(`other ssh-ed25519 ${ED_B64}\n[127.0.0.1]:2222 ssh-ed25519 ${ED_B64}`, 'kh');
    const other = withLastByteFlipped(ED);
    expect(checkHostKey(entries, '127.0.0.1', 2222, other)).toMatchObject({ status: 'changed', entry: { file: 'kh', line: 2 } });
  });

  it('reports a key of another type than the recorded one as changed too', () => {
    const entries = parseKnownHosts(HASHED_ED, 'kh');
    expect(checkHostKey(entries, 'example.com', 2200, EC)).toMatchObject({ status: 'changed', entry: { line: 1 } });
  });

  it('prefers the entry of the same key type when naming the changed line', () => {
    const entries = parseKnownHosts(`h ecdsa-sha2-nistp256 ${EC_B64}\nh ssh-ed25519 ${ED_B64}`, 'kh');
    const other = withLastByteFlipped(ED);
    expect(checkHostKey(entries, 'h', 22, other)).toMatchObject({ status: 'changed', entry: { line: 2 } });
  });

  it('knows nothing about a host only recorded on another port', () => {
    const entries = parseKnownHosts(`127.0.0.1 ssh-ed25519 ${ED_B64}`, 'kh');
    expect(checkHostKey(entries, '127.0.0.1', 2222, ED)).toEqual({ status: 'unknown' });
    expect(checkHostKey([], '127.0.0.1', 2222, ED)).toEqual({ status: 'unknown' });
  });

  it('refuses a key marked @revoked even when it is also listed as known', () => {
    const entries = parseKnownHosts(`h ssh-ed25519 ${ED_B64}\n@revoked * ssh-ed25519 ${ED_B64}`, 'kh');
    expect(checkHostKey(entries, 'h', 22, ED)).toMatchObject({ status: 'revoked', entry: { line: 2 } });
    // A revoked entry for another key does not affect this one.
    expect(checkHostKey(parseKnownHosts(`h ssh-ed25519 ${ED_B64}\n@revoked * ecdsa-sha2-nistp256 ${EC_B64}`, 'kh'), 'h', 22, ED).status).toBe(
      'known',
    );
  });

  it('ignores @cert-authority lines', () => {
    const entries = parseKnownHosts(`@cert-authority h ssh-ed25519 ${ED_B64}`, 'kh');
    expect(checkHostKey(entries, 'h', 22, ED)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, 'h', 22, EC)).toEqual({ status: 'unknown' });
  });
});

describe('key helpers', () => {
  it('computes OpenSSH SHA256 fingerprints', () => {
    expect(fingerprintSha256(ED)).toBe(ED_FP);
    expect(fingerprintSha256(EC)).toBe(EC_FP);
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOf(ED)).toBe('ssh-ed25519');
    expect(keyTypeOf(EC)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('');
    expect(keyTypeOf(Buffer.from([0, 0, 0, 9, 65]))).toBe('');
  });

  it('formats the line to append, bracketed only off port 22, and parses it back', () => {
    expect(knownHostsLine('127.0.0.1', 2222, ED)).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${ED_B64}`);
    expect(knownHostsLine('Example.com', 22, EC)).toBe(`example.com ecdsa-sha2-nistp256 ${EC_B64}`);
    const entries = parseKnownHosts(knownHostsLine('127.0.0.1', 2222, ED), 'kh');
    expect(checkHostKey(entries, '127.0.0.1', 2222, ED).status).toBe('known');
  });
});

describe('preferredHostKeyAlgorithms', () => {
  it('offers the default order when nothing is known', () => {
    expect(preferredHostKeyAlgorithms([], 'h', 22)).toEqual(DEFAULT_HOST_KEY_ALGORITHMS);
  });

  it('puts the algorithms of recorded key types first', () => {
    const entries = parseKnownHosts(`h ecdsa-sha2-nistp256 ${EC_B64}\nother ssh-ed25519 ${ED_B64}`, 'kh');
    expect(preferredHostKeyAlgorithms(entries, 'h', 22)).toEqual([
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
    ]);
  });

  it('maps a recorded ssh-rsa key to the rsa-sha2 signature algorithms', () => {
    const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.from([0, 0, 0, 1, 1])]);
    const entries = parseKnownHosts(`h ssh-rsa ${rsaBlob.toString('base64')}`, 'kh');
    expect(preferredHostKeyAlgorithms(entries, 'h', 22).slice(0, 2)).toEqual(['rsa-sha2-512', 'rsa-sha2-256']);
  });
});
