// The signed head checkpoint (ledger.head.dsse.json): a DSSE envelope over the last entry's seq
// and line hash. Each line names the previous line's hash, so signing the last line's hash vouches
// for the whole ledger up to it; cutting the tail or rewriting the chain without the key shows.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';
import { parseEnvelope, serializeEnvelope, signEnvelope, verifyEnvelope, type DsseSigner } from './dsse.js';
import type { PublicSigningKey } from './signing-key.js';

export const HEAD_FILE = 'ledger.head.dsse.json';
export const HEAD_PAYLOAD_TYPE = 'application/vnd.shipproof.ledger-head+json';

export const ledgerHeadSchema = z.strictObject({
  seq: z.int().min(1),
  entrySha256: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.iso.datetime({ offset: false, local: false }),
  keyid: z.string().min(1),
});
export type LedgerHead = z.infer<typeof ledgerHeadSchema>;

export function serializeHeadPayload(head: LedgerHead): Buffer {
  const ordered = { seq: head.seq, entrySha256: head.entrySha256, time: head.time, keyid: head.keyid };
  return Buffer.from(`${JSON.stringify(ordered)}\n`, 'utf8');
}

export async function writeHead(evidenceDir: string, head: LedgerHead, signer: DsseSigner): Promise<void> {
  const envelope = signEnvelope(serializeHeadPayload(head), HEAD_PAYLOAD_TYPE, signer);
  await writeFileAtomic(join(evidenceDir, HEAD_FILE), serializeEnvelope(envelope), { mode: 0o644 });
}

export type HeadRead =
  | { state: 'missing' }
  | { state: 'ok'; head: LedgerHead }
  | { state: 'bad'; kind: 'chain' | 'signature'; problem: string };

/** Reads and verifies the head against the folder's public key. */
export async function readHead(evidenceDir: string, key: PublicSigningKey): Promise<HeadRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(evidenceDir, HEAD_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw e;
  }
  const envelope = parseEnvelope(bytes);
  if (envelope === undefined) return { state: 'bad', kind: 'signature', problem: `${HEAD_FILE} is not a DSSE envelope` };
  const checked = verifyEnvelope(envelope, HEAD_PAYLOAD_TYPE, key.publicKey, key.keyid);
  if (!checked.ok) return { state: 'bad', kind: 'signature', problem: `${HEAD_FILE}: ${checked.problem}` };
  let value: unknown;
  try {
    value = JSON.parse(checked.payload.toString('utf8'));
  } catch {
    return { state: 'bad', kind: 'chain', problem: `${HEAD_FILE} holds a payload that is not JSON` };
  }
  const parsed = ledgerHeadSchema.safeParse(value);
  if (!parsed.success) return { state: 'bad', kind: 'chain', problem: `${HEAD_FILE} holds a payload that is not a ledger head` };
  if (parsed.data.keyid !== key.keyid) {
    return { state: 'bad', kind: 'signature', problem: `${HEAD_FILE} names key ${parsed.data.keyid}, but signing-key.pub is ${key.keyid}` };
  }
  return { state: 'ok', head: parsed.data };
}
