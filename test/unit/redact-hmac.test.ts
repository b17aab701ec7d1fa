import { createHmac } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShipproofError } from '../../src/errors.js';
import { loadOrCreateFingerprintKey, valueFingerprint } from '../../src/redact/index.js';

describe('valueFingerprint', () => {
  const key = Buffer.alloc(32, 7);

  it('is HMAC-SHA256 hex of the UTF-8 value', () => {
    expect(valueFingerprint(key, 'pässwörd')).toBe(createHmac('sha256', key).update(Buffer.from('pässwörd', 'utf8')).digest('hex'));
    expect(valueFingerprint(key, 'x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the value and with the key, and is not the bare sha256', () => {
    const a = valueFingerprint(key, 'secret-a');
    expect(valueFingerprint(key, 'secret-a')).toBe(a);
    expect(valueFingerprint(key, 'secret-b')).not.toBe(a);
    expect(valueFingerprint(Buffer.alloc(32, 8), 'secret-a')).not.toBe(a);
    expect(a).not.toContain('secret-a');
  });

  it('refuses a short key', () => {
    expect(() => valueFingerprint(Buffer.alloc(8), 'x')).toThrow(ShipproofError);
  });
});

describe('loadOrCreateFingerprintKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipproof-hmac-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates 32 random bytes with mode 0600 in a 0700 folder, then reuses them', async () => {
    const path = join(dir, 'state', 'fingerprint.key');
    const key = await loadOrCreateFingerprintKey(path);
    expect(key.length).toBe(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect(await loadOrCreateFingerprintKey(path)).toEqual(key);
    expect(await readFile(path)).toEqual(key);
    const other = await loadOrCreateFingerprintKey(join(dir, 'other.key'));
    expect(other.equals(key)).toBe(false);
  });

  it('gives every concurrent caller the same key', async () => {
    const path = join(dir, 'fingerprint.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateFingerprintKey(path)));
    for (const k of keys) expect(k).toEqual(keys[0]);
  });

  it('rejects a key file of the wrong size or readable by others', async () => {
    const wrong = join(dir, 'wrong.key');
    await writeFile(wrong, Buffer.alloc(16), { mode: 0o600 });
    await expect(loadOrCreateFingerprintKey(wrong)).rejects.toThrow(ShipproofError);
    const open = join(dir, 'open.key');
    await writeFile(open, Buffer.alloc(32));
    await chmod(open, 0o644);
    await expect(loadOrCreateFingerprintKey(open)).rejects.toThrow(/readable by other users/);
  });
});
