// lint on fixtures: every planted violation found at its line with the right rule and severity,
// nothing in a clean stack, rules switched off only with a reason (and reported as such), the
// lock counting as a pin, and env files checked on a target by existence and mode.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { loadCompose } from '../../src/compose/load.js';
import { lintCompose, type LintOptions } from '../../src/lint/lint.js';
import { renderLintReport } from '../../src/lint/render.js';
import { LINT_RULE_IDS } from '../../src/lint/rule-ids.js';
import { envFileModesCommand } from '../../src/lint/rules/env-files-exist.js';
import { LINT_RULES } from '../../src/lint/rules/index.js';
import { lintSectionSchema } from '../../src/lint/schema.js';
import type { ImageLock } from '../../src/pin/lock.js';
import { LocalTarget } from '../../src/targets/local.js';

const FIXTURES = new URL('../fixtures/lint/', import.meta.url).pathname;

async function lint(fixture: string, extra: Partial<LintOptions> = {}, settings: unknown = {}) {
  const dir = join(FIXTURES, fixture);
  const config = await loadConfig({ cwd: dir });
  const model = await loadCompose(config.composeFiles, { cwd: dir });
  return lintCompose({ config, model, settings: lintSectionSchema.parse(settings), ...extra });
}

const short = (r: Awaited<ReturnType<typeof lint>>) => r.findings.map((f) => `${f.location.line} ${f.severity} ${f.rule}${f.service ? ` ${f.service}` : ''}`);

describe('the production policy', () => {
  it('has one module per rule id, in order', () => {
    expect(LINT_RULES.map((r) => r.id)).toEqual([...LINT_RULE_IDS]);
  });

  it('finds each planted violation at its line, with rule id and severity', async () => {
    const report = await lint('violations');
    expect(short(report)).toEqual([
      '4 error stateful-named-volumes db',
      '5 warning image-pinned db',
      '8 error db-no-published-ports db',
      '12 warning image-pinned cache',
      '15 warning db-no-published-ports cache',
      '21 error image-pinned web',
      '24 error proxy-only-public-ports web',
      '26 error no-secret-literals web',
      '28 error env-files-exist web',
      '30 error depends-on-healthy web',
      '33 warning healthcheck-required worker',
      '33 error restart-policy-required worker',
      '34 warning image-pinned worker',
      '36 warning depends-on-healthy worker',
      '38 error image-pinned admin',
      '41 warning proxy-only-public-ports admin',
      '42 warning healthcheck-required admin',
    ]);
    expect(report.errors).toBe(9);
    expect(report.warnings).toBe(8);
    for (const f of report.findings) {
      expect(f.location.file).toBe('compose.yaml');
      expect(f.why.length).toBeGreaterThan(20);
      expect(f.fix.length).toBeGreaterThan(10);
    }
  });

  it('finds nothing in a clean stack', async () => {
    const report = await lint('clean');
    expect(report.findings).toEqual([]);
    expect(renderLintReport(report)).toBe('ok: no findings.');
  });

  it('never repeats the secret it flags', async () => {
    const text = renderLintReport(await lint('violations'));
    expect(text).toContain('compose.yaml:26:7  error  no-secret-literals  Service "web" sets API_TOKEN to a literal value that looks like a secret.');
    expect(text).not.toContain('Zx81kQ-pL0_u2Mv9rT44wYb7');
    expect(readFileSync(join(FIXTURES, 'violations/compose.yaml'), 'utf8')).toContain('Zx81kQ-pL0_u2Mv9rT44wYb7');
  });
});

