// A small built image (busybox httpd) deployed for real through the CLI, on the local target or
// over SSH, and the scenarios every target must pass: first release, no-op redeploy, a broken
// release that rolls back, two deploys at once, a hand rollback. One test file per target
// (deploy-local, deploy-ssh) so the two vitest workers share the time; deploy-kill uses the fixture.
import { removeAfterAll } from './docker-cleanup.js';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.js';
import { requireDocker, requireTestEnv } from './test-env.js';

export interface Fixture {
  kind: 'local' | 'ssh';
  project: string;
  dir: string;
  appDir: string;
  port: number;
  home: string;
}

/** A project folder, a server folder and a home for one target kind; removed after the file's tests. */
export function makeFixture(kind: 'local' | 'ssh'): Fixture {
  const env = requireTestEnv();
  requireDocker();
  const root = mkdtempSync(join(tmpdir(), `shipproof-deploy-${kind}-`));
  const f: Fixture = {
    kind,
    project: `sp-deploy-${kind}-${randomBytes(3).toString('hex')}`,
    dir: join(root, 'project'),
    appDir: join(root, 'server'),
    port: 21000 + Math.floor(Math.random() * 20000),
    home: join(root, 'home'),
  };
  mkdirSync(join(f.dir, 'app', 'www'), { recursive: true });
  writeFileSync(
    join(f.dir, 'compose.yaml'),
    `services:
  web:
    build: ./app
    image: \${APP_IMAGE}
    ports: ["127.0.0.1:\${WEB_PORT}:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 5
    restart: unless-stopped
`,
  );
  writeFileSync(join(f.dir, 'app', 'Dockerfile'), 'FROM shipproof-offline/busybox:1.35\nCOPY www /www\nCOPY start.sh /start.sh\nCMD ["sh", "/start.sh"]\n');
  // The env file is uploaded from this local source (never part of the bundle).
  writeFileSync(join(f.dir, 'server.env'), `APP_IMAGE=${f.project}/web:latest\nWEB_PORT=${f.port}\nAPI_SECRET=${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  const target =
    kind === 'local'
      ? `  here:\n    host: local\n    appDir: ${f.appDir}\n`
      : `  here:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${f.appDir}\n`;
  writeFileSync(
    join(f.dir, 'shipproof.yaml'),
    `project: ${f.project}
defaultTarget: here
targets:
${target}envFiles:
  - path: .env
    required: [APP_IMAGE, WEB_PORT, API_SECRET]
    source: server.env
health:
  - name: web
    url: http://127.0.0.1:${f.port}/healthz
    timeout: 2s
deploy:
  healthTimeout: 30s
  healthInterval: 1s
  stableChecks: 2
`,
  );
  release(f, 'A', 'ok');
  removeAfterAll(f.project, join(f.dir, '..'));
  return f;
}

/** Writes the app for a release: its version text, and how it behaves. */
export function release(f: Fixture, version: string, mode: 'ok' | 'exits' | 'no-healthz'): void {
  writeFileSync(join(f.dir, 'app', 'www', 'version'), `${version}\n`);
  rmSync(join(f.dir, 'app', 'www', 'healthz'), { force: true });
  if (mode !== 'no-healthz') writeFileSync(join(f.dir, 'app', 'www', 'healthz'), '{"status":"ok"}\n');
  writeFileSync(join(f.dir, 'app', 'start.sh'), mode === 'exits' ? 'echo "broken on purpose" >&2\nexit 3\n' : 'exec httpd -f -p 8080 -h /www\n');
}

export async function served(f: Fixture): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${f.port}/version`).catch(() => undefined);
  return r?.ok ? (await r.text()).trim() : `unreachable`;
}

export function cli(f: Fixture, args: string[]) {
  return runCli(args, { cwd: f.dir, env: { SHIPPROOF_HOME: f.home } });
}

