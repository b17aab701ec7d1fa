// Releases that own everything they run, for real (Docker; local and over SSH): an env-only broken
// change rolls back with the OLD env; a code change to one service leaves the other container
// (a proxy bind-mounting a config file from the bundle) untouched; a moved published tag makes a
// new release, and a rollback after it runs the old image id; every --dry-run changes nothing; a
// rollback whose gate fails says DOWN in status and evidence; SIGINT at milestone boundaries and
// inside the health gate, and SIGKILL, converge with an honest record. Interruptions are timed by
// the CLI's own log lines, never by sleeps.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cliEntry, runCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();
// Deploys, failed gates and rollbacks on a loaded shared machine: a generous per-test limit.
vi.setConfig({ testTimeout: 400_000 });


interface Site {
  kind: 'local' | 'ssh';
  project: string;
  dir: string;
  appDir: string;
  port: number;
  home: string;
  good: string;
  proxyImage: string;
}

const docker = (...args: string[]): string => execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

function serverEnv(s: Site, password: string): void {
  writeFileSync(join(s.dir, 'server.env'), `APP_IMAGE=${s.project}/web:latest\nPROXY_IMAGE=${s.proxyImage}\nWEB_PORT=${s.port}\nDB_PASSWORD=${password}\n`, { mode: 0o600 });
}

function makeSite(kind: 'local' | 'ssh'): Site {
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
  return s;
}

function config(s: Site, target: string, healthPath: string): string {
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
  healthTimeout: 40s
  healthInterval: 1s
  stableChecks: 2
`;
}

function version(s: Site, v: string): void {
  writeFileSync(join(s.dir, 'app', 'www', 'version'), `${v}\n`);
}

async function served(s: Site): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${s.port}/version`).catch(() => undefined);
  return r?.ok ? (await r.text()).trim() : 'unreachable';
}

/** Waits until the site serves `v` (the gate passed before the CLI returned; this only absorbs the proxy's own latency). */
async function servedEventually(s: Site, v: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const got = await served(s);
    if (got === v) return got;
    await new Promise((r) => setTimeout(r, 250));
  }
  return served(s);
}

const cli = (s: Site, args: string[]) => runCli(args, { cwd: s.dir, env: { SHIPPROOF_HOME: s.home }, timeoutMs: 300_000 });

