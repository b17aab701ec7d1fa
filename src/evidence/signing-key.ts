// The evidence signing key: ed25519, made on first use. The private half lives on the operator's
// machine (${SHIPPROOF_HOME:-~/.config/shipproof}/keys/<keyid>.pem, 0600, folder 0700), never in
// the evidence folder; the public half sits in the evidence folder as signing-key.pub so anyone
// with the folder can verify it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, realpath, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { ShipproofError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export const PUBLIC_KEY_FILE = 'signing-key.pub';

export interface PublicSigningKey {
  keyid: string;
  publicKey: KeyObject;
}

export interface SigningKey extends PublicSigningKey {
  privateKey: KeyObject;
  /** Where the private key is stored (for messages; never its contents). */
  privateKeyPath: string;
}

/** The operator's shipproof folder: `home`, else $SHIPPROOF_HOME, else ~/.config/shipproof. */
export function shipproofHome(home?: string): string {
  if (home !== undefined && home !== '') return home;
  const env = process.env.SHIPPROOF_HOME;
  if (env !== undefined && env !== '') return env;
  return join(homedir(), '.config', 'shipproof');
}

/** "sha256:" + hex sha256 of the SPKI DER encoding of the public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export function privateKeyPath(keyid: string, home?: string): string {
  return join(shipproofHome(home), 'keys', `${keyid}.pem`);
}

/** Parses signing-key.pub text; undefined when it is not an ed25519 SPKI public key. */
export function parsePublicKeyPem(pem: string): PublicSigningKey | undefined {
  try {
    const publicKey = createPublicKey({ key: pem, format: 'pem' });
    if (publicKey.asymmetricKeyType !== 'ed25519') return undefined;
    return { keyid: keyIdOf(publicKey), publicKey };
  } catch {
    return undefined;
  }
}

export type PublicKeyRead =
  | { state: 'ok'; key: PublicSigningKey }
  | { state: 'missing' }
  | { state: 'invalid' };

/** Reads the evidence folder's public key. */
export async function readEvidencePublicKey(evidenceDir: string): Promise<PublicKeyRead> {
  let pem: string;
  try {
    pem = await readFile(join(evidenceDir, PUBLIC_KEY_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw e;
  }
  const key = parsePublicKeyPem(pem);
  return key === undefined ? { state: 'invalid' } : { state: 'ok', key };
}

/**
 * The key that signs records in `evidenceDir`: the one whose public half is in the folder, or a
 * new one when the folder has none. Two processes racing to create it agree on one key: the
 * public key file is created without replacing, and the loser adopts the winner's key.
 */
export async function loadOrCreateSigningKey(evidenceDir: string, opts: { home?: string } = {}): Promise<SigningKey> {
  await mkdir(evidenceDir, { recursive: true });
  const keysDir = join(shipproofHome(opts.home), 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  await chmod(keysDir, 0o700);
  await refuseKeysInside(evidenceDir, keysDir);

  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await readEvidencePublicKey(evidenceDir);
    if (existing.state === 'ok') return loadPrivateHalf(existing.key, opts.home);
    if (existing.state === 'invalid') {
      throw new ShipproofError(`${join(evidenceDir, PUBLIC_KEY_FILE)} is not an ed25519 public key, so records can't be signed or verified.`, {
        hint: 'Restore signing-key.pub from a copy of this evidence folder; do not replace it with a new key.',
      });
    }
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keyid = keyIdOf(publicKey);
    const path = privateKeyPath(keyid, opts.home);
    await writeFileAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, exclusive: true });
    try {
      await writeFileAtomic(join(evidenceDir, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }), {
        mode: 0o644,
        exclusive: true,
      });
      return { keyid, publicKey, privateKey, privateKeyPath: path };
    } catch (e) {
      await unlink(path).catch(() => undefined);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another writer made the folder's key first: loop and use theirs.
    }
  }
  throw new ShipproofError(`Could not settle on a signing key for ${evidenceDir}.`);
}

async function loadPrivateHalf(pub: PublicSigningKey, home: string | undefined): Promise<SigningKey> {
  const path = privateKeyPath(pub.keyid, home);
  let pem: string;
  try {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) {
      throw new ShipproofError(`The private signing key ${path} can be read by other users, so shipproof will not use it.`, {
        hint: `Run: chmod 600 ${path}`,
      });
    }
    pem = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new ShipproofError(`This machine does not hold the private key ${pub.keyid} for this evidence folder, so records can't be signed here.`, {
      hint: `Copy ${pub.keyid}.pem (mode 0600) from the machine that created the folder into ${join(shipproofHome(home), 'keys')}, or set SHIPPROOF_HOME to the folder that holds it. Verifying needs only signing-key.pub; if signing-key.pub was replaced, run \`shipproof evidence verify\`.`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new ShipproofError(`The private signing key ${path} could not be read as a PEM key.`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519' || keyIdOf(createPublicKey(privateKey)) !== pub.keyid) {
    throw new ShipproofError(`The private signing key ${path} does not match the evidence folder's signing-key.pub.`, {
      hint: 'Restore the matching key file; never replace signing-key.pub, or earlier records stop verifying.',
    });
  }
  return { ...pub, privateKey, privateKeyPath: path };
}

/** A private key inside the evidence folder would ship with the evidence; refuse that layout. */
async function refuseKeysInside(evidenceDir: string, keysDir: string): Promise<void> {
  const ev = await realpath(evidenceDir);
  const keys = await realpath(keysDir);
  const rel = relative(ev, keys);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new ShipproofError(`The signing key folder ${keysDir} is inside the evidence folder ${evidenceDir}; private keys must never be stored with evidence.`, {
      hint: 'Point SHIPPROOF_HOME somewhere outside the evidence folder.',
    });
  }
}
