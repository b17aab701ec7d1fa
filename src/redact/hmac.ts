// Fingerprints of secret values, to tell that an env value changed without storing it. A bare
// sha256 of a short password is brute-forced in seconds, so the fingerprint is an HMAC under a
// local random key that never leaves this machine (and never enters evidence).
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ShipproofError } from '../errors.js';

export const FINGERPRINT_KEY_BYTES = 32;

/** HMAC-SHA256 of the UTF-8 value under `key`, lowercase hex. */
export function valueFingerprint(key: Buffer, value: string): string {
  if (key.length < FINGERPRINT_KEY_BYTES) {
    throw new ShipproofError(`The fingerprint key is ${key.length} bytes; it must be ${FINGERPRINT_KEY_BYTES}.`);
  }
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

async function readKey(path: string): Promise<Buffer> {
  const [key, info] = await Promise.all([readFile(path), stat(path)]);
  if (key.length !== FINGERPRINT_KEY_BYTES) {
    throw new ShipproofError(`The fingerprint key file ${path} holds ${key.length} bytes, not ${FINGERPRINT_KEY_BYTES}.`, {
      hint: 'Delete it to have a new key made; fingerprints recorded with the old key will then all read as changed.',
    });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new ShipproofError(`The fingerprint key file ${path} is readable by other users.`, {
      hint: `Run: chmod 600 ${path}`,
    });
  }
  return key;
}

/**
 * Reads the 32-byte fingerprint key at `path`, or creates it (mode 0600, folder 0700) when it
 * does not exist. Creation is atomic and never replaces a key another process made first.
 */
export async function loadOrCreateFingerprintKey(path: string): Promise<Buffer> {
  try {
    return await readKey(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, randomBytes(FINGERPRINT_KEY_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    await chmod(tmp, 0o600); // whatever the umask did
    await link(tmp, path); // fails with EEXIST if another process won the race
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return readKey(path);
}
