import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { compareFingerprints, summarizeMismatches } from '../../src/backup/fingerprint/compare.js';
import { MysqlDumpFingerprinter, readBackquoted, TupleCounter } from '../../src/backup/fingerprint/mysql-dump.js';
import { parseConnectLine, parseCopyLine, PgDumpFingerprinter } from '../../src/backup/fingerprint/pg-dump.js';
import { parseRedisFingerprint } from '../../src/backup/fingerprint/redis.js';
import { parseSqliteFingerprint } from '../../src/backup/fingerprint/sqlite.js';
import { normalizeTarPath, TarFingerprinter } from '../../src/backup/fingerprint/tar.js';
import { fingerprintCounts, fingerprintDigest, type Fingerprint, type FingerprintSink, type SqlFingerprint } from '../../src/backup/fingerprint/types.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** Feeds `data` in chunks of `size` bytes. */
async function feed(sink: FingerprintSink, data: Buffer, size: number): Promise<Fingerprint> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  await pipeline(Readable.from(chunks), sink.input);
  return sink.result([]);
}

const PG_DUMP = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  "CREATE ROLE app;",
  '\\connect template1',
  '\\connect -reuse-previous=on "dbname=\'we ird\'"',
  'CREATE TABLE public.items (id integer, name text);',
  'COPY public.items (id, name) FROM stdin;',
  '1\tone',
  '2\ttwo\\nlines',
  '3\t\\\\.not-an-end',
  '\\.',
  'COPY public."My Tab" (x) FROM stdin;',
  '\\.',
  '\\connect app',
  'COPY public.items (id, name) FROM stdin;',
  '7\tseven',
  '\\.',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
].join('\n');

describe('PostgreSQL dump fingerprint', () => {
  it('parses \\connect and COPY lines', () => {
    expect(parseConnectLine('\\connect app')).toBe('app');
    expect(parseConnectLine('\\connect -reuse-previous=on "dbname=\'we ird\'"')).toBe('we ird');
    expect(parseConnectLine('\\connect -reuse-previous=on "dbname=\'it\\\'s\'"')).toBe("it's");
    expect(parseConnectLine('\\connect "My DB"')).toBe('My DB');
    expect(parseCopyLine('COPY public.items (id, name) FROM stdin;')).toBe('public.items');
    expect(parseCopyLine('COPY public."a b (c" (x) FROM stdin;')).toBe('public."a b (c"');
    expect(parseCopyLine('COPY public.t FROM stdin;')).toBe('public.t');
    expect(parseCopyLine('CREATE TABLE x')).toBeUndefined();
  });

  it('counts rows and hashes them per database and table, whatever the chunk boundaries', async () => {
    const data = Buffer.from(PG_DUMP);
    const expected = {
      kind: 'sql',
      databases: ['template1', 'we ird', 'app'],
      tables: [
        { database: 'we ird', table: 'public.items', rows: 3, sha256: sha('1\tone\n2\ttwo\\nlines\n3\t\\\\.not-an-end\n') },
        { database: 'we ird', table: 'public."My Tab"', rows: 0, sha256: sha('') },
        { database: 'app', table: 'public.items', rows: 1, sha256: sha('7\tseven\n') },
      ],
    };
    for (const size of [1, 2, 3, 5, 7, 64, 100000]) {
      expect(await feed(new PgDumpFingerprinter(), data, size)).toEqual(expected);
    }
  });

  it('rejects a dump cut off inside COPY data or before the closing line', async () => {
    const cut = PG_DUMP.slice(0, PG_DUMP.indexOf('2\ttwo'));
    await expect(feed(new PgDumpFingerprinter(), Buffer.from(cut), 7)).rejects.toThrow(/ends inside the data of we ird\/public.items/);
    const noTrailer = PG_DUMP.slice(0, PG_DUMP.indexOf('-- PostgreSQL database cluster dump complete'));
    await expect(feed(new PgDumpFingerprinter(), Buffer.from(noTrailer), 64)).rejects.toThrow(/closing line/);
  });

  it('sees a changed value as a checksum mismatch and a missing row as a count mismatch', async () => {
    const a = (await feed(new PgDumpFingerprinter(), Buffer.from(PG_DUMP), 64)) as SqlFingerprint;
    const changed = (await feed(new PgDumpFingerprinter(), Buffer.from(PG_DUMP.replace('1\tone', '1\tOne')), 64)) as SqlFingerprint;
    const fewer = (await feed(new PgDumpFingerprinter(), Buffer.from(PG_DUMP.replace('7\tseven\n', '')), 64)) as SqlFingerprint;
    expect(compareFingerprints(a, a)).toEqual([]);
    expect(compareFingerprints(a, changed)).toEqual(['we ird/public.items: the same 3 rows counted, but their checksum differs']);
    expect(compareFingerprints(a, fewer)).toEqual(['app/public.items: 1 rows in the backup, 0 restored']);
    expect(fingerprintDigest(a)).not.toBe(fingerprintDigest(changed));
    expect(fingerprintCounts(a)).toEqual({ databases: 3, tables: 3, rows: 4 });
  });
});

