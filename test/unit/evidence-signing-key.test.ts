import { createHash, createPublicKey } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShipproofError } from '../../src/errors.js';
import { loadOrCreateSigningKey, PUBLIC_KEY_FILE, shipproofHome } from '../../src/evidence/signing-key.js';
import { appendCollects, ledgerLines, sandbox, type Sandbox } from '../fixtures/evidence/helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

describe('the evidence signing key', () => {
  it('is made on first use: private half 0600 in a 0700 folder outside the evidence, public half in the folder', async () => {
    const key = await loadOrCreateSigningKey(sb.dir, { home: sb.home });
    const pubPem = await readFile(join(sb.dir, PUBLIC_KEY_FILE), 'utf8');
    expect(pubPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const der = createPublicKey(pubPem).export({ type: 'spki', format: 'der' });
    expect(key.keyid).toBe(`sha256:${createHash('sha256').update(der).digest('hex')}`);
    expect(key.privateKeyPath).toBe(join(sb.home, 'keys', `${key.keyid}.pem`));
    expect((await stat(key.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(sb.home, 'keys'))).mode & 0o777).toBe(0o700);
    expect(await readFile(key.privateKeyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    // Nothing in the evidence folder holds private key material, even after appends.
    await appendCollects(sb.open(), 2);
    const pem = await readFile(key.privateKeyPath, 'utf8');
    const secretBody = pem.split('\n')[1]!;
    for (const f of await allFiles(sb.dir)) {
      const text = await readFile(f, 'utf8');
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(secretBody);
    }
  });

  it('is reused when its public half is in the folder', async () => {
    const first = await loadOrCreateSigningKey(sb.dir, { home: sb.home });
    const again = await loadOrCreateSigningKey(sb.dir, { home: sb.home });
    expect(again.keyid).toBe(first.keyid);
    expect(await readdir(join(sb.home, 'keys'))).toEqual([`${first.keyid}.pem`]);
  });

  it('respects SHIPPROOF_HOME', async () => {
    const before = process.env.SHIPPROOF_HOME;
    process.env.SHIPPROOF_HOME = join(sb.root, 'env-home');
    try {
      expect(shipproofHome()).toBe(join(sb.root, 'env-home'));
      const key = await loadOrCreateSigningKey(sb.dir);
      expect(key.privateKeyPath).toBe(join(sb.root, 'env-home', 'keys', `${key.keyid}.pem`));
    } finally {
      if (before === undefined) delete process.env.SHIPPROOF_HOME;
      else process.env.SHIPPROOF_HOME = before;
    }
  });

  it('says clearly that records cannot be signed on a machine without the private key, and writes nothing', async () => {
    await appendCollects(sb.open(), 1);
    const before = await ledgerLines(sb.dir);
    const otherMachine = sb.open({ home: join(sb.root, 'other-machine') });
    const err = await appendCollects(otherMachine, 1, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipproofError);
    expect((err as ShipproofError).message).toMatch(/does not hold the private key sha256:[0-9a-f]{64} .*can't be signed here/);
    expect((err as ShipproofError).hint).toMatch(/SHIPPROOF_HOME/);
    expect(await ledgerLines(sb.dir)).toEqual(before);
    // Verifying needs only the public key.
    expect((await otherMachine.verify()).ok).toBe(true);
  });

  it('refuses a private key readable by others', async () => {
    const key = await loadOrCreateSigningKey(sb.dir, { home: sb.home });
    await chmod(key.privateKeyPath, 0o644);
    await expect(loadOrCreateSigningKey(sb.dir, { home: sb.home })).rejects.toThrow(/can be read by other users/);
  });

  it('refuses a key folder inside the evidence folder', async () => {
    await mkdir(sb.dir, { recursive: true });
    await expect(loadOrCreateSigningKey(sb.dir, { home: join(sb.dir, '.shipproof') })).rejects.toThrow(/inside the evidence folder/);
    await rm(join(sb.dir, '.shipproof'), { recursive: true, force: true });
  });
});
