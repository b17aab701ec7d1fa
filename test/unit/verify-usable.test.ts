// verify people can use: spot-checks assert output (a query for a table that is not there does not
// "pass" on exit 0), sign-offs name a signing identity and an evidence file that exists with its
// sha256 (or they do not count: a gap), and `verify init` writes a file the schema takes whose
// truths rest on checks shipproof can run plus human items for the rest.
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ResolvedTarget } from '../../src/config/load.js';
import { loadOrCreateSigningKey } from '../../src/evidence/signing-key.js';
import { backAttestations, evaluateHumanItems } from '../../src/verify/attestations.js';
import { resolveIdentity, signingIdentities } from '../../src/verify/attestation-backing.js';
import { VerifyHosts } from '../../src/verify/checks/hosts.js';
import { runSpotCheck } from '../../src/verify/checks/spot-check.js';
import { renderVerifyInit } from '../../src/verify/init.js';
import { attestationSchema, humanItemSchema, spotCheckSchema, verifySectionSchema } from '../../src/verify/schema.js';
import { judge } from '../../src/verify/status.js';
import { generateKeyPairSync } from 'node:crypto';

const root = mkdtempSync(join(tmpdir(), 'shipproof-verify-usable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('spot-checks that assert output', () => {
  const local: ResolvedTarget = { name: 'local', kind: 'local', appDir: join(root, 'app'), backupsDir: join(root, 'app/backups') };
  const hosts = new VerifyHosts(local, root);
  const spec = (run: string, expect: object) => spotCheckSchema.parse({ id: 's', behavior: 'b', run, expect });

  it('fails when the output does not match, though the command exits 0, and never records the output', async () => {
    const r = await runSpotCheck(spec("printf '%s-%s\\n' no-rows here", { stdout: 'users' }), hosts);
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^exit 0, but stdout does not contain the expected text/);
    expect(r.observations).toMatchObject({ outputMatched: false, exitCode: 0 });
    expect(JSON.stringify(r)).not.toContain('no-rows-here');
    expect(r.commands[0]!.stdout.bytes).toBe('no-rows-here\n'.length);
  });

  it('passes when exit code and output match; expect.exitCode wins over the old exitCode', async () => {
    expect(await runSpotCheck(spec("printf 'users\\n'", { stdout: 'users', stdoutRegex: '^users$' }), hosts)).toMatchObject({ status: 'pass', observations: { outputMatched: true } });
    expect(await runSpotCheck(spec('echo oops >&2; exit 3', { exitCode: 3, stderr: 'oops' }), hosts)).toMatchObject({ status: 'pass' });
    expect(await runSpotCheck(spec('exit 0', { exitCode: 3 }), hosts)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/expected 3$/) });
  });
});

