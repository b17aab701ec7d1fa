// Backups in an S3 bucket: the same files as on the server (data, manifest, .sha256) under the
// destination's prefix, plus `<id>.s3-verified.json`, written only after the data was read back
// and its sha256 matched the manifest. A backup in S3 counts only with that marker; a DR
// rehearsal or a restore from S3 finds backups here without the primary server.
import { PassThrough } from 'node:stream';
import type { Target } from '../../targets/target.js';
import { finalizeCommand, prepareBackupsDirCommand } from '../commands.js';
import { parseManifest, serializeRecord, type BackupManifest } from '../manifest.js';
import { checksumLine, checksumName, manifestName, PARTIAL_SUFFIX } from '../naming.js';
import type { BackupsFolder, ListedBackup } from '../store.js';
import { joinPath, writeText } from '../store.js';
import { s3Reason, type S3Handle } from './client.js';
import { ensureRetention, getSmall, putSmall, readBack, uploadStream } from './transfer.js';

export const verifiedName = (id: string): string => `${id}.s3-verified.json`;

export interface S3CopyResult {
  location: string;
  key: string;
  sha256: string;
  bytes: number;
  parts: number;
  versionId?: string;
  retainUntil?: string;
}

export interface S3VerifiedMarker {
  schemaVersion: 1;
  id: string;
  key: string;
  sha256: string;
  bytes: number;
  at: string;
  versionId?: string;
  retainUntil?: string;
}

function lockFor(h: S3Handle, now: Date): { mode: 'GOVERNANCE' | 'COMPLIANCE'; until: Date } | undefined {
  const l = h.dest.objectLock;
  return l ? { mode: l.mode, until: new Date(now.getTime() + l.days * 86_400_000) } : undefined;
}

/**
 * Streams the backup from the server through this machine into the bucket, then reads it back
 * (streamed GET, sha256 and size against the manifest) before writing the verified marker.
 */
export async function copyToS3(o: { host: Target; backup: ListedBackup; s3: S3Handle; now?: Date; onProgress?: (line: string) => void }): Promise<S3CopyResult> {
  const m = o.backup.manifest;
  const h = o.s3;
  const now = o.now ?? new Date();
  const lock = lockFor(h, now);
  const key = h.key(m.file);
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const reading = o.host.getStream(o.backup.path, pass, { timeoutMs: 6 * 3_600_000 }).catch((e: unknown) => {
    pass.destroy(e as Error);
    throw e;
  });
  const uploading = uploadStream(h, key, pass, {
    partSize: h.dest.partSizeMiB * 1_048_576,
    metadata: { 'shipproof-sha256': m.sha256, 'shipproof-id': m.id },
    ...(lock ? { objectLock: lock } : {}),
  });
  const [r, u] = await Promise.allSettled([reading, uploading]);
  if (r.status === 'rejected') throw r.reason;
  if (u.status === 'rejected') throw u.reason;
  const up = u.value;
  if (up.sha256 !== m.sha256 || up.bytes !== m.bytes) {
    throw new Error(`the stream sent was ${up.bytes} bytes with sha256 ${up.sha256.slice(0, 12)}…; the manifest says ${m.bytes} bytes, ${m.sha256.slice(0, 12)}…`);
  }
  await putSmall(h, h.key(manifestName(m.id)), serializeRecord(m), lock ? { objectLock: lock } : {});
  await putSmall(h, h.key(checksumName(m.id)), checksumLine(m.sha256, m.file), { contentType: 'text/plain', ...(lock ? { objectLock: lock } : {}) });
  o.onProgress?.(`${m.id}: reading the S3 copy back`);
  const back = await readBack(h, key, up.versionId ? { versionId: up.versionId } : {});
  if (back.bytes !== m.bytes || back.sha256 !== m.sha256) {
    throw new Error(`the copy read back from ${h.label} is ${back.bytes} bytes with sha256 ${back.sha256.slice(0, 12)}…; the manifest says ${m.bytes} bytes, ${m.sha256.slice(0, 12)}…`);
  }
  const kept = lock ? await ensureRetention(h, key, back.versionId ?? up.versionId, lock) : undefined;
  const result: S3CopyResult = {
    location: `${h.label}${m.file}`,
    key,
    sha256: back.sha256,
    bytes: back.bytes,
    parts: up.parts,
    ...(back.versionId ?? up.versionId ? { versionId: (back.versionId ?? up.versionId) as string } : {}),
    ...(kept ? { retainUntil: kept.until } : back.retainUntil ? { retainUntil: back.retainUntil } : {}),
  };
  const marker: S3VerifiedMarker = {
    schemaVersion: 1,
    id: m.id,
    key,
    sha256: back.sha256,
    bytes: back.bytes,
    at: new Date().toISOString(),
    ...(result.versionId ? { versionId: result.versionId } : {}),
    ...(result.retainUntil ? { retainUntil: result.retainUntil } : {}),
  };
  await putSmall(h, h.key(verifiedName(m.id)), serializeRecord(marker));
  return result;
}

