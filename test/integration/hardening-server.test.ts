// Issue 10 items 4, 7 and 12 through the real CLI, against real servers (the test sshd and the
// local Docker engine): BuildKit's per-Dockerfile ignore file keeps a file out of the upload and
// the image; a BOM-prefixed uploaded env file passes milestone 2 with its first key read; the
// deploy lock's holder.json on the server holds no secret typed into --message; and the failed
// gate's log tail shows a container's output without the literal compose `environment:` value it
// printed. No planted secret — nor its base64, URL-encoded or JSON-escaped form — in any output
// or file.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { removeComposeProject } from '../helpers/docker-cleanup.js';
import { claimedForms, leaksIn } from '../helpers/redact-corpus.js';
import { requireDocker, requireTestEnv, sshTargetYaml } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();

const STACK = /\n\s+at .*\.(ts|js):\d+/;
const root = mkdtempSync(join(tmpdir(), 'shipproof-hard-srv-'));
const tag = randomBytes(3).toString('hex');
const ENV_SECRET = `Ev${randomBytes(16).toString('hex')}`;
const TYPED_SECRET = `Zk${randomBytes(12).toString('hex')}`;
const GREETING = `Gv${randomBytes(16).toString('hex')}`;
const IGNORED_CONTENT = `ignored-${randomBytes(8).toString('hex')}`;
const needles = [ENV_SECRET, TYPED_SECRET, GREETING].flatMap((s) => [...claimedForms(s), JSON.stringify(s).slice(1, -1)]);
const outputs: CliResult[] = [];
const projects: string[] = [];

afterAll(() => {
  for (const p of projects) removeComposeProject(p);
  rmSync(root, { recursive: true, force: true });
});

