// The single checks of verify: stub detection, the anti-pattern scan's skips and severities,
// spot-check exit codes and timeouts, and milestone evidence read from a real ledger.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../../src/config/load.js';
import type { EvidenceStatement } from '../../src/evidence/predicate-schema.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import { scanAntiPatterns, lineLooksSecret } from '../../src/verify/checks/anti-patterns.js';
import { checkArtifact } from '../../src/verify/checks/artifact.js';
import { matchesAny } from '../../src/verify/checks/glob.js';
import { VerifyHosts } from '../../src/verify/checks/hosts.js';
import { checkKeyLink } from '../../src/verify/checks/key-link.js';
import { checkMilestone } from '../../src/verify/checks/milestone.js';
import { runSpotCheck, spotCheckArgv } from '../../src/verify/checks/spot-check.js';
import { currentRelease } from '../../src/verify/release.js';
import { antiPatternsSchema, artifactSchema, spotCheckSchema } from '../../src/verify/schema.js';
import { sampleStatement, steppingClock } from '../fixtures/evidence/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'shipproof-verify-checks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string, content: Record<string, string | Buffer>): string {
  const base = join(root, dir);
  for (const [name, text] of Object.entries(content)) {
    mkdirSync(join(base, name, '..'), { recursive: true });
    writeFileSync(join(base, name), text);
  }
  return base;
}

describe('artifact checks', () => {
  const dir = files('artifacts', {
    'short.ts': 'export const x = 1;\n',
    'marker.py': 'def handler(req):\n    """Serve it."""\n    log(req)\n    check(req)\n    raise NotImplementedError\n',
    'real.ts': 'a\nb\nc\nd\ne\nexport function main() {}\n',
  });
  const spec = (path: string, extra: object = {}) => artifactSchema.parse({ id: 'a', path, ...extra });

  it('says MISSING, STUB (too short or a placeholder body with its line), INCOMPLETE and VERIFIED', async () => {
    expect(await checkArtifact(spec('nope.ts'), dir)).toMatchObject({ status: 'fail', label: 'MISSING' });
    expect(await checkArtifact(spec('short.ts'), dir)).toMatchObject({ status: 'fail', label: 'STUB', detail: expect.stringMatching(/^1 non-blank line, fewer than the 5/) });
    expect(await checkArtifact(spec('marker.py'), dir)).toMatchObject({ status: 'fail', label: 'STUB', detail: 'placeholder body: "NotImplementedError" at line 5' });
    expect(await checkArtifact(spec('real.ts', { contains: ['export function serve'] }), dir)).toMatchObject({ status: 'fail', label: 'INCOMPLETE' });
    expect(await checkArtifact(spec('real.ts', { contains: ['export function main'] }), dir)).toMatchObject({ status: 'pass', label: 'VERIFIED', detail: '6 non-blank lines; /export function main/ at line 6' });
  });

  it('finds a key link by text, with its line, and reports a missing one', async () => {
    const link = { id: 'k', from: 'real.ts', to: 'main' };
    expect(await checkKeyLink({ ...link, text: 'function main(' }, dir)).toMatchObject({ status: 'pass', label: 'WIRED', observations: { line: 6 } });
    expect(await checkKeyLink({ ...link, pattern: 'main\\(\\)\\s*;' }, dir)).toMatchObject({ status: 'fail', label: 'NOT WIRED' });
    expect(await checkKeyLink({ ...link, from: 'gone.ts', text: 'x' }, dir)).toMatchObject({ status: 'fail', label: 'MISSING' });
  });
});

describe('the anti-pattern scan', () => {
  const dir = files('scan', {
    'src/a.ts': 'const a = 1; // TODO tidy\n// HACK: works around a bug\nthrow new Error("not implemented");\n',
    'src/b.ts': 'export const PLACEHOLDER = true;\n',
    'src/b.test.ts': '// FIXME flaky\n',
    'src/node_modules/lib/index.js': '// TODO vendored\n',
    'src/vendor/x.go': '// TODO vendored\n',
    'src/package-lock.json': '{"TODO": 1}\n',
    'src/deps.lock': 'TODO\n',
    'src/app.min.js': 'TODO\n',
    'src/logo.png': Buffer.from([0x89, 0x50, 0x00, 0x54, 0x4f, 0x44, 0x4f]),
    'reports/old.md': '| TODO |\n',
  });

  it('reports file:line, pattern and severity, skipping lock files, vendored, generated, binary and excluded files', async () => {
    const spec = antiPatternsSchema.parse({ paths: ['src', 'reports', 'missing-dir'], exclude: ['*.test.ts'], severity: { HACK: 'info' } });
    const scan = await scanAntiPatterns({ rootDir: dir, spec, skip: [join(dir, 'reports')] });
    expect(scan.findings.map((f) => `${f.file}:${f.line} ${f.pattern} ${f.severity}`)).toEqual([
      'src/a.ts:1 TODO warning',
      'src/a.ts:2 HACK info',
      'src/a.ts:3 not implemented blocker',
      'src/b.ts:1 PLACEHOLDER blocker',
    ]);
    expect(scan.filesScanned).toBe(2);
    expect(scan.skipped).toEqual({ lockFiles: 2, vendored: 3, binary: 1, large: 0, excluded: 2 });
    expect(scan.missing).toEqual(['missing-dir']);
  });

  it('never shows a line that looks like a secret', () => {
    expect(lineLooksSecret('// TODO tidy this up')).toBe(false);
    expect(lineLooksSecret('password: "hunter2-but-longer" # TODO rotate')).toBe(true);
    expect(lineLooksSecret('const url = "postgres://app:S3cr3t-pw@db/app"; // FIXME')).toBe(true);
    expect(lineLooksSecret('// XXX aK9fQ2mZ7xL4pR8tW1vB6nC3yH5jD0sE leaked')).toBe(true);
  });

  it('matches globs like .gitignore: bare names anywhere, ** across folders', () => {
    expect(matchesAny('src/deep/x.test.ts', ['*.test.ts'])).toBe(true);
    expect(matchesAny('src/deep/x.ts', ['src/**/x.ts'])).toBe(true);
    expect(matchesAny('src/x.ts', ['src/**/x.ts'])).toBe(true);
    expect(matchesAny('lib/x.ts', ['src/**'])).toBe(false);
  });
});

