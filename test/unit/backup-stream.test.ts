import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptStream, newIdentity } from '../../src/backup/crypto.js';
import { PgDumpFingerprinter } from '../../src/backup/fingerprint/pg-dump.js';
import { runPipeline } from '../../src/backup/stream.js';
import { streamToFile } from '../../src/backup/write.js';
import { LocalTarget } from '../../src/targets/local.js';

const host = new LocalTarget();
const dir = mkdtempSync(join(tmpdir(), 'sp-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DUMP = ['\\connect app', 'COPY public.t (x) FROM stdin;', '1', '2', '\\.', '-- PostgreSQL database cluster dump complete', ''].join('\n');
/** A stand-in dump command: prints DUMP (then fails when told to). */
const dumpArgv = (exitCode = 0, text = DUMP): string[] => ['sh', '-c', 'printf "%s" "$1"; exit "$2"', 'fake-dump', text, String(exitCode)];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('runPipeline', () => {
  it('collects stdout and reports stages', async () => {
    const r = await runPipeline({ host, stages: [['printf', 'a\\nb\\n'], ['wc', '-l']], stageNames: ['print', 'count'], timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(r.stdoutText.trim()).toBe('2');
    expect(r.stages).toEqual([0, 0]);
    expect(r.record.exitCode).toBe(0);
  });

  it('names the stage that failed and what it said', async () => {
    const r = await runPipeline({ host, stages: [['sh', '-c', 'echo "access denied for root" >&2; exit 2'], ['cat']], stageNames: ['dump', 'copy'], timeoutMs: 10_000 });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('the dump step exited with code 2: access denied for root');
  });

  it('stops a pipeline that runs past its time limit', async () => {
    const r = await runPipeline({ host, stages: [['sleep', '5']], stageNames: ['sleep'], timeoutMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/did not finish within/);
    expect(r.timedOut).toBe(true);
  });
});

describe('streamToFile', () => {
  it('on the local target gzips here, writes the file, and fingerprints the same stream', async () => {
    const partial = join(dir, 'plain.sql.gz.partial');
    const r = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: partial, encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 6, timeoutMs: 10_000 });
    expect(r.ok, r.reason).toBe(true);
    const file = readFileSync(partial);
    expect(gunzipSync(file).toString()).toBe(DUMP);
    expect(r.sha256).toBe(sha(file));
    expect(r.contentSha256).toBe(r.sha256);
    expect(r.bytes).toBe(file.length);
    expect(r.rawBytes).toBe(Buffer.byteLength(DUMP));
    expect(statSync(partial).mode & 0o777).toBe(0o600);
    expect(r.fingerprint).toMatchObject({ kind: 'sql', tables: [{ database: 'app', table: 'public.t', rows: 2 }] });
  });

  it('gzips on the host and tees there when asked (the SSH way), with the same result', async () => {
    const partial = join(dir, 'onhost.sql.gz.partial');
    const r = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: partial, encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 6, timeoutMs: 10_000, compressOnHost: true });
    expect(r.ok, r.reason).toBe(true);
    const file = readFileSync(partial);
    expect(gunzipSync(file).toString()).toBe(DUMP);
    expect(r.sha256).toBe(sha(file));
    expect(r.rawBytes).toBe(Buffer.byteLength(DUMP));
    expect(r.fingerprint).toMatchObject({ kind: 'sql', tables: [{ database: 'app', table: 'public.t', rows: 2 }] });
    const { identity, recipient } = await newIdentity();
    const enc = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: join(dir, 'onhost.age.partial'), encryptTo: [recipient], sink: new PgDumpFingerprinter(), gzipLevel: 6, timeoutMs: 10_000, compressOnHost: true });
    expect(enc.ok, enc.reason).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of await decryptStream(Readable.from([readFileSync(join(dir, 'onhost.age.partial'))]), identity)) chunks.push(Buffer.from(c as Uint8Array));
    expect(gunzipSync(Buffer.concat(chunks)).toString()).toBe(DUMP);
  });

  it('encrypts on this side so no plaintext lands in the file; the identity decrypts it', async () => {
    const { identity, recipient } = await newIdentity();
    const partial = join(dir, 'enc.sql.gz.age.partial');
    const r = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: partial, encryptTo: [recipient], sink: new PgDumpFingerprinter(), gzipLevel: 6, timeoutMs: 10_000 });
    expect(r.ok, r.reason).toBe(true);
    const file = readFileSync(partial);
    expect(file.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(file.includes(Buffer.from('COPY public.t'))).toBe(false);
    expect(r.sha256).toBe(sha(file));
    expect(r.contentSha256).not.toBe(r.sha256);
    const chunks: Buffer[] = [];
    for await (const c of await decryptStream(Readable.from([file]), identity)) chunks.push(Buffer.from(c as Uint8Array));
    const gz = Buffer.concat(chunks);
    expect(sha(gz)).toBe(r.contentSha256);
    expect(gunzipSync(gz).toString()).toBe(DUMP);
    const other = await newIdentity();
    await expect(decryptStream(Readable.from([file]), other.identity)).rejects.toThrow(/other recipients/);
  });

  it('fails when the dump exits non-zero, even after printing a complete-looking dump', async () => {
    const r = await streamToFile({ host, dump: dumpArgv(1), dumpName: 'pg_dumpall', partialPath: join(dir, 'f1.partial'), encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 1, timeoutMs: 10_000 });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^the pg_dumpall step exited with code 1/);
  });

  it('fails when the dump stops early with exit 0 (no closing line)', async () => {
    const r = await streamToFile({ host, dump: dumpArgv(0, DUMP.slice(0, 40)), dumpName: 'dump', partialPath: join(dir, 'f2.partial'), encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 1, timeoutMs: 10_000 });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/incomplete/);
  });

  it('fails when the file cannot be written, wherever it is compressed', async () => {
    const here = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: join(dir, 'missing-dir', 'x.partial'), encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 1, timeoutMs: 10_000 });
    expect(here.ok).toBe(false);
    expect(here.reason).toMatch(/^writing the file failed: .*(Directory nonexistent|No such file)/);
    const onHost = await streamToFile({ host, dump: dumpArgv(), dumpName: 'dump', partialPath: join(dir, 'missing-dir', 'x.partial'), encryptTo: [], sink: new PgDumpFingerprinter(), gzipLevel: 1, timeoutMs: 10_000, compressOnHost: true });
    expect(onHost.ok).toBe(false);
    expect(onHost.reason).toMatch(/write step exited/);
  });
});