const MYSQL_DUMP = [
  '-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB',
  'CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;',
  'USE `app`;',
  'DROP TABLE IF EXISTS `empty`;',
  'CREATE TABLE `empty` (',
  '  `x` int(11) DEFAULT NULL',
  ') ENGINE=InnoDB;',
  'CREATE TABLE `t(1)` (`id` int);',
  'LOCK TABLES `t(1)` WRITE;',
  'INSERT INTO `t(1)` VALUES',
  "(1,'a\\nb'),",
  "(2,'it\\'s (x),(y); done'),",
  "(3,'two '' quotes');",
  "INSERT INTO `t(1)` VALUES (4,NULL),(5,_binary 'x');",
  'UNLOCK TABLES;',
  'USE `b``q`;',
  'CREATE TABLE `z` (`id` int);',
  'INSERT INTO `z` VALUES (9);',
  '-- Dump completed on 2026-11-23 15:29:11',
  '',
].join('\n');

describe('MariaDB dump fingerprint', () => {
  it('reads backquoted names and counts tuples outside strings', () => {
    expect(readBackquoted('`a``b` rest')).toEqual({ name: 'a`b', end: 6 });
    const c = new TupleCounter();
    const s = Buffer.from("VALUES (1,'x),(y'),(2,'\\''),(3,'');");
    expect(c.scan(s, 0, s.length)).toBe(s.length);
    expect(c.rows).toBe(3);
  });

  it('counts rows per table across lines and chunk boundaries; tables with no rows are listed', async () => {
    const data = Buffer.from(MYSQL_DUMP);
    const first = await feed(new MysqlDumpFingerprinter(), data, 100000);
    expect(first).toMatchObject({
      kind: 'sql',
      databases: ['app', 'b`q'],
      tables: [
        { database: 'app', table: 'empty', rows: 0, sha256: sha('') },
        { database: 'app', table: 't(1)', rows: 5 },
        { database: 'b`q', table: 'z', rows: 1, sha256: sha('INSERT INTO `z` VALUES (9);\n') },
      ],
    });
    for (const size of [1, 3, 13]) expect(await feed(new MysqlDumpFingerprinter(), data, size)).toEqual(first);
  });

  it('rejects a dump without its closing line or cut inside an INSERT', async () => {
    await expect(feed(new MysqlDumpFingerprinter(), Buffer.from(MYSQL_DUMP.replace(/-- Dump completed.*\n/, '')), 50)).rejects.toThrow(/Dump completed/);
    await expect(feed(new MysqlDumpFingerprinter(), Buffer.from(MYSQL_DUMP.slice(0, MYSQL_DUMP.indexOf("(2,'it"))), 50)).rejects.toThrow(/inside an INSERT/);
  });
});