function project(name: string, files: Record<string, string>, config: (appDir: string) => string): { dir: string; appDir: string; project: string; cli: (args: string[], timeoutMs?: number) => Promise<CliResult> } {
  const dir = join(root, name, 'project');
  const appDir = join(root, name, 'server');
  const p = `sp-hs${name}-${tag}`;
  projects.push(p);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text, { mode: file.endsWith('.env') ? 0o600 : 0o644 });
  }
  writeFileSync(join(dir, 'shipproof.yaml'), `project: ${p}\nevidence: evidence\n${config(appDir)}`);
  const home = join(root, name, 'home');
  return {
    dir,
    appDir,
    project: p,
    cli: async (args, timeoutMs) => {
      const r = await runCli(args, { cwd: dir, env: { SHIPPROOF_HOME: home }, timeoutMs: timeoutMs ?? 300_000 });
      outputs.push(r);
      expect(r.stderr).not.toMatch(STACK);
      return r;
    },
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

const sshTarget = (appDir: string) => `defaultTarget: box\ntargets:\n  box:\n${sshTargetYaml(env, appDir)}`;

describe('item 7: BuildKit per-Dockerfile ignore file, through a real deploy', () => {
  const p = project(
    'ign',
    {
      'compose.yaml': `services:\n  web:\n    build:\n      context: app\n      dockerfile: Dockerfile.prod\n    image: sp-hsign-${tag}:latest\n    command: ["sleep", "100000"]\n    restart: unless-stopped\n`,
      'app/Dockerfile.prod': 'FROM shipproof-offline/busybox:1.35\nCOPY . /app/\n',
      // Wins over .dockerignore (BuildKit's rule), so other.txt is sent although .dockerignore names it.
      'app/Dockerfile.prod.dockerignore': 'secret.txt\n',
      'app/.dockerignore': 'other.txt\n',
      'app/secret.txt': IGNORED_CONTENT,
      'app/other.txt': 'sent',
      'app/main.txt': 'main',
    },
    (appDir) => `${sshTarget(appDir)}deploy:\n  healthTimeout: 60s\n  healthInterval: 1s\n  stableChecks: 2\n`,
  );

  it('deploy over SSH: the release on the server and the built image lack the ignored file', async () => {
    const r = await p.cli(['--json', 'deploy', '--yes'], 600_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const releases = readdirSync(join(p.appDir, 'releases')).filter((n) => !n.endsWith('.partial'));
    expect(releases).toHaveLength(1);
    const rel = join(p.appDir, 'releases', releases[0] as string, 'app');
    expect(readdirSync(rel).sort()).toEqual(['.dockerignore', 'Dockerfile.prod', 'Dockerfile.prod.dockerignore', 'main.txt', 'other.txt']);
    for (const f of filesUnder(p.appDir)) expect(readFileSync(f, 'latin1'), f).not.toContain(IGNORED_CONTENT);
    const container = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${p.project}`, '--filter', 'label=com.docker.compose.service=web']).toString().trim();
    expect(container).not.toBe('');
    const inImage = execFileSync('docker', ['exec', container, 'ls', '-a', '/app']).toString().split('\n').filter((n) => n && n !== '.' && n !== '..').sort();
    expect(inImage).not.toContain('secret.txt');
    // other.txt travels (BuildKit's rule: the Dockerfile's own ignore file replaces .dockerignore),
    // but this server has only the classic builder (no buildx), which reads .dockerignore and so
    // leaves it out of the image; the release holds what either builder needs.
    expect(inImage).toContain('main.txt');
  });
});

describe('item 12: a BOM in an uploaded env file, milestone 2 over SSH', () => {
  const p = project(
    'bom',
    {
      'compose.yaml': 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    env_file: .env\n',
      'server.env': `\ufeffAPI_TOKEN=${ENV_SECRET}\nMODE=prod\n`,
    },
    (appDir) => `${sshTarget(appDir)}envFiles:\n  - path: .env\n    source: server.env\n    required: [API_TOKEN, MODE]\n`,
  );

  it('check passes, and run 2 uploads it and finds the first key (the one behind the BOM)', async () => {
    const c = await p.cli(['check']);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    const r = await p.cli(['--json', 'run', '2', '--yes', '--force', 'integration test of item 12']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { milestones?: { number: number; status: string; reason?: string }[]; status?: string };
    const m2 = out.milestones?.find((m) => m.number === 2);
    expect(m2?.status ?? out.status, r.stdout).toMatch(/pass/);
    expect(r.stdout + r.stderr).not.toMatch(/API_TOKEN.{0,40}(missing|not set)/i);
    // Compose reads it on the server as it is.
    expect(readFileSync(join(p.appDir, '.env'), 'utf8')).toBe(`\ufeffAPI_TOKEN=${ENV_SECRET}\nMODE=prod\n`);
  });
});

describe('item 4: the lock holder on the server, and the failed gate\'s log tail', () => {
  it('lock acquire --message with a typed token and a known env value: holder.json on the server holds neither', async () => {
    const p = project(
      'lock',
      { 'compose.yaml': 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    env_file: .env\n', '.env': `API_TOKEN=${ENV_SECRET}\n` },
      (appDir) => sshTarget(appDir),
    );
    const message = `hotfix: rotating api_token=${TYPED_SECRET}, old value ${ENV_SECRET}`;
    const a = await p.cli(['lock', 'acquire', '--message', message]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const holder = filesUnder(p.appDir).find((f) => f.endsWith('/lock/holder.json'));
    expect(holder, filesUnder(p.appDir).join('\n')).toBeDefined();
    const text = readFileSync(holder as string, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ message: expect.stringContaining('hotfix: rotating') });
    expect(leaksIn(text, needles)).toEqual([]);
    const s = await p.cli(['--json', 'lock', 'status']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(s.stdout))).toContain('hotfix: rotating');
    const human = await p.cli(['lock', 'status']);
    expect(human.stdout).toContain('hotfix: rotating');
    // A deploy meanwhile is refused, naming the holder and its (redacted) message.
    const d = await p.cli(['deploy', '--yes']);
    expect(d.code).not.toBe(0);
    expect(d.stdout + d.stderr).toMatch(/hotfix: rotating/);
    const rel = await p.cli(['lock', 'release', '--force']);
    expect(rel.code, rel.stderr).toBe(0);
  });

  it('a failed gate shows the container log tail without the literal environment: value it printed', async () => {
    const p = project(
      'gate',
      {
        'compose.yaml': `services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    environment:\n      GREETING: ${GREETING}\n    command: ["sh", "-c", "echo \\"starting with greeting $$GREETING\\"; echo \\"broken on purpose\\" >&2; exit 3"]\n    restart: unless-stopped\n`,
      },
      (appDir) => `defaultTarget: here\ntargets:\n  here:\n    host: local\n    appDir: ${appDir}\ndeploy:\n  healthTimeout: 20s\n  healthInterval: 1s\n  stableChecks: 2\n`,
    );
    const r = await p.cli(['deploy', '--yes'], 600_000);
    expect(r.code).toBe(1);
    // The operator sees the log tail (so the value would have been there) — redacted.
    expect(r.stderr).toMatch(/broken on purpose/);
    expect(r.stderr).toMatch(/starting with greeting \[REDACTED/);
    const j = await p.cli(['--json', 'status']);
    expect(() => JSON.parse(j.stdout) as unknown).not.toThrow();
    for (const f of filesUnder(join(p.dir, 'evidence'))) expect(leaksIn(readFileSync(f, 'utf8'), needles), f).toEqual([]);
    // The compose file itself carries the literal (compose needs it); nothing else on the server does.
    for (const f of filesUnder(p.appDir).filter((x) => !/\/releases\/[^/]+\/compose\.yaml$/.test(x))) expect(leaksIn(readFileSync(f, 'latin1'), needles), f).toEqual([]);
  });
});

describe('no planted secret anywhere', () => {
  it('in any output of this file', () => {
    expect(outputs.length).toBeGreaterThan(5);
    for (const r of outputs) expect(leaksIn(r.stdout + r.stderr, needles)).toEqual([]);
  });
});