describe('spot-checks', () => {
  const local: ResolvedTarget = { name: 'local', kind: 'local', appDir: join(root, 'app'), backupsDir: join(root, 'app/backups') };
  const hosts = new VerifyHosts(local, root);
  const spec = (run: string | string[], extra: object = {}) => spotCheckSchema.parse({ id: 's', behavior: 'b', run, ...extra });

  it('builds argv: a string runs through sh -c, a list as it is', () => {
    expect(spotCheckArgv(spec('npm test && echo ok'))).toEqual(['sh', '-c', 'npm test && echo ok']);
    expect(spotCheckArgv(spec(['go', 'test', './...']))).toEqual(['go', 'test', './...']);
  });

  it('passes on the expected exit code, in the project folder, and keeps only hashes of the output', async () => {
    const r = await runSpotCheck(spec("test -d scan && printf '%s-%s\\n' visible output"), hosts);
    expect(r).toMatchObject({ status: 'pass', label: 'PASS', observations: { exitCode: 0 } });
    expect(r.commands[0]?.stdout.bytes).toBe('visible-output\n'.length);
    expect(JSON.stringify(r)).not.toContain('visible-output');
    expect(await runSpotCheck(spec('exit 3', { exitCode: 3 }), hosts)).toMatchObject({ status: 'pass' });
  });

  it('fails on another exit code, a missing command, and a timeout (the command is killed)', async () => {
    expect(await runSpotCheck(spec('exit 2'), hosts)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^exit 2 after .* s, expected 0$/) });
    expect(await runSpotCheck(spec(['shipproof-no-such-command']), hosts)).toMatchObject({ status: 'fail' });
    const started = Date.now();
    expect(await runSpotCheck(spec('sleep 20', { timeout: '300ms' }), hosts)).toMatchObject({ status: 'fail', detail: 'timed out after 0 s and was killed' });
    // Back well before `sleep 20` could have ended on its own: the kill happened (not a speed limit).
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);
});

describe('milestone evidence', () => {
  async function ledger(): Promise<EvidenceStore> {
    const store = EvidenceStore.open(join(root, `evidence-${Math.random().toString(16).slice(2)}`), { home: join(root, 'home'), toolVersion: '0.1.0', now: steppingClock() });
    return store;
  }
  async function append(store: EvidenceStore, kind: string, status: 'passed' | 'failed', release: string, milestone?: { number: number; id: string }): Promise<void> {
    const s: EvidenceStatement = await sampleStatement();
    const p = s.predicate;
    p.kind = kind;
    p.target.name = 'prod';
    p.release = release;
    if (milestone === undefined) delete p.milestone;
    else p.milestone = milestone;
    p.results = p.results.filter((r) => r.status === (status === 'passed' ? 'pass' : 'fail')).slice(0, 1);
    p.status = status;
    p.summary = { passed: status === 'passed' ? 1 : 0, failed: status === 'failed' ? 1 : 0, error: 0, skipped: 0 };
    await store.append(s, { kind, target: 'prod', status, release, ...(milestone === undefined ? {} : { milestone }) });
  }

  it('passes on passing evidence for the current release, naming the record by sha256; fails for an older release', async () => {
    const store = await ledger();
    await append(store, 'milestone', 'passed', 'r1', { number: 7, id: 'health-gate' });
    await append(store, 'deploy', 'passed', 'r1');
    await append(store, 'deploy', 'passed', 'r2');
    await append(store, 'milestone', 'failed', 'r2', { number: 7, id: 'health-gate' });
    const entries = await store.list();
    expect(currentRelease(entries, 'prod')?.release).toBe('r2');

    const r2 = await checkMilestone({ id: 'health', milestone: 7 }, { store, entries, target: 'prod', release: 'r2' });
    expect(r2).toMatchObject({ status: 'fail', label: 'FAIL', detail: 'newest evidence #4 for release r2 is failed' });

    const r1 = await checkMilestone({ id: 'health', milestone: 7 }, { store, entries, target: 'prod', release: 'r1' });
    expect(r1.status).toBe('pass');
    expect(r1.evidence).toEqual([{ seq: 1, record: entries[0]?.record, kind: 'milestone', status: 'passed', time: entries[0]?.time, sha256: entries[0]?.files[0]?.sha256 }]);
  });

  it('fails when no release is recorded, and when the milestone has no evidence', async () => {
    const store = await ledger();
    expect(await checkMilestone({ id: 'm', milestone: 8 }, { store, entries: [], target: 'prod' })).toMatchObject({ status: 'fail', label: 'NO EVIDENCE' });
    await append(store, 'deploy', 'passed', 'r9');
    const entries = await store.list();
    expect(await checkMilestone({ id: 'm', milestone: 8 }, { store, entries, target: 'prod', release: 'r9' })).toMatchObject({ status: 'fail', detail: 'no evidence for release r9' });
  });
});
