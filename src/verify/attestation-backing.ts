// What stands behind a sign-off: who made it must be an identity from the signing keys (the
// evidence folder's signing-key.pub, or a reviewer key in <evidence>/reviewers/<name>.pub), named
// by its file name or key fingerprint; what backs it must exist (a local file, whose sha256 must
// match, or a URL that answers). A sign-off that fails either is not counted: the item is a gap.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePublicKeyPem, PUBLIC_KEY_FILE } from '../evidence/signing-key.js';
import type { Attestation } from './schema.js';

export const REVIEWERS_DIR = 'reviewers';

export interface Identity {
  /** The key file's name without .pub ("signing-key" for the folder's own key). */
  name: string;
  keyid: string;
  file: string;
}

/** Every key a sign-off may be made with. */
export async function signingIdentities(evidenceDir: string): Promise<Identity[]> {
  const out: Identity[] = [];
  const add = async (file: string, name: string) => {
    const key = parsePublicKeyPem(await readFile(file, 'utf8').catch(() => ''));
    if (key !== undefined) out.push({ name, keyid: key.keyid, file });
  };
  await add(path.join(evidenceDir, PUBLIC_KEY_FILE), 'signing-key');
  const dir = path.join(evidenceDir, REVIEWERS_DIR);
  for (const f of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (f.endsWith('.pub')) await add(path.join(dir, f), f.slice(0, -'.pub'.length));
  }
  return out;
}

/** `by:` as a key name or a fingerprint (`sha256:` and at least 12 hex digits of it). */
export function resolveIdentity(by: string, ids: readonly Identity[]): Identity | string {
  const want = by.trim();
  const byName = ids.filter((i) => i.name === want);
  if (byName.length === 1) return byName[0] as Identity;
  const hex = /^sha256:([0-9a-f]{12,64})$/.exec(want)?.[1];
  if (hex !== undefined) {
    const m = ids.filter((i) => i.keyid.slice('sha256:'.length).startsWith(hex));
    if (m.length === 1) return m[0] as Identity;
    if (m.length > 1) return `"${want}" matches ${m.length} keys; give more of the fingerprint`;
  }
  const known = ids.map((i) => `${i.name} (${i.keyid.slice(0, 19)}…)`).join(', ') || 'none';
  return `"${want}" is not a signing identity: name a key in the evidence folder's ${REVIEWERS_DIR}/ (by file name) or give its sha256: fingerprint (known: ${known})`;
}

export interface BackingOptions {
  rootDir: string;
  evidenceDir: string;
  /** Tests: how a URL is checked. Default: an HTTP HEAD (then GET) within 10 s. */
  urlAnswers?: (url: string) => Promise<boolean>;
}

export interface Backing {
  identity?: Identity;
  /** Why the sign-off does not count; undefined when it does. */
  problem?: string;
}

export async function checkBacking(a: Attestation, ids: readonly Identity[], o: BackingOptions): Promise<Backing> {
  const who = resolveIdentity(a.by, ids);
  if (typeof who === 'string') return { problem: who };
  const ev = a.evidence.trim();
  if (/^https?:\/\//i.test(ev)) {
    const ok = await (o.urlAnswers ?? urlAnswers)(ev);
    return ok ? { identity: who } : { identity: who, problem: `the evidence URL ${ev} does not answer` };
  }
  const file = path.resolve(o.rootDir, ev);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return { identity: who, problem: `the evidence file ${ev} does not exist` };
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (a.sha256 === undefined) return { identity: who, problem: `the evidence file ${ev} has no sha256: in the attestation (it is ${sha})` };
  if (a.sha256.toLowerCase() !== sha) return { identity: who, problem: `the evidence file ${ev} has changed: its sha256 is ${sha}, the attestation says ${a.sha256}` };
  return { identity: who };
}

async function urlAnswers(url: string): Promise<boolean> {
  for (const method of ['HEAD', 'GET']) {
    try {
      const r = await fetch(url, { method, redirect: 'follow', signal: AbortSignal.timeout(10_000) });
      await r.body?.cancel().catch(() => undefined);
      if (r.status < 400) return true;
    } catch {
      // try the next method, then give up
    }
  }
  return false;
}
