// The dashboard's memo of record checks: an unchanged record is checked once; an edited one is
// checked again even when the writer puts its mtime back (ctime moves on every write), and a
// missing file is never remembered.
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordMemo } from '../../src/evidence/record-memo.js';
import type { LedgerEntry } from '../../src/evidence/ledger.js';

let dir: string;
const entry: LedgerEntry = {
  seq: 1,
  time: '2026-12-02T00:00:00.000Z',
  kind: 'collect',
  target: 'prod',
  status: 'passed',
  operator: 'tester',
  toolVersion: '0.0.0',
  record: 'r1',
  files: ['r1.json', 'r1.md', 'r1.dsse.json'].map((name) => ({ name, sha256: '0'.repeat(64) })),
  keyid: 'k1',
  prev: '0'.repeat(64),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipproof-memo-'));
  for (const f of entry.files) await writeFile(join(dir, f.name), `${f.name} content\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('RecordMemo', () => {
  it('computes once for an unchanged record, again after an edit whose mtime was put back', async () => {
    const memo = new RecordMemo<string>();
    let calls = 0;
    const compute = async () => `check ${++calls}: ${await readFile(join(dir, 'r1.json'), 'utf8')}`;
    expect(await memo.remember(dir, entry, 'k1', compute)).toBe('check 1: r1.json content\n');
    expect(await memo.remember(dir, entry, 'k1', compute)).toBe('check 1: r1.json content\n');
    const before = await stat(join(dir, 'r1.json'));
    // Same size, mtime restored: only ctime tells.
    await writeFile(join(dir, 'r1.json'), 'r1.json CONTENT\n');
    await utimes(join(dir, 'r1.json'), before.atime, before.mtime);
    expect(await memo.remember(dir, entry, 'k1', compute)).toBe('check 2: r1.json CONTENT\n');
    // Another signing key or another ledger line is another check.
    expect(await memo.remember(dir, entry, 'k2', compute)).toBe('check 3: r1.json CONTENT\n');
    expect(await memo.remember(dir, { ...entry, status: 'failed' }, 'k1', compute)).toBe('check 4: r1.json CONTENT\n');
  });

  it('never remembers a record with a missing file', async () => {
    const memo = new RecordMemo<number>();
    let calls = 0;
    const gone = { ...entry, files: [...entry.files.slice(0, 2), { name: 'nope.dsse.json', sha256: '0'.repeat(64) }] };
    await memo.remember(dir, gone, 'k1', async () => ++calls);
    await memo.remember(dir, gone, 'k1', async () => ++calls);
    expect(calls).toBe(2);
    expect(memo.size).toBe(0);
  });
});
