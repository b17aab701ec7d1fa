import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectStatement, metaOf, sandbox, type Sandbox } from '../fixtures/evidence/helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

describe('concurrent appends', () => {
  it('two stores on one fresh folder: 10 appends in parallel give 10 chained entries and one key', async () => {
    // Both stores start with no key; the same clock second forces name collisions too.
    const at = () => new Date('2026-11-23T15:04:05.000Z');
    const a = sb.open({ now: at });
    const b = sb.open({ now: at });
    const statements = await Promise.all(Array.from({ length: 10 }, (_, i) => collectStatement(i + 1)));
    const results = await Promise.all(statements.map((s, i) => (i % 2 === 0 ? a : b).append(s, metaOf(s))));

    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const entries = await a.list();
    expect(entries).toHaveLength(10);
    expect(new Set(entries.map((e) => e.record)).size).toBe(10);
    expect(new Set(entries.map((e) => e.keyid)).size).toBe(1);
    expect(new Set(entries.map((e) => e.files[0]!.sha256)).size).toBe(10);
    expect(await b.verify()).toEqual({ ok: true, entries: 10, warnings: [] });
    // One private key survives: the loser of the key race removed its own.
    expect(await readdir(`${sb.home}/keys`)).toEqual([`${entries[0]!.keyid}.pem`]);
    expect(await readdir(sb.dir)).not.toContain('ledger.lock');
  });
});

describe('concurrent appends from separate processes', () => {
  it('two processes appending 5 records each give 10 chained entries', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const worker = fileURLToPath(new URL('../fixtures/evidence/append-worker.ts', import.meta.url));
    const run = (tag: string) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, sb.dir, sb.home, '5', tag], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code));
      });
    expect(await Promise.all([run('a'), run('b')])).toEqual([0, 0]);
    const store = sb.open();
    const entries = await store.list();
    expect(entries).toHaveLength(10);
    expect(entries.filter((e) => e.target === 'worker-a')).toHaveLength(5);
    expect(await store.verify()).toEqual({ ok: true, entries: 10, warnings: [] });
  });
});
