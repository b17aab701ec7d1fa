// Off-site copies to a real S3 server (radosgw from scripts/setup/ceph-s3.sh): a multipart upload
// streamed through this machine, read back by a streamed GET and recorded; retention of the S3
// copies (a version Object Lock keeps is "retained"); rehearsals that stream the S3 copy back and
// refuse one that no longer matches its manifest; the S3 secret key never reaches any output.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectRetentionCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { secretVariants } from '../../src/redact/variants.js';
import { createTestBucket, requireS3, testS3Client } from '../helpers/s3-env.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

requireTestEnv();
requireDocker();
const s3 = requireS3();
const client = testS3Client(s3);

const tag = randomBytes(3).toString('hex');
const project = `sp-bks3-${tag}`;
const plain = `sp-plain-${tag}`;
const locked = `sp-locked-${tag}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-s3-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const backups = join(appDir, 'backups');
const HELPER = ['--volume-image', 'shipproof-offline/busybox:1.35'];

const compose = `services:
  files:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "[ -f /srv/files/noise.bin ] || head -c 12000000 /dev/urandom > /srv/files/noise.bin; echo hello > /srv/files/a.txt; exec sleep 100000"]
    volumes: ["files_data:/srv/files"]
    stop_grace_period: 1s
volumes:
  files_data:
`;
const dest = (bucket: string, extra = '') => `    - s3: { endpoint: "${s3.endpoint}", bucket: ${bucket}, prefix: t1/, region: ${s3.region}, forcePathStyle: true, credentialsFile: s3-credentials.env, partSizeMiB: 5${extra} }`;
const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
stateful:
  files: { engine: volume, stop: true }
backups:
  keep: 1
  offsite:
${dest(plain)}
${dest(locked, ', objectLock: { mode: GOVERNANCE, days: 1 }')}
`;

