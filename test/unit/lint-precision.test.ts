// lint without the false alarms seen on real compose files (an auth plugin's name, a path to a
// secret file), the healthcheck fix that fits the engine, and HTTP healthchecks that pass on errors.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { loadConfig } from '../../src/config/load.js';
import { lintCompose } from '../../src/lint/lint.js';
import { healthcheckFix } from '../../src/lint/rules/healthcheck-required.js';
import { passesOnHttpError } from '../../src/lint/rules/healthcheck-fails-on-errors.js';
import { lintSectionSchema } from '../../src/lint/schema.js';

const DIR = new URL('../fixtures/lint/false-positives/', import.meta.url).pathname;

describe('lint precision', async () => {
  const config = await loadConfig({ cwd: DIR });
  const model = await loadCompose(config.composeFiles, { cwd: DIR, env: {} });
  const report = await lintCompose({ config, model, settings: lintSectionSchema.parse({}) });
  const of = (rule: string) => report.findings.filter((f) => f.rule === rule).map((f) => `${f.location.line} ${f.service}`);

  it('flags only the real literal secret, not an auth plugin name or /run/secrets paths', () => {
    expect(of('no-secret-literals')).toEqual(['9 db']);
  });

  it('flags curl without -f and a check ending in || exit 0, not curl -fsS', () => {
    expect(of('healthcheck-fails-on-errors')).toEqual(['18 web', '28 worker']);
  });

  it('treats a catalogue data store with a file-archive backup (Elasticsearch) as a database for published ports', () => {
    expect(of('db-no-published-ports')).toEqual(['33 search']);
    expect(report.findings.find((f) => f.rule === 'db-no-published-ports')?.message).toContain('(Elasticsearch / OpenSearch)');
  });

  it('suggests the engine\'s own readiness command as the healthcheck fix', () => {
    const maria = report.findings.find((f) => f.rule === 'healthcheck-required' && f.service === 'maria');
    expect(maria?.fix).toContain('mariadb-admin ping');
    expect(healthcheckFix('db', 'postgres:16')).toContain('pg_isready');
    expect(healthcheckFix('cache', 'valkey/valkey:8')).toContain('redis-cli ping');
    expect(healthcheckFix('web', 'example/app:1')).toContain('curl", "-fsS"');
  });

  it('reads curl flags in their combined and long forms', () => {
    expect(passesOnHttpError(['CMD-SHELL', 'curl -sf http://x/'])).toBeUndefined();
    expect(passesOnHttpError(['CMD', 'curl', '--fail', 'http://x/'])).toBeUndefined();
    expect(passesOnHttpError(['CMD-SHELL', 'curl -s -o /dev/null -w "%{http_code}" http://x/ | grep -q 200'])).toBeUndefined();
    expect(passesOnHttpError(['CMD-SHELL', 'curl http://x/ || exit 1'])).toMatch(/^curl without -f/);
    expect(passesOnHttpError(['CMD', 'pg_isready'])).toBeUndefined();
  });
});
