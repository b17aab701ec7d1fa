// The swarm target on a real single-node Swarm (scripts/setup/swarm.sh: a dockerd in its own network
// namespace, `docker swarm init`, an sshd on 2224 whose sessions point DOCKER_HOST at it). A small
// stack (a built web service with an env file and a healthcheck, Caddy in front with a bind-mounted
// Caddyfile): webapp itself needs PostgreSQL with its data on one node, environment: values and
// the webapp image build, which this slice does not carry to Swarm yet.
// Proves: check names what Swarm ignores/rejects at file:line; a deploy converges and every task
// runs the pinned image id; a changed env file becomes a new secret name, replaced start-first with
// no failed request at 50 req/s through Caddy; a
// broken release is rolled back by Swarm, which shipproof reads from UpdateStatus (docker stack
// deploy exits 0), reports milestone 6 failed and the last good release serving; evidence verifies.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { startLoad } from '../helpers/load-loop.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();
const SWARM_FILE = `${process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test'}/swarm.env`;
function swarmEnv(): Record<string, string> {
  try {
    return Object.fromEntries(readFileSync(SWARM_FILE, 'utf8').split('\n').flatMap((l) => (/^([A-Z0-9_]+)=(.*)$/.exec(l.trim()) ? [[RegExp.$1, RegExp.$2]] : [])));
  } catch {
    throw new Error(`The swarm test engine is missing (${SWARM_FILE}). Run \`sudo bash scripts/setup/swarm.sh\` (after scripts/setup-test-env.sh).`);
  }
}
const sw = swarmEnv();
const NODE_IP = sw['SHIPPROOF_TEST_SWARM_NODE_IP'] as string;
const PORT = 18381;
const STACK = 'spswtest';
const swDocker = (...args: string[]): string => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: sw['SHIPPROOF_TEST_SWARM_DOCKER_HOST'] as string } }).toString().trim();

const dir = mkdtempSync(path.join(tmpdir(), 'sp-swarm-'));
const home = path.join(dir, 'home');
const appDir = `/tmp/sp-swarm-app-${process.pid}`;
mkdirSync(path.join(dir, 'web'), { recursive: true });
const GREETING = 'greeting-value-7c41d9a0b2e5';

const COMPOSE = `services:
  web:
    build: ./web
    image: spswtest-web
    command: ["sh", "-c", "if [ -n \\"$$GREETING\\" ]; then echo set > /www/env.txt; fi; exec httpd -f -p 8080 -h /www"]
    env_file: web.env
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/index.html"]
      interval: 1s
      timeout: 2s
      retries: 2
    restart: unless-stopped
  proxy:
    image: shipproof-offline/caddy:2
    container_name: spswtest-proxy
    ports:
      - "${PORT}:80"
    volumes:
      - ./Caddyfile:/etc/caddy/Caddyfile:ro
    depends_on:
      web:
        condition: service_healthy
    restart: unless-stopped
`;

function writeRelease(label: string, o: { broken?: boolean; greeting?: string } = {}): void {
  writeFileSync(
    path.join(dir, 'web', 'Dockerfile'),
    `FROM shipproof-offline/busybox:1.35\nRUN mkdir -p /www${o.broken ? '' : ` && echo "release ${label}" > /www/index.html`}\n`,
  );
  writeFileSync(path.join(dir, 'web.env'), `GREETING=${o.greeting ?? GREETING}\n`, { mode: 0o600 });
}

writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
writeRelease('A');
writeFileSync(path.join(dir, 'Caddyfile'), ':80 {\n  reverse_proxy web:8080\n}\n');
writeFileSync(
  path.join(dir, 'shipproof.yaml'),
  `project: ${STACK}
defaultTarget: swarm
targets:
  swarm:
    kind: swarm
    host: ssh://${env.sshUser}@${env.sshHost}:${sw['SHIPPROOF_TEST_SWARM_SSH_PORT']}
    identity: ${env.sshKey}
    knownHosts: ${sw['SHIPPROOF_TEST_SWARM_KNOWN_HOSTS']}
    appDir: ${appDir}
envFiles:
  - path: web.env
    source: web.env
    required: [GREETING]
health:
  - name: web
    url: http://${NODE_IP}:${PORT}/index.html
    body: release
  - name: env
    url: http://${NODE_IP}:${PORT}/env.txt
    body: set
deploy:
  healthTimeout: 30s
  healthInterval: 500ms
swarm:
  monitor: 3s
  convergeTimeout: 120s
`,
);

const { cli, outputs, json: parse } = recordingCli({ cwd: dir, env: { SHIPPROOF_HOME: home }, timeoutMs: 300_000 });
const json = async <T>(args: string[]): Promise<T> => parse<T>(await cli(['--json', ...args]));

interface Status {
  current?: string;
  lastGood?: string;
  services: { name: string; image: string; update: string | null; tasks: { state: string; image: string; imageId: string | null; health: string | null }[] }[];
}
interface Deployed {
  release: string;
  outcome: string;
  milestones: { number: number; status: string; reason?: string }[];
  rollback?: { from: string; to: string | null; healthy: boolean };
  exitCode: number;
}

async function serving(): Promise<string> {
  const r = await fetch(`http://${NODE_IP}:${PORT}/index.html`);
  return (await r.text()).trim();
}

function secretsOfStack(): string[] {
  return swDocker('secret', 'ls', '--filter', `label=dev.shipproof.stack=${STACK}`, '--format', '{{.Name}}').split('\n').filter(Boolean).sort();
}

