// shipproof.verify.yaml and the attestation file: bad input is a ConfigError at file:line:column
// that says what was expected, with "did you mean" for names; nothing runs before it is fixed.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadAttestations } from '../../src/verify/attestations.js';
import { loadProjectSettings } from '../../src/verify/settings.js';
import { tempProject } from '../fixtures/config/temp-project.js';

async function settingsError(yaml: string): Promise<ConfigError> {
  const dir = await tempProject({ 'shipproof.verify.yaml': yaml });
  try {
    await loadProjectSettings({ rootDir: dir, cwd: dir });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const BASE = `verify:
  phase: p1
  truths:
    - truth: it works
      checks: [smoke]
  spotChecks:
    - id: smoke
      behavior: it starts
      run: "true"
`;

describe('shipproof.verify.yaml', () => {
  it('loads defaults when the file is missing, and the sections when present', async () => {
    const none = await tempProject({});
    const empty = await loadProjectSettings({ rootDir: none, cwd: none });
    expect(empty.verify).toBeUndefined();
    expect(empty.lint).toEqual({ rules: {} });
    expect(empty.handover).toEqual({ path: 'HANDOVER.md' });

    const dir = await tempProject({ 'shipproof.verify.yaml': BASE });
    const s = await loadProjectSettings({ rootDir: dir, cwd: dir });
    expect(s.shownPath).toBe('shipproof.verify.yaml');
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.verify?.spotChecks[0]).toMatchObject({ on: 'local', timeout: 60_000, exitCode: 0 });
    expect(s.verify?.output).toBe('docs/verification');
  });

  it('points at a misspelt key and suggests the right one', async () => {
    const first = await settingsError(BASE.replace('  spotChecks:', '  spotCheks:'));
    // The truth's check cannot be found either (line 5); both are reported, in file order.
    const e = first.more.find((m) => m.message.startsWith('Unknown key')) as ConfigError;
    expect(e.message).toBe('Unknown key "spotCheks" under "verify".');
    expect(e.location).toEqual({ file: 'shipproof.verify.yaml', line: 6, column: 3 });
    expect(e.hint).toMatch(/^Did you mean "spotChecks"\?/);
  });

  it('says which truth names a check that does not exist', async () => {
    const e = await settingsError(BASE.replace('checks: [smoke]', 'checks: [smoke, smok3]'));
    expect(e.message).toBe('"verify.truths[0].checks[1]" names no check: "smok3" (did you mean "smoke"?).');
    expect(e.location).toMatchObject({ line: 5, column: 23 });
  });

  it('refuses duplicate check ids and wrong types, with the expected form', async () => {
    const dup = await settingsError(`${BASE}  artifacts:\n    - id: smoke\n      path: a.ts\n`);
    expect(dup.message).toBe('"verify.spotChecks[0].id" repeats the id "smoke" of artifacts[0]; ids must be unique across all checks.');
    const timeout = await settingsError(BASE.replace('run: "true"', 'run: "true"\n      timeout: soon'));
    expect(timeout.message).toBe('"verify.spotChecks[0].timeout" must be a duration like "500ms", "10s", "2m", "1h" or a number of seconds, got "soon".');
    expect(timeout.location?.line).toBe(10);
  });

  it('requires a reason to switch a lint rule off, and knows the rule ids', async () => {
    const noReason = await settingsError('lint:\n  rules:\n    image-pinned:\n      off: true\n');
    expect(noReason.message).toBe('Missing key "reason" under "lint.rules.image-pinned".');
    const unknown = await settingsError('lint:\n  rules:\n    image-pined:\n      off: true\n      reason: built in CI and pinned there\n');
    expect(unknown.message).toBe('Unknown key "image-pined" under "lint.rules".');
    expect(unknown.hint).toMatch(/Did you mean "image-pinned"\?/);
    expect(unknown.location).toMatchObject({ line: 3, column: 5 });
  });
});

describe('the attestation file', () => {
  const human = [{ id: 'tls-smoke', test: 't', expected: 'e', why: 'w' }];

  it('has no sign-offs when it does not exist', async () => {
    const dir = await tempProject({});
    expect((await loadAttestations(`${dir}/shipproof.attestations.yaml`, dir, human)).attestations).toEqual([]);
  });

  it('refuses an entry for an unknown item and a date that is not one', async () => {
    const dir = await tempProject({
      'a.yaml': 'attestations:\n  - item: tls-smok\n    status: passed\n    by: Ana\n    justification: seen it\n    evidence: https://x.example/1\n    expires: 2026-12-31\n',
      'b.yaml': 'attestations:\n  - item: tls-smoke\n    status: passed\n    by: Ana\n    justification: seen it\n    evidence: https://x.example/1\n    expires: next year\n',
    });
    await expect(loadAttestations(`${dir}/a.yaml`, dir, human)).rejects.toMatchObject({
      message: 'The attestation for "tls-smok" names no human item of the must-haves.',
      location: { file: 'a.yaml', line: 2 },
      hint: expect.stringMatching(/Did you mean "tls-smoke"/),
    });
    await expect(loadAttestations(`${dir}/b.yaml`, dir, human)).rejects.toMatchObject({ location: { line: 7 } });
  });
});

describe('the JSON Schema of shipproof.verify.yaml', () => {
  it('describes the three sections, with what people write (durations as text)', async () => {
    const { settingsJsonSchema } = await import('../../src/verify/settings.js');
    const schema = settingsJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(['verify', 'lint', 'handover']);
    expect(JSON.stringify(schema)).toContain('"spotChecks"');
  });
});

describe('the must-haves share their HTTP check with shipproof.yaml health probes', () => {
  const PROBE = `  probes:
    - id: home
      url: ftp://example.com/
      body: ok
      bodyRegex: "^ok$"
`;

  it('says the same about a bad URL and about body with bodyRegex, at file:line', async () => {
    const e = await settingsError(BASE + PROBE);
    const all = [e, ...e.more].map((x) => `${x.location?.line}:${x.location?.column} ${x.message}`);
    expect(all).toEqual([
      '12:12 "verify.probes[0].url" must be an http:// or https:// URL, like https://example.com/healthz, got "ftp://example.com/".',
      '14:18 "verify.probes[0].bodyRegex" cannot be used together with body; pick one.',
    ]);
  });

  it('reads durations and defaults with the config sections\' leaves', async () => {
    const dir = await tempProject({ 'shipproof.verify.yaml': `${BASE}  probes:\n    - id: home\n      url: https://example.com/\n      timeout: 1m\n` });
    const s = await loadProjectSettings({ rootDir: dir, cwd: dir });
    expect(s.verify?.probes[0]).toEqual({ id: 'home', url: 'https://example.com/', status: 200, insecure: false, on: 'target', timeout: 60_000 });
    const d = await tempProject({ 'shipproof.verify.yaml': `${BASE}  probes:\n    - id: home\n      url: https://example.com/\n` });
    expect((await loadProjectSettings({ rootDir: d, cwd: d })).verify?.probes[0]?.timeout).toBe(10_000);
  });

  it('refuses an empty bodyRegex, as shipproof.yaml does', async () => {
    const e = await settingsError(`${BASE}  probes:\n    - id: home\n      url: https://example.com/\n      bodyRegex: ""\n`);
    expect(e.message).toBe('"verify.probes[0].bodyRegex" must be a regular expression, got "".');
  });
});
