// The cut-over against real Docker, Compose and Caddy, under load: a small purpose-built stack
// (Caddy in front of a busybox httpd "web", plus a "worker"), 50 GET/s through Caddy on loopback
// while a release changes. A cut-over must lose no request, a release that fails its gate must
// lose none and leave the old serving, and a forced recreate (the control) must lose some: it
// proves the load would have seen a gap.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCommand, type ComposeContext } from '../../src/docker/commands.js';
import { runCutover } from '../../src/cutover/run.js';
import type { CutoverInput, CutoverOutcome, CutoverRun, ServiceFacts } from '../../src/cutover/types.js';
import { LocalTarget } from '../../src/targets/local.js';
import { startLoad, type LoadReport } from '../helpers/load-loop.js';
import { requireDocker } from '../helpers/test-env.js';

requireDocker();

const BUSYBOX = process.env.SHIPPROOF_BUSYBOX_IMAGE ?? 'shipproof-offline/busybox:1.35';
const CADDY = process.env.SHIPPROOF_CADDY_IMAGE ?? 'shipproof-offline/caddy:2';
const RATE = 50;
const LOAD_REQUESTS = RATE * 20;

// httpd serves /version; a release named "bad" has no /healthz, so its healthcheck never passes.
// The shell traps SIGTERM so `docker stop` ends it at once instead of after the grace period.
const WEB_SCRIPT =
  'mkdir -p /www && echo "$$VERSION" > /www/version && if [ "$$VERSION" != bad ]; then echo ok > /www/healthz; fi; ' +
  'httpd -f -p 8080 -h /www & pid=$$!; trap "kill $$pid; exit 0" TERM; wait';
const compose = (version: string, port: number): string => `services:
  web:
    image: ${BUSYBOX}
    command: ["sh", "-c", ${JSON.stringify(WEB_SCRIPT)}]
    environment:
      VERSION: "${version}"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      timeout: 2s
      retries: 3
  worker:
    image: ${BUSYBOX}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      VERSION: "${version}"
  caddy:
    image: ${CADDY}
    ports: ["127.0.0.1:${port}:80"]
    volumes: ["./Caddyfile:/etc/caddy/Caddyfile:ro"]
    depends_on: [web]
`;
const CADDYFILE = ':80 {\n\treverse_proxy web:8080\n}\n';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const target = new LocalTarget();
const run: CutoverRun = (argv, o) => target.exec(argv, { reject: false, timeoutMs: o?.timeoutMs ?? 120_000, ...(o?.stdin !== undefined ? { stdin: o.stdin } : {}) });
const project = `sp-cutover-${randomBytes(3).toString('hex')}`;
const root = `/tmp/${project}`;
let port = 0;

function release(version: string): ComposeContext {
  const dir = `${root}/releases/${version}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/compose.yaml`, compose(version, port));
  writeFileSync(`${dir}/Caddyfile`, CADDYFILE);
  return { flavor: 'v1', project, files: [`${dir}/compose.yaml`], projectDir: dir };
}

const web: ServiceFacts = { name: 'web', publishesPorts: false, stateful: false, healthcheck: true, replicas: 1, proxiedPort: 8080, stopFirst: false };
const worker: ServiceFacts = { name: 'worker', publishesPorts: false, stateful: false, healthcheck: false, replicas: 1, stopFirst: false };
const input = (ctx: ComposeContext, service: ServiceFacts): CutoverInput => ({
  run,
  compose: ctx,
  service,
  proxyService: 'caddy',
  gate: { timeoutMs: 30_000, intervalMs: 500, stableChecks: 2, probes: [{ name: 'healthz', path: '/healthz', status: 200, body: 'ok', timeoutMs: 5_000 }] },
  drainTimeoutMs: 10_000,
});

