// The operator's memory of each evidence folder's head: ${SHIPPROOF_HOME}/heads/<sha256 of the
// folder's realpath>.json. The signed head can be swapped for an older signed head together with
// a cut ledger; only a copy kept elsewhere catches that rollback.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';
import { shipproofHome } from './signing-key.js';

export const headCacheSchema = z.object({
  seq: z.int().min(1),
  entrySha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The folder's signing key when last seen; a different key later means signing-key.pub was swapped. */
  keyid: z.string().optional(),
});
export type HeadCacheEntry = z.infer<typeof headCacheSchema>;

export async function headCachePath(evidenceDir: string, home?: string): Promise<string> {
  const real = await realpath(evidenceDir);
  return join(shipproofHome(home), 'heads', `${createHash('sha256').update(real).digest('hex')}.json`);
}

/** The cached head, or undefined when this machine has none (or it is unreadable). */
export async function readHeadCache(evidenceDir: string, home?: string): Promise<HeadCacheEntry | undefined> {
  let text: string;
  try {
    text = await readFile(await headCachePath(evidenceDir, home), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const parsed = headCacheSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Records a head this machine has seen. Never moves backwards (a slow verify must not undo a newer append). */
export async function writeHeadCache(evidenceDir: string, entry: HeadCacheEntry, home?: string): Promise<void> {
  const current = await readHeadCache(evidenceDir, home);
  if (current !== undefined && current.seq > entry.seq) return;
  const path = await headCachePath(evidenceDir, home);
  const dir = join(shipproofHome(home), 'heads');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFileAtomic(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}