export interface S3Backup {
  manifest: BackupManifest;
  key: string;
  /** Present only when the copy was read back and matched. */
  verified?: S3VerifiedMarker;
  /** Data object size as listed (undefined: missing). */
  listedBytes?: number;
}

async function listKeys(h: S3Handle): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const r = await h.client.send(new h.sdk.ListObjectsV2Command({ Bucket: h.dest.bucket, Prefix: h.dest.prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of r.Contents ?? []) if (o.Key) out.set(o.Key, o.Size ?? 0);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Every backup under the prefix, newest first, with its verified marker when there is one. */
export async function listS3Backups(h: S3Handle): Promise<S3Backup[]> {
  const keys = await listKeys(h);
  const out: S3Backup[] = [];
  for (const k of keys.keys()) {
    if (!k.endsWith('.manifest.json') || k.slice(h.dest.prefix.length).includes('/')) continue;
    const m = parseManifest(await getSmall(h, k));
    if (!m || h.key(manifestName(m.id)) !== k) continue;
    let verified: S3VerifiedMarker | undefined;
    if (keys.has(h.key(verifiedName(m.id)))) {
      try {
        const v = JSON.parse(await getSmall(h, h.key(verifiedName(m.id)))) as S3VerifiedMarker;
        if (v.id === m.id && v.sha256 === m.sha256 && v.bytes === m.bytes) verified = v;
      } catch {
        verified = undefined;
      }
    }
    const listed = keys.get(h.key(m.file));
    out.push({ manifest: m, key: h.key(m.file), ...(verified && listed === m.bytes ? { verified } : {}), ...(listed !== undefined ? { listedBytes: listed } : {}) });
  }
  out.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : a.manifest.createdAt > b.manifest.createdAt ? -1 : 0));
  return out;
}

/** The S3 listing as a backups folder (complete = verified), so retention decides with one rule. */
export function s3AsFolder(h: S3Handle, backups: readonly S3Backup[]): BackupsFolder {
  return {
    dir: h.label,
    exists: true,
    backups: backups.map((b) => ({
      manifest: b.manifest,
      path: b.key,
      complete: b.verified !== undefined,
      ...(b.verified ? {} : { problem: b.listedBytes === undefined ? 'its data object is missing' : 'it was never read back and verified' }),
    })),
    lastRuns: new Map(),
    orphans: [],
    unreadable: [],
    ids: new Set(backups.map((b) => b.manifest.id)),
  };
}

/**
 * Streams a backup from S3 into `dir` on the target (as a .partial), hashing as it goes; the
 * file gets its name, beside its manifest, only when size and sha256 match the manifest.
 */