describe('sign-offs', () => {
  const human = [humanItemSchema.parse({ id: 'public-tls', test: 'open it', expected: 'a certificate', why: 'needs a browser' })];
  const evidenceDir = join(root, 'evidence');
  const rootDir = join(root, 'project');
  mkdirSync(join(evidenceDir, 'reviewers'), { recursive: true });
  mkdirSync(rootDir, { recursive: true });
  const ana = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(join(evidenceDir, 'reviewers', 'ana.pub'), ana);
  writeFileSync(join(rootDir, 'shot.png'), 'a screenshot');
  const shot = createHash('sha256').update('a screenshot').digest('hex');
  const att = (extra: object) => attestationSchema.parse({ item: 'public-tls', status: 'passed', by: 'ana', justification: 'saw it', evidence: 'shot.png', sha256: shot, expires: '2099-01-01', ...extra });
  const run = async (a: ReturnType<typeof att>) => {
    const backing = await backAttestations([a], { rootDir, evidenceDir, urlAnswers: async (u) => u.endsWith('/ok') });
    const outcome = evaluateHumanItems(human, [a], new Date('2026-12-01T00:00:00Z'), backing);
    return { outcome: outcome[0]!, verdict: judge({ truths: [{ truth: 't', checks: ['public-tls'] }], checks: [], human: outcome }) };
  };

  it('counts one made by a known key, naming a file that exists with its sha256', async () => {
    const { outcome, verdict } = await run(att({}));
    expect(outcome.state).toBe('attested');
    expect(outcome.identity?.name).toBe('ana');
    expect(outcome.identity?.keyid).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verdict.status).toBe('passed');
    expect(verdict.truths[0]!.evidence).toMatch(/signed off by ana \(sha256:/);
  });

  it('does not count one naming a missing file: a gap', async () => {
    const { outcome, verdict } = await run(att({ evidence: 'no-such-shot.png' }));
    expect(outcome.state).toBe('invalid');
    expect(verdict.status).toBe('gaps_found');
    expect(verdict.gaps[0]).toContain('the evidence file no-such-shot.png does not exist');
  });

  it('does not count a changed file, a file without sha256, a dead URL, or free text as the signer', async () => {
    expect((await run(att({ sha256: 'a'.repeat(64) }))).outcome.problem).toMatch(/has changed/);
    expect((await run(att({ sha256: undefined }))).outcome.problem).toMatch(/has no sha256/);
    expect((await run(att({ evidence: 'https://tickets.example/404' }))).outcome.problem).toMatch(/does not answer/);
    expect((await run(att({ evidence: 'https://tickets.example/ok' }))).outcome.state).toBe('attested');
    const free = await run(att({ by: 'Ana from ops' }));
    expect(free.outcome.state).toBe('invalid');
    expect(free.outcome.problem).toMatch(/is not a signing identity/);
  });

  it('takes the folder signing key and a fingerprint prefix as identities', async () => {
    const key = await loadOrCreateSigningKey(evidenceDir, { home: join(root, 'home') });
    const ids = await signingIdentities(evidenceDir);
    expect(ids.map((i) => i.name)).toEqual(['signing-key', 'ana']);
    expect(resolveIdentity(key.keyid.slice(0, 7 + 16), ids)).toMatchObject({ name: 'signing-key' });
    expect(resolveIdentity('sha256:abc', ids)).toMatch(/not a signing identity/);
  });
});

describe('verify init', () => {
  const text = renderVerifyInit({
    project: 'webapp',
    health: [{ name: 'healthz', url: 'https://localhost:8443/healthz', status: 200, body: '"status":"ok"', timeoutMs: 5000, intervalMs: 1000, insecure: true }],
    domains: [],
    proxies: ['caddy'],
    stateful: [{ service: 'postgres', engine: 'postgres' }],
    lockExists: false,
  });

  it('writes must-haves the schema takes, with comments that document the format', () => {
    expect(text).toMatch(/^# shipproof\.verify\.yaml/);
    expect(text).toContain('expect: { exitCode: 0, stdout: users }');
    const section = verifySectionSchema.parse((parse(text) as { verify: unknown }).verify);
    expect(section.probes).toEqual([expect.objectContaining({ id: 'health-healthz', url: 'https://localhost:8443/healthz', insecure: true, on: 'target' })]);
    expect(section.milestones.map((m) => m.milestone).sort((a, b) => a - b)).toEqual([1, 5, 6, 7, 9, 10]);
    expect(section.human.map((h) => h.id)).toEqual(['public-tls', 'main-flow']);
    // Every truth rests on checks that exist.
    const ids = new Set([...section.probes, ...section.milestones, ...section.human, ...section.artifacts].map((c) => c.id));
    for (const t of section.truths) for (const c of t.checks) expect(ids.has(c), c).toBe(true);
  });

  it('is human_needed only for the human items when every automated check passes', () => {
    const section = verifySectionSchema.parse((parse(text) as { verify: unknown }).verify);
    const checks = [...section.probes, ...section.milestones].map((c) => ({ kind: 'probe' as const, id: c.id, subject: c.id, status: 'pass' as const, label: 'PASS', detail: 'ok', durationMs: 1, observations: {}, commands: [], evidence: [] }));
    const verdict = judge({ truths: section.truths, checks, human: section.human.map((spec) => ({ spec, state: 'needed' as const })) });
    expect(verdict.status).toBe('human_needed');
    expect(verdict.gaps).toEqual([]);
    expect(verdict.open).toEqual([expect.stringMatching(/^Human item public-tls/), expect.stringMatching(/^Human item main-flow/)]);
  });
});