describe('project changes to the policy', () => {
  it('switches a rule off, for all services or some, and says so with the reason', async () => {
    const report = await lint('violations', {}, {
      rules: {
        'image-pinned': { off: true, reason: 'images are built and pinned by CI' },
        'healthcheck-required': { off: true, services: ['admin'], reason: 'adminer is only started by hand' },
        'db-no-published-ports': { severity: 'warning', reason: 'firewalled at the provider for now' },
      },
    });
    expect(report.findings.some((f) => f.rule === 'image-pinned')).toBe(false);
    expect(short(report)).toContain('33 warning healthcheck-required worker');
    expect(short(report)).not.toContain('42 warning healthcheck-required admin');
    expect(short(report)).toContain('8 warning db-no-published-ports db');
    expect(report.switchedOff).toEqual([
      { rule: 'healthcheck-required', reason: 'adminer is only started by hand', services: ['admin'], hidden: 1 },
      { rule: 'image-pinned', reason: 'images are built and pinned by CI', hidden: 0 },
    ].sort((a, b) => (LINT_RULE_IDS.indexOf(a.rule as never) - LINT_RULE_IDS.indexOf(b.rule as never))));
    const text = renderLintReport(report);
    expect(text).toContain('switched off: image-pinned — images are built and pinned by CI');
    expect(text).toContain('switched off for admin: healthcheck-required — adminer is only started by hand, hid 1 finding');
  });

  it('names the proxy from settings', async () => {
    const report = await lint('violations', {}, { proxy: ['web'] });
    expect(report.findings.some((f) => f.rule === 'proxy-only-public-ports' && f.service === 'web')).toBe(false);
  });

  it('counts an image locked in shipproof.lock as pinned, but not "latest" quietly', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const lock: ImageLock = {
      version: 1,
      project: 'violations',
      target: 'local',
      images: [
        { image: 'postgres:16.4', services: ['db'], source: 'registry', pinned: `postgres:16.4@${digest}`, digest },
        { image: 'ghcr.io/shop/web:latest', services: ['web'], source: 'registry', pinned: `ghcr.io/shop/web:latest@${digest}`, digest },
      ],
    };
    const pins = short(await lint('violations', { lock })).filter((s) => s.includes('image-pinned'));
    expect(pins).toEqual(['12 warning image-pinned cache', '21 warning image-pinned web', '34 warning image-pinned worker', '38 error image-pinned admin']);
  });

  it('resolves ${IMAGE}:${TAG} from the variables, and warns when it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-lint-'));
    try {
      writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: ${IMAGE}:${TAG:-1.0}\n    restart: always\n    healthcheck:\n      test: ["CMD", "true"]\n');
      const config = await loadConfig({ cwd: dir });
      const model = await loadCompose(config.composeFiles, { cwd: dir });
      const settings = lintSectionSchema.parse({});
      const unset = await lintCompose({ config, model, settings });
      expect(unset.findings[0]?.message).toBe('Service "web" takes its image from IMAGE, which is not set here, so shipproof cannot tell whether it is pinned.');
      const set = await lintCompose({ config, model, settings, variables: { IMAGE: 'ghcr.io/a/web' } });
      expect(set.findings[0]?.message).toBe('Service "web" runs ${IMAGE}:${TAG:-1.0} (here: ghcr.io/a/web:1.0), pinned by a tag only.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('images written with variables, and images the project builds', () => {
  it('recognises the proxy and the database behind ${…:-default}, and does not ask to pin what it builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-lint-'));
    try {
      writeFileSync(
        join(dir, 'compose.yaml'),
        [
          'services:',
          '  proxy:',
          '    image: ${CADDY_IMAGE:-caddy:2@sha256:' + 'c'.repeat(64) + '}',
          '    restart: always',
          '    healthcheck: { test: ["CMD", "true"] }',
          '    ports: ["443:443"]',
          '  db:',
          '    image: ${DB_IMAGE:-postgres:16@sha256:' + 'd'.repeat(64) + '}',
          '    restart: always',
          '    healthcheck: { test: ["CMD", "pg_isready"] }',
          '    ports: ["5432:5432"]',
          '  web:',
          '    build: .',
          '    image: ${APP_IMAGE:-shop:latest}',
          '    restart: always',
          '    healthcheck: { test: ["CMD", "true"] }',
          '  worker:',
          '    image: ${APP_IMAGE:-shop:latest}',
          '    restart: always',
          '    healthcheck: { test: ["CMD", "true"] }',
          '',
        ].join('\n'),
      );
      const config = await loadConfig({ cwd: dir });
      const model = await loadCompose(config.composeFiles, { cwd: dir });
      const report = await lintCompose({ config, model, settings: lintSectionSchema.parse({}) });
      // The proxy may publish 443; the database is found (no volume, a published port); web and worker run the built image.
      expect(short(report)).toEqual(['7 error stateful-named-volumes db', '11 error db-no-published-ports db']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('env files on a target', () => {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-lint-target-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds one stat command for all files', () => {
    expect(envFileModesCommand(['/a b/.env', '/c'])).toEqual([
      'sh',
      '-c',
      'for f in "$@"; do if [ -f "$f" ]; then stat -L -c %a -- "$f"; else echo missing; fi; done',
      'shipproof-env-modes',
      '/a b/.env',
      '/c',
    ]);
  });

  it('reports a missing file and one others can read, and accepts 0600', async () => {
    const project = join(root, 'project');
    const appDir = join(root, 'server', 'app');
    mkdirSync(project, { recursive: true });
    mkdirSync(join(appDir, 'current'), { recursive: true });
    writeFileSync(join(project, 'compose.yaml'), 'services:\n  web:\n    image: x@sha256:' + 'b'.repeat(64) + '\n    restart: always\n    healthcheck: { test: ["CMD", "true"] }\n    env_file: [.env.prod, .env.extra]\n');
    writeFileSync(join(project, 'shipproof.yaml'), `targets:\n  local:\n    host: local\n    appDir: ${appDir}\nenvFiles:\n  - shared.env\n`);
    writeFileSync(join(appDir, 'current', '.env.prod'), 'A=1\n');
    chmodSync(join(appDir, 'current', '.env.prod'), 0o644);
    writeFileSync(join(appDir, 'shared.env'), 'B=2\n');
    chmodSync(join(appDir, 'shared.env'), 0o600);
    const config = await loadConfig({ cwd: project });
    const model = await loadCompose(config.composeFiles, { cwd: project });
    const resolved = config.targets.local;
    if (resolved === undefined) throw new Error('no local target');
    const report = await lintCompose({ config, model, settings: lintSectionSchema.parse({}), target: { resolved, host: new LocalTarget() } });
    expect(report.target).toBe('local');
    expect(report.findings.map((f) => f.message)).toEqual([
      'The env file .env.prod on local has mode 644, so other users can read or change it.',
      `Service "web" needs the env file .env.extra, which is missing on local (${join(appDir, 'current', '.env.extra')}).`,
    ]);
    chmodSync(join(appDir, 'current', '.env.prod'), 0o600);
    writeFileSync(join(appDir, 'current', '.env.extra'), '', { mode: 0o600 });
    const fixed = await lintCompose({ config, model, settings: lintSectionSchema.parse({}), target: { resolved, host: new LocalTarget() } });
    expect(fixed.findings).toEqual([]);
  });
});
