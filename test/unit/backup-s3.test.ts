// S3 pieces that need no server: the multipart upload's parts (size, Content-MD5, order, abort on
// failure), the destination schema (no credentials in the config), picking a destination, and
// who depends on a service for restore --into.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as sdk from '@aws-sdk/client-s3';
import { s3DestinationSchema } from '../../src/config/sections/s3.js';
import { dependentsOf } from '../../src/backup/dependents.js';
import type { S3Handle } from '../../src/backup/s3/client.js';
import { uploadStream } from '../../src/backup/s3/transfer.js';
import { describeDecision } from '../../src/backup/policy.js';
import type { ComposeProject } from '../../src/compose/model.js';

interface Sent {
  name: string;
  input: Record<string, unknown>;
}

function fakeS3(fail?: (c: Sent) => boolean): { h: S3Handle; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const c = { name: cmd.constructor.name, input: cmd.input };
      sent.push(c);
      if (fail?.(c)) throw Object.assign(new Error('boom'), { name: 'InternalError' });
      if (c.name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' };
      if (c.name === 'UploadPartCommand') return { ETag: `"e${String(c.input['PartNumber'])}"` };
      if (c.name === 'CompleteMultipartUploadCommand') return { ETag: '"x-3"', VersionId: 'v1' };
      return { ETag: '"single"' };
    },
  };
  const dest = s3DestinationSchema.parse({ bucket: 'b-1', prefix: 'p/' });
  return { h: { client: client as unknown as S3Handle['client'], sdk, dest, label: 's3:b-1/p/', key: (n) => `p/${n}` }, sent };
}

const chunks = (data: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

describe('uploadStream', () => {
  const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));

  it('cuts the stream into parts of partSize, each with its Content-MD5, completed in order', async () => {
    const { h, sent } = fakeS3();
    const r = await uploadStream(h, 'p/k', chunks(data, 333), { partSize: 1000, concurrency: 2, metadata: { 'shipproof-sha256': 'x' } });
    expect(r).toMatchObject({ bytes: 2500, parts: 3, sha256: createHash('sha256').update(data).digest('hex'), versionId: 'v1' });
    const parts = sent.filter((c) => c.name === 'UploadPartCommand');
    expect(parts.map((p) => [p.input['PartNumber'], p.input['ContentLength'], p.input['ContentMD5']])).toEqual([
      [1, 1000, md5(data.subarray(0, 1000))],
      [2, 1000, md5(data.subarray(1000, 2000))],
      [3, 500, md5(data.subarray(2000))],
    ]);
    expect(sent[0]).toMatchObject({ name: 'CreateMultipartUploadCommand', input: { Metadata: { 'shipproof-sha256': 'x' } } });
    expect(sent.at(-1)?.input['MultipartUpload']).toEqual({ Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"e${n}"` })) });
  });

  it('sends a stream smaller than one part as one PutObject with Content-MD5', async () => {
    const { h, sent } = fakeS3();
    const small = data.subarray(0, 700);
    const r = await uploadStream(h, 'p/k', chunks(small, 100), { partSize: 1000, objectLock: { mode: 'GOVERNANCE', until: new Date('2030-01-01T00:00:00Z') } });
    expect(r.parts).toBe(1);
    expect(sent.map((c) => c.name)).toEqual(['PutObjectCommand']);
    expect(sent[0]?.input).toMatchObject({ ContentLength: 700, ContentMD5: md5(small), ObjectLockMode: 'GOVERNANCE' });
  });

  it('aborts the multipart upload when a part fails', async () => {
    const { h, sent } = fakeS3((c) => c.name === 'UploadPartCommand' && c.input['PartNumber'] === 2);
    await expect(uploadStream(h, 'p/k', chunks(data, 250), { partSize: 1000, concurrency: 1 })).rejects.toThrow(/boom/);
    expect(sent.map((c) => c.name)).toContain('AbortMultipartUploadCommand');
    expect(sent.map((c) => c.name)).not.toContain('CompleteMultipartUploadCommand');
  });
});

describe('S3 destination schema', () => {
  it('fills defaults and refuses keys in the config', () => {
    expect(s3DestinationSchema.parse({ bucket: 'my-bucket' })).toEqual({ bucket: 'my-bucket', prefix: '', region: 'us-east-1', forcePathStyle: true, partSizeMiB: 16 });
    expect(s3DestinationSchema.safeParse({ bucket: 'my-bucket', secretAccessKey: 'x' }).success).toBe(false);
    expect(s3DestinationSchema.safeParse({ bucket: 'my-bucket', prefix: 'no-slash' }).success).toBe(false);
    expect(s3DestinationSchema.safeParse({ bucket: 'my-bucket', objectLock: { days: 7 } }).data?.objectLock).toEqual({ mode: 'GOVERNANCE', days: 7 });
  });
});

describe('dependentsOf', () => {
  const svc = (name: string, deps: string[] = []) => ({ name, dependsOn: deps.map((service) => ({ service })), profiles: [] });
  const compose = { services: [svc('db'), svc('app', ['db']), svc('worker'), svc('cron', ['worker']), svc('other')] } as unknown as ComposeProject;

  it('follows depends_on and links, transitively, in dependency order', () => {
    expect(dependentsOf(compose, new Map([['worker', ['app']]]), 'db')).toEqual(['app', 'worker', 'cron']);
    expect(dependentsOf(compose, new Map(), 'db')).toEqual(['app']);
    expect(dependentsOf(compose, new Map(), 'other')).toEqual([]);
  });
});

describe('describeDecision', () => {
  it('names the safety backup', () => {
    expect(describeDecision({ service: 'db', found: 'stale', outcome: 'taken', backup: { id: 'db-postgres-1', createdAt: 'x' }, reason: '' })).toBe('safety backup of db: db-postgres-1 (taken for this change)');
    expect(describeDecision({ service: 'db', found: 'stale', outcome: 'refused', reason: 'none fresh' })).toBe('no safety backup of db: none fresh');
  });
});
