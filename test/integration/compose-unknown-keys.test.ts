// An unknown key inside a service through the real CLI: `check` and a deploy both stop with exit 2
// at the key's file:line, with Compose's own words and a did-you-mean, before connecting anywhere;
// real `docker-compose config` refuses the same file; an `x-` extension passes both.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tcpCounter, type Counter } from '../helpers/tcp-counter.js';
import { requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
const counter: Counter = await tcpCounter();
const dir = mkdtempSync(join(tmpdir(), 'shipproof-compose-keys-'));
const COMPOSE = [
  'services:', // 1
  '  web:', // 2
  '    image: shipproof-offline/busybox:1.35', // 3
  '    x-owner: team-a', // 4
  '    restrat: unless-stopped', // 5
  '',
].join('\n');
writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
writeFileSync(
  join(dir, 'shipproof.yaml'),
  `project: keys\ndefaultTarget: box\ntargets:\n  box:\n    host: ssh://root@127.0.0.1:${counter.port}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n`,
);
const home = join(dir, '.home');

afterAll(async () => {
  await counter.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('unknown keys inside a service', () => {
  it('docker-compose config refuses the file too, and takes the x- key', () => {
    const r = spawnSync('docker-compose', ['--file', join(dir, 'compose.yaml'), 'config', '--quiet'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Unsupported config option for services.web: 'restrat'");
    expect(r.stderr).not.toContain('x-owner');
  });

  it('check: exit 2 at compose.yaml:5:5, with the key it meant, no stack trace', async () => {
    const r = await runCli(['check'], { cwd: dir, env: { SHIPPROOF_HOME: home } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: .*compose\.yaml:5:5: Unsupported config option for services\.web: 'restrat'\.$/m);
    expect(r.stderr).toContain('hint: Did you mean "restart"?');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--json check: one JSON error with the location', async () => {
    const r = await runCli(['--json', 'check'], { cwd: dir, env: { SHIPPROOF_HOME: home } });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stderr) as { error: { code: string; message: string; location?: string } };
    expect(out.error.message).toBe("Unsupported config option for services.web: 'restrat'.");
    expect(out.error.location).toMatch(/compose\.yaml:5:5$/);
  });

  it('deploy stops the same way before connecting to the server', async () => {
    for (const args of [['deploy', '--yes'], ['deploy', '--dry-run']]) {
      const r = await runCli(args, { cwd: dir, env: { SHIPPROOF_HOME: home } });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("compose.yaml:5:5: Unsupported config option for services.web: 'restrat'.");
    }
    expect(counter.connections()).toBe(0);
  });

  it('with the key fixed, check goes past the compose file (the x- key is accepted)', async () => {
    writeFileSync(join(dir, 'compose.yaml'), COMPOSE.replace('restrat', 'restart'));
    execFileSync('docker-compose', ['--file', join(dir, 'compose.yaml'), 'config', '--quiet']);
    const r = await runCli(['check'], { cwd: dir, env: { SHIPPROOF_HOME: home } });
    expect(r.stderr).not.toContain('Unsupported config option');
  });
});
