import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, pae, parseEnvelope, serializeEnvelope, signEnvelope, verifyEnvelope } from '../../src/evidence/dsse.js';
import { keyIdOf } from '../../src/evidence/signing-key.js';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey, keyid: keyIdOf(publicKey) };
}

describe('DSSE PAE', () => {
  it('reproduces the DSSE v1 spec test vector', () => {
    expect(pae('http://example.com/HelloWorld', 'hello world').toString('latin1')).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    // "é" is 2 bytes in UTF-8, "€" is 3.
    expect(pae('t/é', Buffer.from('€', 'utf8'))).toEqual(
      Buffer.concat([Buffer.from('DSSEv1 4 t/é 3 ', 'utf8'), Buffer.from('€', 'utf8')]),
    );
    expect(pae('', '').toString()).toBe('DSSEv1 0  0 ');
  });
});

describe('DSSE sign and verify', () => {
  const payload = Buffer.from('{"hello":"world"}\n');
  const type = 'application/vnd.in-toto+json';

  it('round-trips through the envelope file', () => {
    const k = keyPair();
    const env = signEnvelope(payload, type, k);
    expect(Object.keys(env)).toEqual(['payload', 'payloadType', 'signatures']);
    expect(env.signatures[0]?.keyid).toBe(k.keyid);
    const parsed = parseEnvelope(serializeEnvelope(env));
    expect(parsed).toEqual(env);
    const check = verifyEnvelope(parsed!, type, k.publicKey, k.keyid);
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.payload.equals(payload)).toBe(true);
  });

  it('detects a changed payload, a changed type and a wrong key', () => {
    const k = keyPair();
    const other = keyPair();
    const env = signEnvelope(payload, type, k);
    const tamperedPayload = { ...env, payload: Buffer.from('{"hello":"w0rld"}\n').toString('base64') };
    expect(verifyEnvelope(tamperedPayload, type, k.publicKey, k.keyid)).toMatchObject({ ok: false });
    expect(verifyEnvelope({ ...env, payloadType: 'text/plain' }, 'text/plain', k.publicKey, k.keyid)).toMatchObject({ ok: false });
    expect(verifyEnvelope(env, 'text/plain', k.publicKey, k.keyid)).toMatchObject({ ok: false });
    // Another key, even when the envelope claims the right keyid.
    const forged = signEnvelope(payload, type, { keyid: k.keyid, privateKey: other.privateKey });
    expect(verifyEnvelope(forged, type, k.publicKey, k.keyid)).toMatchObject({ ok: false });
    expect(verifyEnvelope(env, type, other.publicKey, other.keyid)).toMatchObject({ ok: false, problem: expect.stringContaining('no signature') });
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    sig[0] = (sig[0] as number) ^ 1;
    const badSig = { ...env, signatures: [{ keyid: k.keyid, sig: sig.toString('base64') }] };
    expect(verifyEnvelope(badSig, type, k.publicKey, k.keyid)).toMatchObject({ ok: false });
  });

  it('rejects malformed envelopes and base64', () => {
    expect(parseEnvelope('not json')).toBeUndefined();
    expect(parseEnvelope('{"payload":1,"payloadType":"x","signatures":[]}')).toBeUndefined();
    expect(decodeBase64('aGVsbG8=')?.toString()).toBe('hello');
    expect(decodeBase64('aGVsbG8')?.toString()).toBe('hello');
    expect(decodeBase64('aGVsbG9=')).toBeUndefined(); // non-canonical trailing bits
    expect(decodeBase64('aGV*bG8=')).toBeUndefined();
  });
});
