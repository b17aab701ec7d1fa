// The site for the release tests (Docker; local and over SSH): a built web app that refuses to
// start with a wrong DB_PASSWORD, and a proxy from a published image bind-mounting a config file
// from the bundle; and the release scenarios every target must pass (describeReleaseBasics).
// deploy-releases-local / -ssh run those per target, deploy-releases-recovery the local-only ones,
// so the two vitest workers share the time.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cliEntry, runCli } from './cli.js';
import { removeAfterAll } from './docker-cleanup.js';
import { requireDocker, requireTestEnv } from './test-env.js';

export interface Site {
  kind: 'local' | 'ssh';
  project: string;
  dir: string;
  appDir: string;
  port: number;
  home: string;
  good: string;
  proxyImage: string;
}

export const docker = (...args: string[]): string => execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

export function serverEnv(s: Site, password: string): void {
  writeFileSync(join(s.dir, 'server.env'), `APP_IMAGE=${s.project}/web:latest\nPROXY_IMAGE=${s.proxyImage}\nWEB_PORT=${s.port}\nDB_PASSWORD=${password}\n`, { mode: 0o600 });
}

/** A project folder, a server folder and a home for one target kind; removed after the file's tests. */
export function makeSite(kind: 'local' | 'ssh'): Site {
  const env = requireTestEnv();
  requireDocker();
  const root = mkdtempSync(join(tmpdir(), `shipproof-releases-${kind}-`));
  const project = `sp-rel-${kind}-${randomBytes(3).toString('hex')}`;
  const s: Site = {
    kind,
    project,
    dir: join(root, 'project'),
    appDir: join(root, 'server'),
    port: 23000 + Math.floor(Math.random() * 20000),
    home: join(root, 'home'),
    good: `good-${randomBytes(12).toString('hex')}`,
    proxyImage: `${project}/proxy:1`,
  };
  mkdirSync(join(s.dir, 'app', 'www'), { recursive: true });
  mkdirSync(join(s.dir, 'proxy'), { recursive: true });
  // A published image we can re-point: first the offline busybox itself.
  docker('image', 'tag', 'shipproof-offline/busybox:1.35', s.proxyImage);
  writeFileSync(
    join(s.dir, 'compose.yaml'),
    `services:
  web:
    build: ./app
    image: \${APP_IMAGE}
    env_file: .env
    ports: ["127.0.0.1:\${WEB_PORT}:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 5
    restart: unless-stopped
  proxy:
    image: \${PROXY_IMAGE}
    command: ["sh", "-c", "cat /conf/site.conf >/dev/null && exec sleep 86400"]
    volumes:
      - ./proxy/site.conf:/conf/site.conf:ro
    restart: unless-stopped
`,
  );
  writeFileSync(join(s.dir, 'proxy', 'site.conf'), 'upstream web:8080\n');
  writeFileSync(join(s.dir, 'app', 'Dockerfile'), 'FROM shipproof-offline/busybox:1.35\nCOPY www /www\nCOPY start.sh /start.sh\nCMD ["sh", "/start.sh"]\n');
  // The app refuses to start with a wrong password (as a web app whose DATABASE_URL is wrong).
  writeFileSync(join(s.dir, 'app', 'start.sh'), 'case "$DB_PASSWORD" in good-*) ;; *) echo "cannot log in to the database" >&2; exit 3;; esac\nexec httpd -f -p 8080 -h /www\n');
  writeFileSync(join(s.dir, 'app', 'www', 'healthz'), '{"status":"ok"}\n');
  version(s, 'A');
  serverEnv(s, s.good);
  const target =
    kind === 'local'
      ? `  here:\n    host: local\n    appDir: ${s.appDir}\n`
      : `  here:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${s.appDir}\n`;
  writeFileSync(join(s.dir, 'shipproof.yaml'), config(s, target, '/healthz'));
  removeAfterAll(s.project, join(s.dir, '..'));
  return s;
}

/** shipproof.yaml of the site; healthTimeout is only a cap for a gate that passes, and the whole wait for one meant to fail. */
export function config(s: Site, target: string, healthPath: string, healthTimeout = '40s'): string {
  return `project: ${s.project}
defaultTarget: here
targets:
${target}envFiles:
  - path: .env
    required: [APP_IMAGE, WEB_PORT, DB_PASSWORD]
    source: server.env
health:
  - name: web
    url: http://127.0.0.1:${s.port}${healthPath}
    timeout: 2s
deploy:
  healthTimeout: ${healthTimeout}
  healthInterval: 1s
  stableChecks: 2
`;
}

export function version(s: Site, v: string): void {
  writeFileSync(join(s.dir, 'app', 'www', 'version'), `${v}\n`);
}

export async function served(s: Site): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${s.port}/version`).catch(() => undefined);
  return r?.ok ? (await r.text()).trim() : 'unreachable';
}

/** Waits until the site serves `v` (the gate passed before the CLI returned; this only absorbs the proxy's own latency). */
export async function servedEventually(s: Site, v: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const got = await served(s);
    if (got === v) return got;
    await new Promise((r) => setTimeout(r, 250));
  }
  return served(s);
}

export const cli = (s: Site, args: string[]) => runCli(args, { cwd: s.dir, env: { SHIPPROOF_HOME: s.home }, timeoutMs: 300_000 });

export function containers(s: Site): Record<string, { id: string; image: string }> {
  const ids = docker('ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${s.project}`).split('\n').filter(Boolean);
  const out: Record<string, { id: string; image: string }> = {};
  for (const id of ids) {
    const [svc, image] = docker('inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}} {{.Image}}', id).split(' ');
    out[svc!] = { id, image: image! };
  }
  return out;
}

