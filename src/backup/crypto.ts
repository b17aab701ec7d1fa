// age encryption of backup streams (the `age-encryption` package, X25519 recipients). Encryption
// needs only the recipients from the config; the identity (private key) is given at restore time
// and never stored, printed or passed on a command line.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { ShipproofError, UsageError } from '../errors.js';
import { redactor } from '../redact/index.js';

// Loaded on first use: most commands never encrypt, and the module costs startup time.
const age = (): Promise<typeof import('age-encryption')> => import('age-encryption');

/** A Node stream of `source` encrypted to `recipients`, chunk by chunk (memory stays flat). */
export async function encryptStream(source: Readable, recipients: readonly string[]): Promise<Readable> {
  const e = new (await age()).Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const web = await e.encrypt(Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>);
  return Readable.fromWeb(web as unknown as NodeWebReadableStream<Uint8Array>);
}

/** A Node stream of `source` decrypted with `identity`; errors (wrong key, damaged data) surface on the stream. */
export async function decryptStream(source: Readable, identity: string): Promise<Readable> {
  const d = new (await age()).Decrypter();
  d.addIdentity(identity);
  try {
    const web = await d.decrypt(Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>);
    return Readable.fromWeb(web as unknown as NodeWebReadableStream<Uint8Array>);
  } catch (e) {
    throw decryptError(e);
  }
}

export function decryptError(e: unknown): ShipproofError {
  const why = e instanceof Error ? e.message : String(e);
  if (/no identity matched/i.test(why)) {
    return new ShipproofError('The backup is encrypted to other recipients: the identity given does not match.', {
      hint: 'Pass the age identity whose recipient is listed in the manifest (encryption.recipients).',
    });
  }
  return new ShipproofError(`The encrypted backup could not be decrypted (${why}): it is damaged or not an age file.`);
}

/**
 * Reads an age identity file (`AGE-SECRET-KEY-1…`, `#` comments allowed) and registers the key
 * with the redactor so it can never be printed.
 */
export async function readIdentityFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the identity file ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  const keys = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  const key = keys[0];
  if (key === undefined) throw new UsageError(`${path} holds no age identity (a line starting with AGE-SECRET-KEY-).`);
  redactor.addSecret(key, `age identity ${path}`);
  return key;
}

/** A new identity and its recipient (for `backup keygen` and tests). */
export async function newIdentity(): Promise<{ identity: string; recipient: string }> {
  const { generateIdentity, identityToRecipient } = await age();
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}
