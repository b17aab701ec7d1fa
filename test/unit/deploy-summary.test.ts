// The end of a deploy, from the records it wrote: URLs that answered, the records, and per
// service how long it was unavailable when the health gate observed it; and one plain sentence
// for a rollback (never "rolled back to X" when X is the release that failed).
import { describe, expect, it } from 'vitest';
import { deploySummary, renderDeploySummary, type WrittenRecord } from '../../src/cli/commands/deploy-summary.js';
import { verdictLine } from '../../src/cli/commands/deploy.js';
import type { DeployResult } from '../../src/deploy/deploy.js';
import type { LedgerEntry } from '../../src/evidence/ledger.js';
import { buildStatement } from '../../src/evidence/statement.js';
import type { CheckResult } from '../../src/evidence/predicate-schema.js';

const health = [{ name: 'healthz', url: 'https://localhost:8443/healthz', status: 200, timeoutMs: 1, intervalMs: 1, insecure: true }];

function written(seq: number, record: string, milestone: number | undefined, results: Partial<CheckResult>[]): WrittenRecord {
  const full = results.map((r) => ({ id: 'x', title: 'x', gate: true, status: 'pass' as const, durationMs: 1, observations: {}, commands: [], ...r }));
  const statement = buildStatement({ kind: milestone === undefined ? 'deploy' : 'milestone', title: 't', project: 'p', target: { name: 'here', description: '' }, startedAt: new Date(0), results: full, subjects: [], notCollected: [] });
  const entry = { seq, record, kind: statement.predicate.kind, status: 'passed', time: '2026-12-01T00:00:00.000Z', target: 'here', ...(milestone === undefined ? {} : { milestone: { number: milestone, id: 'health-gate' } }) } as unknown as LedgerEntry;
  return { entry, statement };
}

describe('the end of a deploy', () => {
  it('lists the URLs the health gate saw answer, the records, and unavailability when observed', () => {
    const s = deploySummary(
      [
        written(7, '20261201T000000Z-here-m07-health-gate', 7, [{ observations: { probes: ['healthz: ok 200 12ms'] } }]),
        written(11, '20261201T000001Z-here-deploy', undefined, [
          {},
          {
            id: 'availability',
            gate: false,
            observations: {
              'web.availability': 'web: by its Docker healthcheck; 0 ms unavailable: no failed observation',
              'web.downtimeMs': 0,
              'caddy.availability': 'caddy: by HTTP probe healthz; 1500 ms unavailable in 1 outage(s)',
              'caddy.downtimeMs': 1500,
              'worker.availability': 'worker: no downtime figure: it was not serving when the watch began',
            },
          },
        ]),
      ],
      { health },
    );
    expect(s.answered).toEqual([{ url: 'https://localhost:8443/healthz', by: 'health probe healthz (#7)' }]);
    expect(s.records.map((r) => r.what)).toEqual(['milestone 7 health-gate', 'deploy']);
    expect(s.unavailable?.map((u) => [u.service, u.ms])).toEqual([['caddy', 1500], ['web', 0], ['worker', undefined]]);
    const lines = renderDeploySummary(s, 'docs/evidence');
    expect(lines[0]).toBe('answered: https://localhost:8443/healthz (health probe healthz (#7))');
    expect(lines).toContain('  #11 20261201T000001Z-here-deploy passed');
    expect(lines).toContain('unavailable: caddy 1500 ms, web 0 ms, worker no figure');
    expect(lines[lines.length - 1]).toBe('  worker: no downtime figure: it was not serving when the watch began');
  });

  it('says so when nothing answered and unavailability was not measured', () => {
    const lines = renderDeploySummary(deploySummary([written(7, 'r', 7, [{ status: 'fail', reason: 'x', observations: { probes: ['healthz: failed - -ms'] } }])], { health }), 'ev');
    expect(lines[0]).toBe('answered: no URL was seen answering in this deploy');
    expect(lines[lines.length - 1]).toMatch(/^unavailable: not measured/);
  });

  it('words a rollback plainly', () => {
    const out = { paint: (_c: string, t: string) => t };
    const base: DeployResult = { release: 'r2', target: 'here', outcome: 'rolled-back', milestones: [{ number: 7, id: 'health-gate', status: 'fail' }], exitCode: 1, notes: [] };
    expect(verdictLine(out as never, { ...base, rollback: { to: 'r1', from: 'r2', healthy: true } })).toBe('release r2 failed on here; rolled back from r2 to r1: r1 serves');
    expect(verdictLine(out as never, { ...base, outcome: 'failed', rollback: { to: 'r1', from: 'r2', healthy: false } })).toBe('release r2 failed on here; rollback failed: nothing serves (tried r2 -> r1)');
    // By hand: no failed release to speak of, and never "rolled back to r1" from r1.
    const hand = verdictLine(out as never, { ...base, release: 'r1', milestones: [], exitCode: 0, rollback: { to: 'r1', from: 'r3', healthy: true } });
    expect(hand).toBe('rolled back from r3 to r1: r1 serves');
    expect(hand).not.toMatch(/r1 failed/);
  });
});
