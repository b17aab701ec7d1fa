// Lint in milestone 3: a lint error fails the gate unless the rule is switched off with a reason;
// env files are left to the env-files probe (they live on the server, in the new release).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { lintGateResult } from '../../src/lint/gate.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(verifyYaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-lint-gate-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'services:',
      '  db:',
      '    image: postgres:16.4@sha256:' + 'a'.repeat(64),
      '    restart: unless-stopped',
      '    ports: ["5432:5432"]',
      '    env_file: .env',
      '    volumes: ["pg:/var/lib/postgresql/data"]',
      '    healthcheck: { test: ["CMD", "pg_isready"] }',
      'volumes:',
      '  pg:',
      '',
    ].join('\n'),
  );
  if (verifyYaml !== undefined) writeFileSync(join(dir, 'shipproof.verify.yaml'), verifyYaml);
  return dir;
}

describe('the lint gate of milestone 3', () => {
  it('fails on a lint error, naming the rule and where; a missing local env file is not its business', async () => {
    const r = await lintGateResult(await loadConfig({ cwd: project() }));
    expect(r.status).toBe('fail');
    expect(r.gate).toBe(true);
    expect(r.reason).toMatch(/^1 lint error: db-no-published-ports at compose\.yaml:5:/);
    expect(r.reason).not.toContain('env-files-exist');
  });

  it('passes when the rule is switched off with a reason, and records that it is', async () => {
    const r = await lintGateResult(await loadConfig({ cwd: project('lint:\n  rules:\n    db-no-published-ports: { off: true, reason: "a dev box reached only over the VPN" }\n') }));
    expect(r.status).toBe('pass');
    expect(r.observations['switchedOff']).toEqual(['db-no-published-ports: a dev box reached only over the VPN']);
  });
});