describe('tar fingerprint', () => {
  function makeTar(): { tar: Buffer; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'sp-tar-'));
    mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'data', 'a.txt'), 'hello\n');
    writeFileSync(join(dir, 'data', 'sub', `${'long-name-'.repeat(15)}.bin`), Buffer.alloc(1500, 7));
    chmodSync(join(dir, 'data', 'a.txt'), 0o640);
    symlinkSync('a.txt', join(dir, 'data', 'link'));
    const tar = execFileSync('tar', ['-c', '-f', '-', '-C', dir, '.']);
    return { tar, dir };
  }

  it('lists entries with sizes, modes and content hashes (GNU long names too), whatever the chunking', async () => {
    const { tar, dir } = makeTar();
    try {
      const fp = await feed(new TarFingerprinter(), tar, 100000);
      if (fp.kind !== 'files') throw new Error('kind');
      const byPath = Object.fromEntries(fp.files.map((f) => [f.path, f]));
      expect(byPath['data/a.txt']).toEqual({ path: 'data/a.txt', type: 'file', size: 6, mode: '640', sha256: sha('hello\n') });
      expect(byPath[`data/sub/${'long-name-'.repeat(15)}.bin`]).toMatchObject({ type: 'file', size: 1500, sha256: sha(Buffer.alloc(1500, 7)) });
      expect(byPath['data/link']).toMatchObject({ type: 'symlink', target: 'a.txt' });
      expect(byPath['data/sub']).toMatchObject({ type: 'dir' });
      expect(byPath['']).toBeUndefined();
      for (const size of [1, 511, 513]) expect(await feed(new TarFingerprinter(), tar, size)).toEqual(fp);
      expect(fingerprintCounts(fp)).toEqual({ files: 2, dirs: 2, bytes: 1506 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a truncated archive and a damaged header', async () => {
    const { tar, dir } = makeTar();
    rmSync(dir, { recursive: true, force: true });
    await expect(feed(new TarFingerprinter(), tar.subarray(0, 1024 + 100), 4096)).rejects.toThrow(/incomplete/);
    const damaged = Buffer.from(tar);
    damaged[0] = (damaged[0] as number) ^ 0x20;
    await expect(feed(new TarFingerprinter(), damaged, 4096)).rejects.toThrow(/checksum/);
  });

  it('normalizes paths', () => {
    expect(normalizeTarPath('./a/b/')).toBe('a/b');
    expect(normalizeTarPath('.')).toBe('');
    expect(normalizeTarPath('./')).toBe('');
  });

  it('says where files differ', () => {
    const a: Fingerprint = { kind: 'files', files: [{ path: 'x', type: 'file', size: 1, mode: '644', sha256: sha('a') }, { path: 'gone', type: 'file', size: 2, mode: '644', sha256: sha('b') }] };
    const b: Fingerprint = { kind: 'files', files: [{ path: 'x', type: 'file', size: 1, mode: '644', sha256: sha('c') }, { path: 'new', type: 'dir', size: 0, mode: '755' }] };
    expect(compareFingerprints(a, b)).toEqual(['x: same size, different content (sha256)', 'gone: in the backup (2 bytes) but not restored', 'new: restored but not in the backup']);
  });
});

describe('Redis and SQLite fingerprints', () => {
  it('reads the Redis fingerprint script output', () => {
    const out = 'keys 5\nexpires 2\ndb 0 4 2\ndb 1 1 0\ndigest 9772e8aebc02be2f99bb1be31e4cdb70ac279fde\nok\n';
    const fp = parseRedisFingerprint(out);
    expect(fp).toEqual({ kind: 'redis', keys: 5, expires: 2, databases: [{ db: 0, keys: 4, expires: 2 }, { db: 1, keys: 1, expires: 0 }], digest: '9772e8aebc02be2f99bb1be31e4cdb70ac279fde' });
    expect(parseRedisFingerprint(out.replace(/digest .*\n/, 'digest none\n')).digest).toBeNull();
    expect(() => parseRedisFingerprint('keys 5\n')).toThrow(/did not finish/);
    expect(compareFingerprints(fp, { ...fp, keys: 4, databases: [{ db: 0, keys: 3, expires: 2 }, { db: 1, keys: 1, expires: 0 }], digest: '0'.repeat(40) })).toEqual([
      'keys: 5 in the backup, 4 restored',
      'db0: 4 keys in the backup, 3 restored',
      'dataset digest (DEBUG DIGEST) differs: some key or value changed',
    ]);
  });

  it('reads the SQLite marker lines', () => {
    const lines = [
      'SHIPPROOF-SQLITE-DB data/app.db',
      'SHIPPROOF-SQLITE-INTEGRITY ok',
      'SHIPPROOF-SQLITE-TABLE [{"t":"t","n":2,"h":"ab"}]',
      'SHIPPROOF-SQLITE-TABLE [{"t":"we\\"ird","n":1,"h":"cd"}]',
      'SHIPPROOF-SQLITE-DONE',
    ];
    const fp = parseSqliteFingerprint(lines);
    expect(fp).toEqual({ kind: 'sqlite', databases: [{ path: 'data/app.db', integrity: 'ok', tables: [{ name: 't', rows: 2, sha3: 'ab' }, { name: 'we"ird', rows: 1, sha3: 'cd' }] }] });
    expect(() => parseSqliteFingerprint(lines.slice(0, -1))).toThrow(/did not finish/);
    const broken = parseSqliteFingerprint(lines.map((l) => l.replace('INTEGRITY ok', 'INTEGRITY *** in database main ***')));
    expect(compareFingerprints(fp, broken)).toEqual(['data/app.db: PRAGMA integrity_check says "*** in database main ***"']);
  });

  it('caps a long list of mismatches', () => {
    const many = Array.from({ length: 30 }, (_, i) => `m${i}`);
    expect(summarizeMismatches(many, 3)).toEqual(['m0', 'm1', 'm2', '… and 27 more']);
  });

  it('gives the same digest whatever the order the parts were listed in', () => {
    const a: Fingerprint = { kind: 'sql', databases: ['b', 'a'], tables: [{ database: 'b', table: 't', rows: 1, sha256: sha('1') }, { database: 'a', table: 't', rows: 2, sha256: sha('2') }] };
    const b: Fingerprint = { kind: 'sql', databases: ['a', 'b'], tables: [{ database: 'a', table: 't', rows: 2, sha256: sha('2') }, { database: 'b', table: 't', rows: 1, sha256: sha('1') }] };
    expect(fingerprintDigest(a)).toBe(fingerprintDigest(b));
  });
});
