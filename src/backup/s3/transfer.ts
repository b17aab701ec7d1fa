// Streamed transfers to and from S3. Upload: parts of a fixed size, each with its Content-MD5
// (Object Lock buckets require it), at most `concurrency` parts in memory, so memory stays flat
// whatever the size; one PutObject when the whole stream fits in one part. Read back: a streamed
// GET hashed with sha256 as it arrives, never buffered.
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectLockMode } from '@aws-sdk/client-s3';
import type { S3Handle } from './client.js';

export interface UploadOptions {
  partSize: number;
  /** Parts uploaded at once (each held in memory once). */
  concurrency?: number;
  metadata?: Record<string, string>;
  contentType?: string;
  objectLock?: { mode: ObjectLockMode; until: Date };
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface UploadResult {
  bytes: number;
  sha256: string;
  parts: number;
  etag?: string;
  versionId?: string;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

export async function uploadStream(h: S3Handle, key: string, source: Readable, o: UploadOptions): Promise<UploadResult> {
  const Bucket = h.dest.bucket;
  const concurrency = Math.max(1, o.concurrency ?? 2);
  const common = {
    Bucket,
    Key: key,
    ...(o.metadata ? { Metadata: o.metadata } : {}),
    ContentType: o.contentType ?? 'application/octet-stream',
    ...(o.objectLock ? { ObjectLockMode: o.objectLock.mode, ObjectLockRetainUntilDate: o.objectLock.until } : {}),
  };
  const opts = o.signal ? { abortSignal: o.signal } : {};
  const sha = createHash('sha256');
  let bytes = 0;
  let part = Buffer.allocUnsafe(o.partSize);
  let fill = 0;
  let uploadId: string | undefined;
  let partNumber = 0;
  const done: { PartNumber: number; ETag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const sendPart = (body: Buffer): void => {
    const n = ++partNumber;
    const p = (async () => {
      const r = await h.client.send(
        new h.sdk.UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length, ContentMD5: md5(body) }),
        opts,
      );
      done.push({ PartNumber: n, ETag: r.ETag ?? '' });
    })().catch((e: unknown) => {
      failure ??= e;
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure) throw failure;
      sha.update(chunk);
      bytes += chunk.length;
      o.onProgress?.(bytes);
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, o.partSize - fill);
        chunk.copy(part, fill, off, off + n);
        fill += n;
        off += n;
        if (fill === o.partSize) {
          if (uploadId === undefined) {
            const c = await h.client.send(new h.sdk.CreateMultipartUploadCommand(common), opts);
            if (!c.UploadId) throw new Error('the server returned no UploadId for the multipart upload');
            uploadId = c.UploadId;
          }
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (failure) throw failure;
          sendPart(part);
          part = Buffer.allocUnsafe(o.partSize);
          fill = 0;
        }
      }
    }
    if (uploadId === undefined) {
      // Small enough for one request.
      const body = part.subarray(0, fill);
      const r = await h.client.send(new h.sdk.PutObjectCommand({ ...common, Body: body, ContentLength: body.length, ContentMD5: md5(body) }), opts);
      return { bytes, sha256: sha.digest('hex'), parts: 1, ...(r.ETag ? { etag: r.ETag } : {}), ...(r.VersionId ? { versionId: r.VersionId } : {}) };
    }
    if (fill > 0) sendPart(part.subarray(0, fill));
    await Promise.all(inFlight);
    if (failure) throw failure;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    const r = await h.client.send(new h.sdk.CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } }), opts);
    return { bytes, sha256: sha.digest('hex'), parts: done.length, ...(r.ETag ? { etag: r.ETag } : {}), ...(r.VersionId ? { versionId: r.VersionId } : {}) };
  } catch (e) {
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) await h.client.send(new h.sdk.AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw e;
  }
}

export interface ReadBackResult {
  bytes: number;
  sha256: string;
  versionId?: string;
  metadata: Record<string, string>;
  retainUntil?: string;
}

/** GETs the object and streams it through sha256 (and into `sink` when given). */
export async function readBack(h: S3Handle, key: string, o: { sink?: Writable; versionId?: string; signal?: AbortSignal } = {}): Promise<ReadBackResult> {
  const r = await h.client.send(new h.sdk.GetObjectCommand({ Bucket: h.dest.bucket, Key: key, ...(o.versionId ? { VersionId: o.versionId } : {}) }), o.signal ? { abortSignal: o.signal } : {});
  const body = r.Body as Readable | undefined;
  if (!body) throw new Error(`the GET of ${key} returned no body`);
  const sha = createHash('sha256');
  let bytes = 0;
  const counter = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      sha.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  };
  if (o.sink) await pipeline(body, counter, o.sink);
  else for await (const _ of counter(body as AsyncIterable<Buffer>)) void _;
  return {
    bytes,
    sha256: sha.digest('hex'),
    ...(r.VersionId ? { versionId: r.VersionId } : {}),
    metadata: r.Metadata ?? {},
    ...(r.ObjectLockRetainUntilDate ? { retainUntil: r.ObjectLockRetainUntilDate.toISOString() } : {}),
  };
}

/** A small object (records), with Content-MD5. */
export async function putSmall(h: S3Handle, key: string, body: Buffer | string, o: { contentType?: string; objectLock?: { mode: ObjectLockMode; until: Date } } = {}): Promise<{ versionId?: string }> {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const r = await h.client.send(
    new h.sdk.PutObjectCommand({
      Bucket: h.dest.bucket,
      Key: key,
      Body: b,
      ContentLength: b.length,
      ContentMD5: md5(b),
      ContentType: o.contentType ?? 'application/json',
      ...(o.objectLock ? { ObjectLockMode: o.objectLock.mode, ObjectLockRetainUntilDate: o.objectLock.until } : {}),
    }),
  );
  return r.VersionId ? { versionId: r.VersionId } : {};
}

export async function getSmall(h: S3Handle, key: string, maxBytes = 4 << 20): Promise<string> {
  const r = await h.client.send(new h.sdk.GetObjectCommand({ Bucket: h.dest.bucket, Key: key }));
  const text = (await r.Body?.transformToString('utf8')) ?? '';
  if (text.length > maxBytes) throw new Error(`${key} is larger than expected`);
  return text;
}

/**
 * Sets the object's retention explicitly and reads it back: some servers (radosgw Pacific) ignore
 * the lock headers of CreateMultipartUpload, so the headers alone prove nothing.
 */
export async function ensureRetention(h: S3Handle, key: string, versionId: string | undefined, lock: { mode: ObjectLockMode; until: Date }): Promise<{ mode: string; until: string }> {
  const v = versionId ? { VersionId: versionId } : {};
  await h.client.send(new h.sdk.PutObjectRetentionCommand({ Bucket: h.dest.bucket, Key: key, ...v, Retention: { Mode: lock.mode, RetainUntilDate: lock.until } }));
  const r = await h.client.send(new h.sdk.GetObjectRetentionCommand({ Bucket: h.dest.bucket, Key: key, ...v }));
  const mode = r.Retention?.Mode;
  const until = r.Retention?.RetainUntilDate;
  if (mode !== lock.mode || !until || until.getTime() + 1000 < lock.until.getTime()) {
    throw new Error(`the server did not keep the Object Lock retention on ${key} (mode ${mode ?? 'none'}, until ${until?.toISOString() ?? 'none'})`);
  }
  return { mode, until: until.toISOString() };
}