export async function fetchFromS3(o: { s3: S3Handle; backup: S3Backup; host: Target; dir: string; signal?: AbortSignal }): Promise<ListedBackup> {
  const m = o.backup.manifest;
  await o.host.exec(prepareBackupsDirCommand(o.dir), { timeoutMs: 60_000 });
  const final = joinPath(o.dir, m.file);
  const partial = `${final}${PARTIAL_SUFFIX}`;
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const writing = o.host.putStream(pass, partial, { mode: 0o600, timeoutMs: 6 * 3_600_000 });
  const reading = readBack(o.s3, o.backup.key, { sink: pass, ...(o.backup.verified?.versionId ? { versionId: o.backup.verified.versionId } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const [r, w] = await Promise.allSettled([reading, writing]);
  const drop = () => o.host.exec(['rm', '-f', '--', partial], { reject: false, timeoutMs: 60_000 });
  if (r.status === 'rejected' || w.status === 'rejected') {
    await drop();
    if (r.status === 'rejected') throw new Error(`could not read ${o.backup.key} from ${o.s3.label}: ${s3Reason(r.reason)}`);
    throw (w as PromiseRejectedResult).reason;
  }
  if (r.value.sha256 !== m.sha256 || r.value.bytes !== m.bytes) {
    await drop();
    throw new Error(`the copy in ${o.s3.label} is ${r.value.bytes} bytes with sha256 ${r.value.sha256.slice(0, 12)}…; its manifest says ${m.bytes} bytes, ${m.sha256.slice(0, 12)}…: not used`);
  }
  const existing = (await o.host.exec(['sh', '-c', 'test -e "$1" && echo yes || echo no', 'shipproof-exists', final], { timeoutMs: 30_000 })).stdout.trim() === 'yes';
  if (existing) {
    // The folder already holds a file under this name; the bytes from S3 matched the same
    // manifest sha256, so it is kept (the rehearsal checks its sha256 again before use).
    await drop();
    return { manifest: m, path: final, complete: true };
  }
  await writeText(o.host, joinPath(o.dir, checksumName(m.id)), checksumLine(m.sha256, m.file));
  await writeText(o.host, joinPath(o.dir, manifestName(m.id)), serializeRecord(m));
  await o.host.exec(finalizeCommand(partial, final), { timeoutMs: 60_000 });
  return { manifest: m, path: final, complete: true };
}

export type S3DeleteOutcome = { id: string; status: 'deleted' } | { id: string; status: 'retained'; reason: string } | { id: string; status: 'failed'; reason: string };

/** Deletes every version of a backup's objects; a version Object Lock protects is "retained". */
export async function deleteS3Backup(h: S3Handle, b: S3Backup): Promise<S3DeleteOutcome> {
  const id = b.manifest.id;
  // The data goes first: when Object Lock keeps it, everything else stays too (the copy stays
  // usable and verified); once it is gone, the copy no longer lists as verified (size check).
  const keys = [b.manifest.file, checksumName(id), manifestName(id), verifiedName(id)].map((n) => h.key(n));
  let retained: string | undefined;
  for (const key of keys) {
    if (retained) break;
    const versions = await h.client.send(new h.sdk.ListObjectVersionsCommand({ Bucket: h.dest.bucket, Prefix: key }));
    const all = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].filter((v) => v.Key === key);
    const targets = all.length ? all.map((v) => v.VersionId) : [undefined];
    for (const VersionId of targets) {
      try {
        await h.client.send(new h.sdk.DeleteObjectCommand({ Bucket: h.dest.bucket, Key: key, ...(VersionId && VersionId !== 'null' ? { VersionId } : {}) }));
      } catch (e) {
        const why = s3Reason(e);
        if (/AccessDenied|object ?lock|retention/i.test(why)) retained ??= `Object Lock keeps ${key.slice(h.dest.prefix.length)} (${why})`;
        else return { id, status: 'failed', reason: why };
      }
    }
  }
  return retained ? { id, status: 'retained', reason: retained } : { id, status: 'deleted' };
}