/** Every running task's container runs the image id its service spec pins (single node: all tasks are here). */
function expectPinned(s: Status): void {
  for (const svc of s.services) {
    expect(svc.tasks.length, svc.name).toBeGreaterThan(0);
    const want = swDocker('image', 'inspect', '--format', '{{.Id}}', svc.image);
    for (const t of svc.tasks) {
      expect(t.state).toBe('running');
      expect(t.image).toBe(svc.image);
      expect(t.imageId, `${svc.name} task runs the pinned image`).toBe(want);
    }
  }
}

afterAll(() => {
  try {
    swDocker('stack', 'rm', STACK);
  } catch {
    /* not deployed */
  }
  // Secrets and configs still in use are removed once the stack's tasks are gone.
  for (let i = 0; i < 60; i++) {
    try {
      if (swDocker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`) === '') break;
    } catch {
      break;
    }
    execFileSync('sleep', ['0.5']);
  }
  for (const kind of ['secret', 'config']) {
    const names = swDocker(kind, 'ls', '--filter', `label=dev.shipproof.stack=${STACK}`, '--format', '{{.Name}}').split('\n').filter(Boolean);
    if (names.length) swDocker(kind, 'rm', ...names);
  }
  // Per-release tags shipproof made on the swarm engine (built images, and pins of published ones).
  const tags = swDocker('images', '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter((t) => t.startsWith('spswtest-web:') || /^shipproof-offline\/caddy:sp-[0-9a-f]{12}$/.test(t));
  if (tags.length) swDocker('rmi', ...tags);
  const local = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'spswtest-web']).toString().split('\n').filter(Boolean);
  if (local.length) execFileSync('docker', ['rmi', ...local]);
  execFileSync('sh', ['-c', `rm -rf -- '${appDir}'`]);
  rmSync(dir, { recursive: true, force: true });
});

describe('swarm target (single-node swarm in its own network namespace)', () => {
  it('check names what Swarm ignores or rejects, at file:line, and how shipproof handles it', async () => {
    const r = await cli(['check']);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/compose\.yaml:3:\d+: swarm ignores web\.build \(converted\)/);
    expect(text).toMatch(/compose\.yaml:\d+:\d+: swarm rejects proxy\.depends_on \(converted\): .*health gate/);
    expect(text).toMatch(/swarm ignores proxy\.container_name \(dropped\)/);
    expect(text).toMatch(/swarm ignores web\.restart \(converted\): .*restart_policy \(condition any\)/);
  });

  let first: Deployed;
  it('deploys: converges by UpdateStatus and tasks, every task on the pinned image, probes pass', async () => {
    writeRelease('A');
    first = await json<Deployed>(['deploy', '--yes']);
    expect(first.exitCode, JSON.stringify(first)).toBe(0);
    expect(first.outcome).toBe('deployed');
    expect(first.milestones.map((m) => `${m.number}:${m.status}`)).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass']);
    expect(await serving()).toBe('release A');
    const s = await json<Status>(['status']);
    expect(s.current).toBe(first.release);
    expectPinned(s);
    expect(s.services.find((x) => x.name === `${STACK}_web`)!.image).toMatch(/^spswtest-web:sp-[0-9a-f]{12}$/);
  });

  let second: Deployed;
  it('a changed env file rotates by a new secret name; the previous release keeps its own', async () => {
    const before = secretsOfStack();
    expect(before).toHaveLength(1);
    writeRelease('B', { greeting: 'another-greeting-93b1f0c4' });
    // 50 requests/s through Caddy while web is replaced start-first.
    const load = startLoad(`http://${NODE_IP}:${PORT}/index.html`, 50, { timeoutMs: 10_000 });
    await load.succeeded(25);
    second = await json<Deployed>(['deploy', '--yes']);
    const report = await load.stop();
    console.log(`swarm start-first at 50 req/s: ${JSON.stringify(report)}`);
    expect(second.exitCode, JSON.stringify(second)).toBe(0);
    expect(report.bodies['release B'] ?? 0, 'the new release served during the load').toBeGreaterThan(0);
    expect(report.failed, JSON.stringify(report.failures)).toBe(0);
    // Swarm cannot change a secret's data: the new value is a new name; the previous release's
    // secret stays (a rollback to it needs it) and is pruned once it is two releases back.
    const after = secretsOfStack();
    expect(after).toHaveLength(2);
    expect(after).toContain(before[0]);
    const fresh = after.find((n) => n !== before[0])!;
    expect(fresh).toMatch(new RegExp(`^${STACK}_web_env_[0-9a-f]{12}$`));
    const web = swDocker('service', 'inspect', '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}', `${STACK}_web`);
    expect(web).toBe(fresh);
    expect(await serving()).toBe('release B');
    expectPinned(await json<Status>(['status']));
  });

  it('a broken release: Swarm rolls it back, shipproof reads that from UpdateStatus, fails milestone 6 and returns the stack to the last good release', async () => {
    writeRelease('C', { broken: true, greeting: 'another-greeting-93b1f0c4' });
    const r = await json<Deployed>(['deploy', '--yes']);
    expect(r.exitCode).toBe(1);
    expect(r.outcome).toBe('rolled-back');
    const m6 = r.milestones.find((m) => m.number === 6)!;
    expect(m6.status).toBe('fail');
    expect(m6.reason).toMatch(/rolled the update back \(rollback_completed\)|rolling the update back/);
    expect(r.rollback).toEqual({ from: r.release, to: second.release, healthy: true });
    expect(await serving()).toBe('release B');
    const s = await json<Status>(['status']);
    expect(s.current).toBe(second.release);
    expect(s.lastGood).toBe(second.release);
    expectPinned(s);
  });

  it('the evidence chain verifies, and no secret value reached any output', async () => {
    const v = await cli(['evidence', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    for (const o of outputs) {
      expect(o.stdout + o.stderr).not.toContain(GREETING);
      expect(o.stdout + o.stderr).not.toContain('another-greeting-93b1f0c4');
    }
  });
});