/** Runs `change` while 50 GET/s go through Caddy, for at least 20 s of load. */
async function underLoad<T>(change: () => Promise<T>): Promise<{ result: T; load: LoadReport }> {
  const load = startLoad(`http://127.0.0.1:${port}/version`, RATE, { timeoutMs: 10_000 });
  await load.succeeded(25);
  const result = await change();
  await load.sent(LOAD_REQUESTS);
  const report = await load.stop();
  console.log(JSON.stringify(report));
  return { result, load: report };
}

async function serviceIds(service: string): Promise<string[]> {
  const r = await run(['docker', 'ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`]);
  return r.stdout.split('\n').filter(Boolean);
}

describe('cut-over under load (local target, Compose v1, Caddy)', () => {
  beforeAll(async () => {
    port = await freePort();
    const r1 = release('v1');
    const up = await run(composeCommand(r1, ['up', '--detach']), { timeoutMs: 180_000 });
    expect(up.exitCode, up.stderr).toBe(0);
    // Ready when Caddy answers with the first release.
    const load = startLoad(`http://127.0.0.1:${port}/version`, 20);
    await load.succeeded(3);
    await load.stop();
  });
  afterAll(async () => {
    const dir = `${root}/releases/v1`;
    await run(composeCommand({ flavor: 'v1', project, files: [`${dir}/compose.yaml`], projectDir: dir }, ['down', '--volumes', '--timeout', '1']));
    rmSync(root, { recursive: true, force: true });
    await target.close();
  });

  let v2: CutoverOutcome[] = [];
  it('a new release of web (start-first) and worker (start new, stop old): no request fails', async () => {
    const oldWeb = await serviceIds('web');
    const r2 = release('v2');
    const { result, load } = await underLoad(async () => [await runCutover(input(r2, web)), await runCutover(input(r2, worker))]);
    v2 = result;
    const [w, k] = result;
    expect(w).toMatchObject({ service: 'web', method: 'start-first', ok: true, proxy: 'pinned', oldKept: false });
    expect(k).toMatchObject({ service: 'worker', method: 'start-new-stop-old', ok: true });
    expect(load.failed, JSON.stringify(load)).toBe(0);
    expect(load.sent).toBeGreaterThanOrEqual(LOAD_REQUESTS);
    // Both releases answered during the run: the switch happened under load.
    expect(load.bodies.v1).toBeGreaterThan(0);
    expect(load.bodies.v2).toBeGreaterThan(0);
    const nowWeb = await serviceIds('web');
    expect(nowWeb).toEqual(w!.newContainers);
    expect(nowWeb.some((id) => oldWeb.includes(id))).toBe(false);
    expect(w!.sideBySideMs).toBeGreaterThan(0);
    expect(w!.drain).toMatchObject({ observed: true, requestsAtStop: 0 });
    // The proxy has the user's Caddyfile again (Docker DNS routing) and was never restarted.
    const adapted = await run(['docker', 'exec', (await serviceIds('caddy'))[0]!, 'caddy', 'adapt', '--config', '/etc/caddy/Caddyfile']);
    expect(adapted.stdout).toContain('"dial":"web:8080"');
  });

  it('a release that fails its gate is removed; no request fails and the old keeps serving', async () => {
    expect(v2[0]?.ok).toBe(true);
    const before = await serviceIds('web');
    const bad = release('bad');
    const { result, load } = await underLoad(() => runCutover(input(bad, web)));
    expect(result).toMatchObject({ ok: false, oldKept: true, method: 'start-first' });
    expect(result.failure).toMatch(/failed the gate/);
    expect(load.failed, JSON.stringify(load)).toBe(0);
    expect(Object.keys(load.bodies)).toEqual(['v2']);
    expect(await serviceIds('web')).toEqual(before);
  });

  it('control: a forced recreate under the same load loses requests, so the zeros above are not vacuous', async () => {
    const v4 = release('v4');
    const { result, load } = await underLoad(() => runCutover({ ...input(v4, web), forceRecreate: true }));
    expect(result).toMatchObject({ ok: true, method: 'recreate' });
    expect(load.failed).toBeGreaterThan(0);
  });
});