function containers(s: Site): Record<string, { id: string; image: string }> {
  const ids = docker('ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${s.project}`).split('\n').filter(Boolean);
  const out: Record<string, { id: string; image: string }> = {};
  for (const id of ids) {
    const [svc, image] = docker('inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}} {{.Image}}', id).split(' ');
    out[svc!] = { id, image: image! };
  }
  return out;
}

/** Everything a dry run must leave alone: containers (id, state, start time), volumes, the files under appDir, release tags. */
function snapshot(s: Site): string {
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
function interruptAt(s: Site, args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; out: string; seen: boolean }> {
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

interface StatusJson {
  health: string;
  current?: string;
  inProgress?: unknown;
  interrupted?: { release: string };
  down?: { running: string; recovery: string[] };
}

const sites: Site[] = [];
afterAll(() => {
  for (const s of sites) {
    const ids = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${s.project}`).split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', ...ids);
    const images = docker('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((i) => i.includes(s.project));
    if (images.length) execFileSync('docker', ['rmi', '-f', ...images], { stdio: 'pipe' });
    const nets = docker('network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${s.project}`).split('\n').filter(Boolean);
    if (nets.length) execFileSync('docker', ['network', 'rm', ...nets], { stdio: 'pipe' });
    rmSync(join(s.dir, '..'), { recursive: true, force: true });
  }
});

describe.each(['local', 'ssh'] as const)('releases own what they run (%s target)', (kind) => {
  const s = makeSite(kind);
  sites.push(s);
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

  it.runIf(kind === 'local')('a moved published tag makes a new release; a rollback after it runs the old image id again', async () => {
    const oldImage = containers(s).proxy!.image;
    const moved = join(s.dir, '..', 'moved');
    mkdirSync(moved, { recursive: true });
    writeFileSync(join(moved, 'Dockerfile'), `FROM shipproof-offline/busybox:1.35\nLABEL moved=${s.project}\n`);
    execFileSync('docker', ['build', '-q', '-t', s.proxyImage, moved], { stdio: 'pipe' });
    const newImage = docker('image', 'inspect', '--format', '{{.Id}}', s.proxyImage);
    expect(newImage).not.toBe(oldImage);
    const plan = await cli(s, ['deploy', '--dry-run']);
    expect(plan.stdout).toContain(`image of proxy: ${newImage}`);
    const r = await cli(s, ['--json', 'deploy', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'deployed' });
    expect(containers(s).proxy!.image).toBe(newImage);
    const back = await cli(s, ['--json', 'rollback', '--yes']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(containers(s).proxy!.image).toBe(oldImage);
    expect(await servedEventually(s, 'B')).toBe('B');
  });

  it.runIf(kind === 'local')('a rollback whose own gate fails: status and evidence say DOWN, exit non-zero, recovery commands printed', async () => {
    const target = `  here:\n    host: local\n    appDir: ${s.appDir}\n`;
    writeFileSync(join(s.dir, 'shipproof.yaml'), config(s, target, '/nothing-answers-here'));
    try {
      const r = await cli(s, ['--json', 'rollback', '--yes']);
      expect(r.code, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout) as { down?: { running: string; recovery: string[] } };
      expect(out.down?.running).toMatch(/^r-/);
      expect(out.down!.recovery.join('\n')).toMatch(/docker-compose --project-name .* up --detach/);
      const st = await cli(s, ['--json', 'status']);
      expect(st.code).toBe(1);
      expect(JSON.parse(st.stdout) as StatusJson).toMatchObject({ health: 'down', down: { running: out.down!.running } });
      const human = await cli(s, ['status']);
      expect(human.stdout).toMatch(/Stack: DOWN/);
      expect(human.stdout).not.toMatch(/\(last good\)/);
      const list = await cli(s, ['evidence', 'list']);
      expect(list.stdout).toMatch(/rollback\s+here\s+failed/);
    } finally {
      writeFileSync(join(s.dir, 'shipproof.yaml'), config(s, target, '/healthz'));
    }
    const healed = await cli(s, ['--json', 'deploy', '--yes']);
    expect(healed.code, healed.stderr + healed.stdout).toBe(0);
    expect((JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson).health).toBe('healthy');
  });

  it.runIf(kind === 'local').each([
    ['before the stack changes (milestone 3)', /milestone 3:/],
    ['at the milestone 6 boundary', /milestone 6:/],
    ['inside the health gate', /milestone 7:/],
  ])('SIGINT %s: rolled back or untouched, recorded, lock free, old release serving', async (_what, when) => {
    const was = await served(s);
    version(s, `I${randomBytes(2).toString('hex')}`);
    const r = await interruptAt(s, ['deploy', '--yes'], when, 'SIGINT');
    expect(r.seen).toBe(true);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/interrupted by SIGINT/);
    expect(await servedEventually(s, was)).toBe(was);
    const st = JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson;
    expect(st.health).toBe('healthy');
    expect(st.inProgress).toBeUndefined();
    expect(st.interrupted).toBeUndefined();
    expect((await cli(s, ['lock', 'status'])).stdout.trim()).toBe('free');
    expect((await cli(s, ['evidence', 'verify'])).code).toBe(0);
    const list = await cli(s, ['evidence', 'list']);
    expect(list.stdout.trim().split('\n').pop()).toMatch(/deploy\s+here\s+error/);
  });

  it.runIf(kind === 'local')('SIGKILL inside the health gate: status says interrupted and not gated (never "in progress"), the next deploy converges', async () => {
    version(s, 'K');
    const r = await interruptAt(s, ['deploy', '--yes'], /milestone 7:/, 'SIGKILL');
    expect(r.seen).toBe(true);
    const st = await cli(s, ['--json', 'status']);
    const status = JSON.parse(st.stdout) as StatusJson;
    expect(status.inProgress).toBeUndefined();
    expect(status.interrupted?.release).toMatch(/^r-/);
    expect(status.health).toBe('ungated');
    const again = await cli(s, ['--json', 'deploy', '--yes']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(await servedEventually(s, 'K')).toBe('K');
    expect((JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson).health).toBe('healthy');
    expect((await cli(s, ['evidence', 'verify'])).code).toBe(0);
  });
});
