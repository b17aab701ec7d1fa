import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShipproofError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/evidence/atomic-write.js';
import { HEAD_FILE } from '../../src/evidence/ledger-head.js';
import { LOCK_FILE } from '../../src/evidence/ledger-lock.js';
import { SimulatedCrash, type EvidenceStore } from '../../src/evidence/store.js';
import { appendCollects, ledgerLines, sandbox, type Sandbox } from '../fixtures/evidence/helpers.js';

let sb: Sandbox;
let store: EvidenceStore;

beforeEach(async () => {
  sb = await sandbox();
  store = sb.open();
  await appendCollects(store, 3);
});
afterEach(async () => {
  await sb.cleanup();
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.pid).toBeGreaterThan(0);
  return r.pid as number;
}

describe('an append interrupted between steps leaves a ledger that verifies', () => {
  it('after the .json only: an orphan record file, reported as a warning', async () => {
    const crashing = sb.open({ simulateCrashAfter: 'record-json' });
    await expect(appendCollects(crashing, 1, 4)).rejects.toBeInstanceOf(SimulatedCrash);
    const r = await store.verify();
    expect(r.ok).toBe(true);
    expect(r.entries).toBe(3);
    expect(r.warnings).toEqual([expect.stringMatching(/-collect\.json is not in the ledger/)]);
    // The next append carries on past the orphan.
    await appendCollects(store, 1, 5);
    expect(await store.verify()).toMatchObject({ ok: true, entries: 4 });
  });

  it('after all record files: three orphans; a later record taking the same second gets -2', async () => {
    const frozenAt = () => new Date('2026-11-23T16:00:00.000Z');
    await expect(appendCollects(sb.open({ simulateCrashAfter: 'record-files', now: frozenAt }), 1, 4)).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    const r = await store.verify();
    expect(r.ok).toBe(true);
    expect(r.warnings.filter((w) => w.includes('is not in the ledger'))).toHaveLength(3);
    await appendCollects(sb.open({ now: frozenAt }), 1, 5);
    const last = (await store.list()).at(-1)!;
    expect(last.record).toBe('20261123T160000Z-staging-collect-2');
    expect((await store.verify()).ok).toBe(true);
  });

  it('after the ledger, before the head: the head is one behind, a warning; the next append signs it', async () => {
    const headBefore = await readFile(join(sb.dir, HEAD_FILE));
    await expect(appendCollects(sb.open({ simulateCrashAfter: 'ledger' }), 1, 4)).rejects.toBeInstanceOf(SimulatedCrash);
    expect(await readFile(join(sb.dir, HEAD_FILE))).toEqual(headBefore);
    expect(await ledgerLines(sb.dir)).toHaveLength(4);
    const r = await store.verify();
    expect(r).toMatchObject({ ok: true, entries: 4 });
    expect(r.warnings).toEqual([expect.stringMatching(/entry 4 is not yet covered by the signed head/)]);
    await appendCollects(store, 1, 5);
    expect(await store.verify()).toEqual({ ok: true, entries: 5, warnings: [] });
  });

  it('a first append cut before its head still verifies', async () => {
    const fresh = await sandbox();
    try {
      await expect(appendCollects(fresh.open({ simulateCrashAfter: 'ledger' }), 1)).rejects.toBeInstanceOf(SimulatedCrash);
      const r = await fresh.open().verify();
      expect(r).toMatchObject({ ok: true, entries: 1 });
      expect(r.warnings.join('\n')).toMatch(/ledger\.head\.dsse\.json is missing/);
      await appendCollects(fresh.open(), 1, 2);
      expect(await fresh.open().verify()).toEqual({ ok: true, entries: 2, warnings: [] });
    } finally {
      await fresh.cleanup();
    }
  });

  it('a temp file left by an interrupted atomic write is a warning, not a broken chain', async () => {
    await writeFile(join(sb.dir, '.ledger.jsonl.0123456789ab.tmp'), '{"seq":4,"half":');
    const r = await store.verify();
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/\.ledger\.jsonl\.0123456789ab\.tmp is a temp file/)]);
  });

  it('a lock left by a dead process is broken by the next append', async () => {
    await writeFile(join(sb.dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), time: 'x', nonce: 'n' }));
    expect((await store.verify()).warnings.join('\n')).toMatch(/which is gone/);
    await appendCollects(store, 1, 4);
    expect(await readdir(sb.dir)).not.toContain(LOCK_FILE);
    expect(await store.verify()).toEqual({ ok: true, entries: 4, warnings: [] });
  });

  it('a lock held by a live process makes the append wait, then give up with a clear error', async () => {
    await writeFile(join(sb.dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), time: 'now', nonce: 'other' }));
    const waiting = sb.open({ lockTimeoutMs: 150 });
    const err = await appendCollects(waiting, 1, 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipproofError);
    expect((err as ShipproofError).message).toMatch(new RegExp(`locked by process ${process.pid}`));
    expect((err as ShipproofError).hint).toContain(LOCK_FILE);
    expect(await ledgerLines(sb.dir)).toHaveLength(3);
  });
});

describe('writeFileAtomic', () => {
  it('replaces whole files, keeps modes exact, and refuses to clobber in exclusive mode', async () => {
    const p = join(sb.root, 'f.txt');
    await writeFileAtomic(p, 'one', { mode: 0o600 });
    await writeFileAtomic(p, 'two', { mode: 0o600 });
    expect(await readFile(p, 'utf8')).toBe('two');
    const { stat } = await import('node:fs/promises');
    expect((await stat(p)).mode & 0o777).toBe(0o600);
    await expect(writeFileAtomic(p, 'three', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(p, 'utf8')).toBe('two');
    expect((await readdir(sb.root)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
