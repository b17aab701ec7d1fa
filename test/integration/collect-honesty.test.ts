// Honesty: a probe that fails, times out, throws or cannot run is recorded as such with its
// reason; the summary counts them; nothing is reported as passed that was not observed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { collect } from '../../src/collect/collect.js';
import { evidencePredicateSchema } from '../../src/evidence/predicate-schema.js';
import { fail, pass, type Probe } from '../../src/probes/types.js';

const dir = mkdtempSync(join(tmpdir(), 'shipproof-honesty-'));
writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    image: shipproof-offline/busybox:1.35\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(id: string, gate: boolean, run: Probe['run'], timeoutMs?: number): Probe {
  return { id, title: id, reads: 'test', gate, neverRecords: [], plan: () => [], run, ...(timeoutMs ? { timeoutMs } : {}) };
}

describe('collect records what happened, not what was hoped', () => {
  it('fail, throw, timeout, a command timing out and a failing command each count as not passed', async () => {
    const config = await loadConfig({ cwd: dir });
    const probes = [
      probe('observed', true, async (ctx) => {
        const r = await ctx.run(['sh', '-c', 'echo out-$((6*7))-put']);
        return r.stdout === 'out-42-put\n' ? pass({ said: 'ok' }) : fail('did not say it');
      }),
      probe('fails', true, async () => fail('the thing is broken')),
      probe('throws', true, async () => {
        throw new Error('boom');
      }),
      probe('hangs', true, () => new Promise(() => undefined), 500),
      probe('command-times-out', true, async (ctx) => {
        await ctx.run(['sleep', '5'], { timeoutMs: 300 });
        return pass({}); // claims a pass although its command never finished
      }),
      probe('cannot-run', true, async (ctx) => {
        const r = await ctx.run(['shipproof-no-such-tool']);
        return r.exitCode === 0 ? pass({}) : fail(`exit ${r.exitCode}`);
      }),
      probe('info-fails', false, async () => fail('informational only')),
    ];
    const { statement, exitCode } = await collect({ config, probes });
    const p = statement.predicate;
    expect(exitCode).toBe(1);
    expect(p.status).toBe('failed');
    const by = Object.fromEntries(p.results.map((r) => [r.id, r]));
    expect(by.observed).toMatchObject({ status: 'pass', observations: { said: 'ok' } });
    expect(by.fails).toMatchObject({ status: 'fail', reason: 'the thing is broken' });
    expect(by.throws).toMatchObject({ status: 'error', reason: 'could not run: boom' });
    expect(by.hangs).toMatchObject({ status: 'error', reason: 'timed out after 1 s' });
    expect(by['command-times-out']).toMatchObject({ status: 'error', reason: 'a command timed out' });
    expect(by['command-times-out']!.commands[0]).toMatchObject({ argv: ['sleep', '5'], timedOut: true });
    expect(by['cannot-run']).toMatchObject({ status: 'fail', reason: 'exit 127' });
    expect(p.summary).toEqual({ passed: 1, failed: 3, error: 3, skipped: 0 });
    // The recorded command keeps hashes, never the output itself.
    expect(JSON.stringify(statement)).not.toContain('out-42-put');
    expect(by.observed!.commands[0]!.stdout).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 11 });
    // And the record is valid by the evidence schema's own honesty rules.
    expect(evidencePredicateSchema.safeParse(p).success).toBe(true);
  });

  it('only gates that pass give "passed"; skipped gates alone do not', async () => {
    const config = await loadConfig({ cwd: dir });
    const skippedOnly = await collect({ config, probes: [probe('n/a', true, async () => ({ status: 'skipped', reason: 'nothing to check', observations: {} }))] });
    expect(skippedOnly.statement.predicate.status).toBe('pending');
    const ok = await collect({ config, probes: [probe('ok', true, async () => pass({}))] });
    expect(ok.statement.predicate.status).toBe('passed');
    expect(ok.exitCode).toBe(0);
  });
});
