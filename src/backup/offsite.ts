// Off-site copies: pulled to this machine and/or pushed to another SSH target. A copy counts only
// once it has been read back and its sha256 matches the manifest; each destination is reported
// on its own, and the result is kept on the source in `<id>.offsite.json` (retention keeps a
// backup until its required copies are verified).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { createTarget } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { parseSha256Output, prepareBackupsDirCommand, sha256Command } from './commands.js';
import type { OffsiteRecord } from './manifest.js';
import { openS3, s3Label, s3Reason } from './s3/client.js';
import { copyToS3 } from './s3/store-s3.js';
import { checksumName, manifestName } from './naming.js';
import type { OffsiteDestination } from './settings.js';
import { joinPath, recordPaths, writeRecord, type ListedBackup } from './store.js';

export interface OffsiteOutcome {
  id: string;
  destination: string;
  status: 'verified' | 'failed';
  reason?: string;
  sha256?: string;
  /** Where the data file is at the destination. */
  path?: string;
  bytes?: number;
  versionId?: string;
  retainUntil?: string;
}

export function destinationLabel(d: OffsiteDestination, config: ResolvedConfig): string {
  if (d.kind === 'pull') return `local:${d.dir}`;
  if (d.kind === 's3') return s3Label(d.s3);
  return `${d.target}:${d.dir ?? config.targets[d.target]?.backupsDir ?? '?'}`;
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function pull(host: Target, backup: ListedBackup, dir: string): Promise<{ path: string; sha256: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const m = backup.manifest;
  const srcDir = backup.path.slice(0, backup.path.length - m.file.length - 1);
  for (const name of [checksumName(m.id), manifestName(m.id)]) await host.getFile(joinPath(srcDir, name), join(dir, name), { mode: 0o600, timeoutMs: 120_000 });
  const dest = join(dir, m.file);
  // Read back into a side name first: the copy gets its real name only once verified.
  const unverified = `${dest}.unverified`;
  try {
    await host.getFile(backup.path, unverified, { mode: 0o600 });
    const sha256 = await fileSha256(unverified);
    if (sha256 !== m.sha256) throw new Error(`the copy read back has sha256 ${sha256.slice(0, 12)}…, the manifest says ${m.sha256.slice(0, 12)}…`);
    await rename(unverified, dest);
    return { path: dest, sha256 };
  } catch (e) {
    await rm(unverified, { force: true });
    throw e;
  }
}

async function copyBetween(src: Target, srcPath: string, dest: Target, destPath: string): Promise<void> {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const reading = src.getStream(srcPath, pass);
  const writing = dest.putStream(pass, destPath, { mode: 0o600 });
  const [r, w] = await Promise.allSettled([reading, writing]);
  if (r.status === 'rejected') {
    pass.destroy(r.reason as Error);
    throw r.reason;
  }
  if (w.status === 'rejected') throw w.reason;
}

async function push(host: Target, backup: ListedBackup, dest: Target, dir: string): Promise<{ path: string; sha256: string }> {
  const m = backup.manifest;
  const srcDir = backup.path.slice(0, backup.path.length - m.file.length - 1);
  await dest.exec(prepareBackupsDirCommand(dir), { timeoutMs: 60_000 });
  const destPath = joinPath(dir, m.file);
  await copyBetween(host, backup.path, dest, destPath);
  const back = await dest.exec(sha256Command(destPath), { timeoutMs: 3_600_000 });
  const sha256 = parseSha256Output(back.stdout);
  if (sha256 !== m.sha256) throw new Error(`the copy read back on ${dest.description} has sha256 ${sha256?.slice(0, 12) ?? '?'}…, the manifest says ${m.sha256.slice(0, 12)}…`);
  for (const name of [checksumName(m.id), manifestName(m.id)]) await copyBetween(host, joinPath(srcDir, name), dest, joinPath(dir, name));
  return { path: destPath, sha256 };
}

export async function copyOffsite(o: {
  config: ResolvedConfig;
  host: Target;
  backup: ListedBackup;
  destinations: readonly OffsiteDestination[];
  openTarget?: (t: ResolvedTarget) => Target;
  now?: () => Date;
}): Promise<OffsiteOutcome[]> {
  const outcomes: OffsiteOutcome[] = [];
  const id = o.backup.manifest.id;
  for (const d of o.destinations) {
    const label = destinationLabel(d, o.config);
    try {
      let done: { path: string; sha256: string; bytes?: number; versionId?: string; retainUntil?: string };
      if (d.kind === 'pull') done = await pull(o.host, o.backup, d.dir);
      else if (d.kind === 's3') {
        const c = await copyToS3({ host: o.host, backup: o.backup, s3: await openS3(d.s3) });
        done = { path: c.location, sha256: c.sha256, bytes: c.bytes, ...(c.versionId ? { versionId: c.versionId } : {}), ...(c.retainUntil ? { retainUntil: c.retainUntil } : {}) };
      } else {
        const t = o.config.targets[d.target];
        if (!t) throw new Error(`there is no target "${d.target}" in shipproof.yaml`);
        const dest = (o.openTarget ?? ((x: ResolvedTarget) => createTarget(x)))(t);
        try {
          done = await push(o.host, o.backup, dest, d.dir ?? t.backupsDir);
        } finally {
          if (!o.openTarget) await dest.close();
        }
      }
      outcomes.push({ id, destination: label, status: 'verified', ...done });
    } catch (e) {
      outcomes.push({ id, destination: label, status: 'failed', reason: d.kind === 's3' ? s3Reason(e) : e instanceof Error ? e.message : String(e) });
    }
  }
  // Remember the result next to the backup, merged with earlier copies.
  const now = (o.now ?? (() => new Date()))().toISOString();
  const previous = o.backup.offsite?.copies.filter((c) => !outcomes.some((x) => x.destination === c.destination)) ?? [];
  const record: OffsiteRecord = {
    schemaVersion: 1,
    id,
    copies: [
      ...previous,
      ...outcomes.map((x) => ({
        destination: x.destination,
        status: x.status,
        at: now,
        sha256: x.sha256 ?? null,
        ...(x.reason ? { reason: x.reason.slice(0, 300) } : {}),
        ...(x.path ? { location: x.path } : {}),
        ...(x.bytes !== undefined ? { bytes: x.bytes } : {}),
        ...(x.versionId ? { versionId: x.versionId } : {}),
        ...(x.retainUntil ? { retainUntil: x.retainUntil } : {}),
      })),
    ],
  };
  const srcDir = o.backup.path.slice(0, o.backup.path.length - o.backup.manifest.file.length - 1);
  await writeRecord(o.host, recordPaths(srcDir, id).offsite, record);
  return outcomes;
}
