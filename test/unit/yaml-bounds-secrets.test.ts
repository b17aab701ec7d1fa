// Bounded YAML reading (every reader goes through parseYaml) and the secrets registered from a
// project's files: compose env_file in sub-folders, envFiles[].source, literal environment values.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { loadConfig } from '../../src/config/load.js';
import { MAX_ALIASES, MAX_DEPTH } from '../../src/config/yaml-bounds.js';
import { parseYaml } from '../../src/config/yaml-positions.js';
import { registerKnownSecrets } from '../../src/core/known-secrets.js';
import { ConfigError } from '../../src/errors.js';
import { Redactor } from '../../src/redact/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function yamlError(text: string): ConfigError {
  try {
    parseYaml(text, 'x.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseYaml bounds', () => {
  it('refuses billion laughs at the entry that explodes', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    const e = yamlError(lines.join('\n'));
    expect(e.message).toMatch(/aliases expand to more than/);
    expect(e.location).toMatchObject({ file: 'x.yaml', line: 5, column: 1 });
  });
  it('refuses a merge-key bomb', () => {
    const lines = ['a: &a {k: 1, l: 2}'];
    for (let i = 1; i < 9; i++) lines.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} {<<: [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(', ')}]}`);
    expect(yamlError(lines.join('\n')).message).toMatch(/merge-key bomb/);
  });
  it('refuses too many aliases, too deep a nest, an alias inside its own anchor', () => {
    expect(yamlError(`a: &a 1\nb: [${Array(MAX_ALIASES + 1).fill('*a').join(',')}]\n`).message).toMatch(/more than 10000 aliases/);
    expect(yamlError(`a: ${'['.repeat(MAX_DEPTH + 5)}${']'.repeat(MAX_DEPTH + 5)}\n`).message).toMatch(/deeper than|too deeply/);
    expect(yamlError('a: &a [1, *a]\n').message).toMatch(/inside its own anchor/);
  });
  it('keeps ordinary anchors and merges working, and finds repeated keys', () => {
    const { doc } = parseYaml('x: &d {a: 1}\ny:\n  <<: *d\n  b: 2\n', 'x.yaml');
    expect(doc.toJS()).toEqual({ x: { a: 1 }, y: { a: 1, b: 2 } });
    const e = yamlError('a: 1\nb: 2\na: 3\n');
    expect(e.message).toBe('x.yaml is not valid YAML: Map keys must be unique.');
    expect(e.location).toMatchObject({ line: 3, column: 1 });
  });
  // Its speed is a figure, not an assert (roughly linear, measured 2.3 s for 4 000 and 4.0 s for
  // 8 000 services at load 20); the timeout only guards against a quadratic hang.
  it('reads a compose file of 5 000 services (no quadratic key check)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-yaml-'));
    dirs.push(dir);
    let text = 'services:\n';
    for (let i = 0; i < 5_000; i++) text += `  s${i}:\n    image: busybox:1.35\n`;
    writeFileSync(join(dir, 'compose.yaml'), text);
    const project = await loadCompose([join(dir, 'compose.yaml')], { cwd: dir });
    expect(project.services).toHaveLength(5_000);
  }, 300_000);
});

describe('registerKnownSecrets', () => {
  it('registers compose env_file files in sub-folders, envFiles[].source (with a BOM) and literal environment values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-known-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'app.env'), 'APP_SIGNING=Ak3q9XvB7mPq2LwT8rN5\n');
    writeFileSync(join(dir, 'upload.env'), '\ufeffSMTP_PASSWORD=Bk3q9XvB7mPq2LwT8rN5\n');
    writeFileSync(join(dir, 'shipproof.yaml'), 'envFiles:\n  - path: .env\n    source: upload.env\n');
    writeFileSync(
      join(dir, 'compose.yaml'),
      'services:\n  web:\n    image: busybox\n    env_file: config/app.env\n    environment:\n      SOME_SETTING: Ck3q9XvB7mPq2LwT8rN5\n      PORT: "3000"\n      REF: ${FROM_SHELL}\n',
    );
    const r = new Redactor();
    await registerKnownSecrets(await loadConfig({ cwd: dir }), r);
    const out = r.redact('Ak3q9XvB7mPq2LwT8rN5 Bk3q9XvB7mPq2LwT8rN5 Ck3q9XvB7mPq2LwT8rN5 port 3000').text;
    expect(out).not.toMatch(/[ABC]k3q9/);
    expect(out).toContain('port 3000');
  });
  it('does not register a weak value shipproof.yaml allows (so the scan agrees with the redactor)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-known-'));
    dirs.push(dir);
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=umami\n');
    writeFileSync(join(dir, 'shipproof.yaml'), 'project: umami\nsecrets:\n  allowWeak:\n    DB_PASSWORD: the image default, database not published\n');
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  umami:\n    image: umami\n');
    const r = new Redactor();
    await registerKnownSecrets(await loadConfig({ cwd: dir }), r);
    expect(r.scan('project umami, service umami')).toEqual([]);
  });
});