// The CLI gets no AWS_* variables: the keys come only from the credentials file.
const env: Record<string, string> = { SHIPPROOF_HOME: join(root, 'home'), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
const { cli, outputs, json } = recordingCli({ cwd: local, env });
const composeCli = (...args: string[]) => execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface RunJson {
  ok: boolean;
  backups: { service: string; status: string; manifest?: { id: string; file: string; bytes: number; sha256: string } }[];
  offsite: { id: string; destination: string; status: string; sha256?: string; path?: string; bytes?: number; versionId?: string; retainUntil?: string; reason?: string }[];
  prune?: { deleted: string[]; s3?: { destination: string; outcomes: { id: string; status: string; reason?: string }[]; error?: string }[] };
}
interface RestoreJson {
  ok: boolean;
  backup: string;
  results: { id: string; status: string; reason?: string; observations: Record<string, unknown> }[];
}

const first: { id?: string; file?: string; sha256?: string; bytes?: number } = {};
const second: { id?: string; file?: string; sha256?: string } = {};

async function keys(bucket: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 't1/' }));
  return (r.Contents ?? []).map((o) => o.Key as string).sort();
}

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  copyFileSync(s3.file, join(local, 's3-credentials.env'));
  await createTestBucket(client, plain);
  await createTestBucket(client, locked, true);
  composeCli('up', '--detach');
}, 180_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('S3 off-site copies', () => {
  it('uploads each backup in parts, reads it back and records size, sha256, version and lock', async () => {
    const r = await cli(['--json', 'backup', 'run', ...HELPER], 600_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RunJson>(r);
    const m = out.backups[0]?.manifest;
    expect(m?.bytes).toBeGreaterThan(10 * 1_048_576);
    Object.assign(first, m);
    expect(out.offsite.map((x) => [x.destination, x.status])).toEqual([
      [`s3:${plain}/t1/`, 'verified'],
      [`s3:${locked}/t1/`, 'verified'],
    ]);
    for (const x of out.offsite) {
      expect(x.sha256).toBe(m?.sha256);
      expect(x.bytes).toBe(m?.bytes);
    }
    expect(out.offsite[1]?.versionId).toBeTruthy();
    expect(Date.parse(out.offsite[1]?.retainUntil ?? '')).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    // The object itself: our sha256 in its metadata, 3 parts of 5 MiB, locked in the locked bucket.
    const head = await client.send(new HeadObjectCommand({ Bucket: plain, Key: `t1/${m?.file}` }));
    expect(head.ContentLength).toBe(m?.bytes);
    expect(head.Metadata?.['shipproof-sha256']).toBe(m?.sha256);
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: locked, Key: `t1/${m?.file}` }));
    expect(retention.Retention?.Mode).toBe('GOVERNANCE');
    expect(retention.Retention?.RetainUntilDate?.toISOString()).toBe(out.offsite[1]?.retainUntil);
    expect(await keys(plain)).toEqual([`t1/${m?.file}`, `t1/${m?.id}.manifest.json`, `t1/${m?.id}.s3-verified.json`, `t1/${m?.id}.sha256`].sort());
  });

  it('backup list shows each copy with its state', async () => {
    const r = await cli(['--json', 'backup', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ backups: { manifest: { id: string }; offsite?: { copies: { destination: string; status: string; location?: string }[] } }[] }>(r);
    const copies = out.backups.find((b) => b.manifest.id === first.id)?.offsite?.copies ?? [];
    expect(copies.map((c) => [c.destination, c.status, c.location])).toEqual([
      [`s3:${plain}/t1/`, 'verified', `s3:${plain}/t1/${first.file}`],
      [`s3:${locked}/t1/`, 'verified', `s3:${locked}/t1/${first.file}`],
    ]);
    const text = await cli(['backup', 'list']);
    expect(text.stdout).toContain(`s3:${plain}/t1/ verified`);
  });

  it('rehearses from the S3 copy, streamed back and verified before use', async () => {
    const r = await cli(['--json', 'restore', 'files', '--rehearse', '--from-offsite', `s3:${plain}/t1/`], 600_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson>(r);
    expect(out.backup).toBe(first.id);
    expect(out.results[0]).toMatchObject({ id: 'offsite-fetch', status: 'pass', observations: { source: `s3:${plain}/t1/${first.file}`, sha256: first.sha256 } });
    expect(out.results.filter((x) => x.status !== 'pass')).toEqual([]);
    // The server's own copy is still there, unchanged.
    expect(sha256File(join(backups, first.file as string))).toBe(first.sha256);
  });

  it('retention prunes the older S3 copy, but one Object Lock keeps is "retained", not an error', async () => {
    const r = await cli(['--json', 'backup', 'run', ...HELPER], 600_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RunJson>(r);
    Object.assign(second, out.backups[0]?.manifest);
    expect(out.prune?.deleted).toEqual([first.id]);
    const byDest = Object.fromEntries((out.prune?.s3 ?? []).map((d) => [d.destination, d.outcomes.map((o) => [o.id, o.status])]));
    expect(byDest).toEqual({ [`s3:${plain}/t1/`]: [[first.id, 'deleted']], [`s3:${locked}/t1/`]: [[first.id, 'retained']] });
    expect((await keys(plain)).filter((k) => k.includes(first.id as string))).toEqual([]);
    expect((await keys(plain)).filter((k) => k.includes(second.id as string))).toHaveLength(4);
    expect((await keys(locked)).filter((k) => k.includes(first.id as string)).length).toBeGreaterThan(0);
    expect(readdirSync(backups).some((n) => n.startsWith(first.id as string))).toBe(false);
  });

  it('restores a backup the server no longer has from the locked copy, and leaves no file behind', async () => {
    const r = await cli(['--json', 'restore', first.id as string, '--rehearse', '--from-offsite', `s3:${locked}/t1/`], 600_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json<RestoreJson>(r).results.every((x) => x.status === 'pass')).toBe(true);
    expect(readdirSync(backups).filter((n) => n.startsWith(first.id as string))).toEqual([]);
  });

  it('refuses an S3 copy that no longer matches its manifest, and nothing of it is used', async () => {
    const key = `t1/${second.file}`;
    const size = statSync(join(backups, second.file as string)).size;
    await client.send(new PutObjectCommand({ Bucket: plain, Key: key, Body: randomBytes(size) }));
    const r = await cli(['--json', 'restore', second.id as string, '--rehearse', '--from-offsite', `s3:${plain}/t1/`], 600_000);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/not used/);
    expect(readdirSync(backups).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(sha256File(join(backups, second.file as string))).toBe(second.sha256);
  });

  it('never prints or records the S3 keys', () => {
    const planted = [...secretVariants(s3.secretAccessKey), s3.secretAccessKey];
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, n.name);
        if (n.isDirectory()) walk(p);
        else if (n.name !== 's3-credentials.env') files.push(p);
      }
    };
    walk(root);
    const texts = [...outputs.map((o) => o.stdout + o.stderr), ...files.map((f) => readFileSync(f).toString('latin1'))];
    for (const t of texts) for (const v of planted) expect(t.includes(v)).toBe(false);
    expect(outputs.length).toBeGreaterThan(5);
  });
});