export function webContainer(f: Fixture): { id: string; started: string } {
  const id = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${f.project}`, '--filter', 'label=com.docker.compose.service=web']).toString().trim();
  const started = id ? execFileSync('docker', ['inspect', '--format', '{{.State.StartedAt}}', id]).toString().trim() : '';
  return { id, started };
}

/** Deploys, failed gates and rollbacks on a loaded shared machine: a generous per-test limit. */
export function describeDeployThrough(kind: 'local' | 'ssh'): void {
  vi.setConfig({ testTimeout: 400_000 });
  describe(`deploy through the ${kind} target`, () => {
    const f = makeFixture(kind);

    it('deploys a first release: every milestone recorded, the app serves, the ledger verifies', async () => {
      const logFile = join(f.dir, '..', 'deploy.log');
      const r = await cli(f, ['--json', '--log-file', logFile, 'deploy', '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const out = JSON.parse(r.stdout) as { outcome: string; milestones: { number: number; status: string }[] };
      expect(out.outcome).toBe('deployed');
      expect(out.milestones.map((m) => `${m.number}:${m.status}`)).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass', '8:skipped', '9:skipped', '10:skipped']);
      expect(await served(f)).toBe('A');
      expect((await cli(f, ['evidence', 'verify'])).code).toBe(0);
      // The structured log has one line per milestone with its phase, action and duration, and no secret.
      const log = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { phase?: string; action?: string; durationMs?: number; status?: string });
      expect(log.filter((l) => l.phase === 'milestone').map((l) => l.action)).toEqual([
        'bundle-synced', 'env-files-present', 'host-env-gates', 'key-image-builds', 'all-images-build', 'stack-starts', 'health-gate', 'proxy-tls', 'backup-runs', 'restore-rehearsal',
      ]);
      expect(log.every((l) => l.phase === undefined || typeof l.durationMs === 'number')).toBe(true);
      expect(readFileSync(logFile, 'utf8')).not.toContain(readFileSync(join(f.dir, 'server.env'), 'utf8').match(/API_SECRET=(\w+)/)![1]);
      // The env file went up with mode 0600 and its values appear nowhere in the output.
      expect(execFileSync('stat', ['-c', '%a', join(f.appDir, '.env')]).toString().trim()).toBe('600');
    });

    it('a second deploy of the same source changes nothing', async () => {
      const before = webContainer(f);
      const r = await cli(f, ['--json', 'deploy', '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'unchanged' });
      // How fast a no-op is, is a figure of bench/deploy.ts, not an assert here.
      expect(webContainer(f)).toEqual(before);
    });

    it('a release whose web exits is rolled back automatically; the old release keeps serving', async () => {
      release(f, 'B', 'exits');
      const r = await cli(f, ['--json', 'deploy', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stdout, r.stderr).not.toBe('');
      const out = JSON.parse(r.stdout) as { outcome: string; milestones: { number: number; status: string; reason?: string }[]; rollback: { healthy: boolean } };
      expect(out.outcome, r.stdout + r.stderr).toBe('rolled-back');
      const failed = out.milestones.find((m) => m.status === 'fail')!;
      expect([6, 7]).toContain(failed.number);
      expect(failed.reason).toMatch(/restarting|exited|timed out/);
      expect(out.rollback.healthy).toBe(true);
      expect(await served(f)).toBe('A');
      // The failed gate showed the container's logs to the operator.
      expect(r.stderr).toMatch(/broken on purpose/);
      const list = await cli(f, ['evidence', 'list']);
      expect(list.stdout).toMatch(/rollback\s+here\s+passed/);
      expect(list.stdout).toMatch(/milestone 7 health-gate\s+here\s+failed|milestone 6 stack-starts\s+here\s+failed/);
      expect((await cli(f, ['evidence', 'verify'])).code).toBe(0);
    });

    it('a release whose health endpoint is gone fails the gate and rolls back', async () => {
      release(f, 'C', 'no-healthz');
      const r = await cli(f, ['--json', 'deploy', '--yes']);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { outcome: string; milestones: { number: number; status: string; reason?: string }[] };
      expect(out.outcome, r.stdout + r.stderr).toBe('rolled-back');
      expect(out.milestones.find((m) => m.number === 7)).toMatchObject({ status: 'fail', reason: expect.stringMatching(/unhealthy|HTTP 404|timed out/) });
      expect(await served(f)).toBe('A');
    });

    it('two deploys at once: one is refused, naming the lock holder', async () => {
      release(f, 'D', 'ok');
      const [a, b] = await Promise.all([cli(f, ['deploy', '--yes', '-m', 'first']), cli(f, ['deploy', '--yes', '-m', 'second'])]);
      const codes = [a.code, b.code].sort();
      expect(codes, `first: ${a.stdout}${a.stderr}\nsecond: ${b.stdout}${b.stderr}`).toEqual([0, 1]);
      const refused = a.code === 1 ? a : b;
      expect(refused.stderr).toMatch(/Another deploy holds the lock on .*pid \d+/);
      expect(await served(f)).toBe('D');
      expect((await cli(f, ['lock', 'status'])).stdout.trim()).toBe('free');
    });

    it('rollback by hand goes to the newest healthy release before the current', async () => {
      const r = await cli(f, ['--json', 'rollback', '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'rolled-back', rollback: { healthy: true } });
      expect(await served(f)).toBe('A');
    });
  });
}