/** Everything a dry run must leave alone: containers (id, state, start time), volumes, the files under appDir, release tags. */
export function snapshot(s: Site): string {
  const lines: string[] = [];
  const ids = docker('ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${s.project}`).split('\n').filter(Boolean).sort();
  for (const id of ids) lines.push(`container ${docker('inspect', '--format', '{{.Id}} {{.State.Status}} {{.State.StartedAt}} {{.Image}}', id)}`);
  lines.push(`volumes ${docker('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${s.project}`)}`);
  lines.push(`images ${docker('images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}').split('\n').filter((l) => l.includes(s.project)).sort().join(', ')}`);
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) lines.push(`link ${p} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        lines.push(`dir ${p} ${(st.mode & 0o7777).toString(8)}`);
        walk(p);
      } else lines.push(`file ${p} ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(s.appDir);
  return lines.join('\n');
}

/** Runs the CLI and sends `signal` when a line of its output matches `when`. */
export function interruptAt(s: Site, args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; out: string; seen: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: s.dir, env: { ...process.env, NO_COLOR: '1', SHIPPROOF_HOME: s.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let seen = false;
    const watch = (d: Buffer): void => {
      out += d.toString();
      if (!seen && when.test(out)) {
        seen = true;
        child.kill(signal);
      }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('close', (code) => resolve({ code, out, seen }));
  });
}

export interface StatusJson {
  health: string;
  current?: string;
  inProgress?: unknown;
  interrupted?: { release: string };
  down?: { running: string; recovery: string[] };
}

/** Deploys, failed gates and rollbacks on a loaded shared machine: a generous per-test limit. */
export function describeReleaseBasics(kind: 'local' | 'ssh'): void {
  vi.setConfig({ testTimeout: 400_000 });
  describe(`releases own what they run (${kind} target)`, () => {
    const s = makeSite(kind);
    let first: Record<string, { id: string; image: string }>;

    it('deploys a first release; every env file is the release own 0600 copy, bind mounts sit at content-addressed paths', async () => {
      const r = await cli(s, ['--json', 'deploy', '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await servedEventually(s, 'A')).toBe('A');
      first = containers(s);
      expect(Object.keys(first).sort()).toEqual(['proxy', 'web']);
      const live = readlinkSync(join(s.appDir, 'live'));
      const envCopy = join(s.appDir, live, '.env');
      expect(lstatSync(envCopy).isSymbolicLink()).toBe(false);
      expect((lstatSync(envCopy).mode & 0o777).toString(8)).toBe('600');
      const mount = docker('inspect', '--format', '{{range .Mounts}}{{.Source}}{{end}}', first.proxy!.id);
      expect(mount).toMatch(new RegExp(`^${s.appDir}/mounts/[0-9a-f]{32}-site\\.conf$`));
    });

    it('every --dry-run changes nothing (deploy, run, rollback), and rollback --dry-run asks nothing', async () => {
      version(s, 'B');
      const before = snapshot(s);
      const d = await cli(s, ['deploy', '--dry-run']);
      expect(d.code, d.stderr).toBe(0);
      expect(d.stdout).toMatch(/image of proxy: sha256:[0-9a-f]{64}/);
      expect((await cli(s, ['run', '6', '--dry-run'])).code).toBe(0);
      const rb = await cli(s, ['rollback', '--dry-run']);
      expect(rb.stdout + rb.stderr).not.toMatch(/\?\s*$/m);
      expect(snapshot(s)).toBe(before);
    });

    it('a code change to web recreates web only: the proxy keeps its container (its bind-mounted file did not change)', async () => {
      const r = await cli(s, ['--json', 'deploy', '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stderr).toMatch(/plan: proxy: unchanged/);
      expect(r.stderr).toMatch(/plan: web: recreated/);
      expect(await servedEventually(s, 'B')).toBe('B');
      const now = containers(s);
      expect(now.proxy!.id).toBe(first.proxy!.id);
      expect(now.web!.id).not.toBe(first.web!.id);
    });

    it('an env-only broken change fails, is rolled back with the OLD env, and the site answers again', async () => {
      const webBefore = containers(s).web!.id;
      serverEnv(s, `bad-${randomBytes(8).toString('hex')}`);
      try {
        const r = await cli(s, ['--json', 'deploy', '--yes']);
        expect(r.code).toBe(1);
        const out = JSON.parse(r.stdout) as { outcome: string; rollback?: { healthy: boolean } };
        expect(out.outcome, r.stdout + r.stderr).toBe('rolled-back');
        expect(out.rollback?.healthy).toBe(true);
        expect(await servedEventually(s, 'B')).toBe('B');
        const web = containers(s).web!.id;
        expect(web).not.toBe(webBefore); // it was recreated with the bad env, then again with the good one
        expect(execFileSync('docker', ['exec', web, 'sh', '-c', 'echo "${DB_PASSWORD%%-*}"']).toString().trim()).toBe('good');
        const live = readlinkSync(join(s.appDir, 'live'));
        expect(readFileSync(join(s.appDir, live, '.env'), 'utf8')).toContain(`DB_PASSWORD=${s.good}`);
      } finally {
        serverEnv(s, s.good);
      }
    });
  });
}
