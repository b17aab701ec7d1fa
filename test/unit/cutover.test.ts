import { describe, expect, it } from 'vitest';
import { adminEndpoint, caddyfilePortFor, caddyInvocation, dialedHosts, pinUpstreams, requestsInFlight, switchUpstreams, withGracePeriod } from '../../src/cutover/caddy.js';
import { decideMethod, serviceFacts } from '../../src/cutover/classify.js';
import {
  caddyAdaptCommand,
  caddyLoadStdinCommand,
  caddyReloadFileCommand,
  recreateCommand,
  removeContainersCommand,
  scaleUpCommand,
  serviceContainerIdsCommand,
  stopContainersCommand,
  caddyUpstreamsCommand,
  listenerMigrationEnableCommand,
  listenerMigrationReadCommand,
} from '../../src/cutover/commands.js';
import { matchesPlanned, planServiceCutover } from '../../src/cutover/plan.js';
import { runCutover } from '../../src/cutover/run.js';
import type { CutoverInput, ServiceFacts } from '../../src/cutover/types.js';
import { FakeDockerHost, type FakeOptions } from '../helpers/fake-docker-host.js';

const v1 = { flavor: 'v1' as const, project: 'shop', files: ['/srv/shop/releases/r2/compose.yaml'], projectDir: '/srv/shop/releases/r2', envFiles: ['/srv/shop/releases/r2/.env'] };
const v2 = { ...v1, flavor: 'v2' as const };

const caddyConfig = {
  apps: {
    http: {
      servers: {
        srv0: {
          listen: [':443'],
          routes: [
            { match: [{ host: ['localhost'] }], handle: [{ handler: 'subroute', routes: [{ handle: [{ handler: 'encode' }, { handler: 'reverse_proxy', upstreams: [{ dial: 'web:8080' }, { dial: 'other:9000' }] }] }] }] },
          ],
        },
      },
    },
  },
};

describe('cut-over command builders', () => {
  it('finds a service by compose labels, never by name', () => {
    expect(serviceContainerIdsCommand('shop', 'web')).toEqual([
      'docker', 'ps', '--quiet', '--no-trunc',
      '--filter', 'label=com.docker.compose.project=shop',
      '--filter', 'label=com.docker.compose.service=web',
      '--filter', 'label=com.docker.compose.oneoff=False',
    ]);
  });
  it('scales up beside the old containers without recreating them (v1 and v2)', () => {
    expect(scaleUpCommand(v1, 'web', 2)).toEqual([
      'docker-compose', '--project-name', 'shop', '--project-directory', '/srv/shop/releases/r2', '--file', '/srv/shop/releases/r2/compose.yaml', '--env-file', '/srv/shop/releases/r2/.env',
      'up', '--detach', '--no-deps', '--no-build', '--no-recreate', '--scale', 'web=2', 'web',
    ]);
    expect(scaleUpCommand(v2, 'web', 4).slice(0, 2)).toEqual(['docker', 'compose']);
    expect(recreateCommand(v2, 'db', 1).slice(10)).toEqual(['up', '--detach', '--no-deps', '--no-build', '--scale', 'db=1', 'db']);
    expect(recreateCommand(v2, 'web', 1, true).slice(10)).toEqual(['up', '--detach', '--no-deps', '--no-build', '--force-recreate', '--scale', 'web=1', 'web']);
  });
  it('stops with a grace period, removes, and talks to Caddy through docker exec', () => {
    expect(stopContainersCommand(['a', 'b'], 29.2)).toEqual(['docker', 'stop', '--time', '30', 'a', 'b']);
    expect(removeContainersCommand(['a'])).toEqual(['docker', 'rm', 'a']);
    expect(caddyAdaptCommand('px', '/etc/caddy/Caddyfile')).toEqual(['docker', 'exec', 'px', 'caddy', 'adapt', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile']);
    expect(caddyLoadStdinCommand('px')).toEqual(['docker', 'exec', '--interactive', 'px', 'caddy', 'reload', '--config', '/dev/stdin', '--force']);
    expect(caddyReloadFileCommand('px', '/etc/caddy/Caddyfile')).toEqual(['docker', 'exec', 'px', 'caddy', 'reload', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile', '--force']);
    expect(listenerMigrationReadCommand('px')).toEqual(['docker', 'exec', 'px', 'cat', '/proc/sys/net/ipv4/tcp_migrate_req']);
    expect(listenerMigrationEnableCommand('px', 'sha256:ab')).toEqual([
      'docker', 'run', '--rm', '--pull', 'never', '--network', 'container:px', '--security-opt', 'systempaths=unconfined', '--entrypoint', 'sh', 'sha256:ab', '-c', 'echo 1 > /proc/sys/net/ipv4/tcp_migrate_req',
    ]);
    const up = caddyUpstreamsCommand('px', '127.0.0.1', 2019);
    expect([...up.slice(0, 5), ...up.slice(6)]).toEqual(['docker', 'exec', 'px', 'sh', '-c', 'sh', '127.0.0.1', '2019']);
    expect(up[5]).toContain('wget -qO- "$u"');
    expect(up[5]).toContain('/dev/tcp/$0/$1');
  });
});

describe('Caddy config', () => {
  it('reads the config file from the container command', () => {
    expect(caddyInvocation(['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'])).toEqual({ configPath: '/etc/caddy/Caddyfile', adapter: 'caddyfile' });
    expect(caddyInvocation(['caddy', 'run', '--config=/srv/caddy.json'])).toEqual({ configPath: '/srv/caddy.json', adapter: 'json' });
    expect(caddyInvocation(['caddy', 'run'])).toEqual({ configPath: '/etc/caddy/Caddyfile', adapter: 'caddyfile' });
  });
  it('pins the upstreams that dial a service to addresses, leaving the others', () => {
    expect([...dialedHosts(caddyConfig).entries()].map(([k, v]) => [k, [...v]])).toEqual([['web', [8080]], ['other', [9000]]]);
    const { config, replaced } = pinUpstreams(caddyConfig, 'web', ['172.18.0.5', '172.18.0.6']);
    expect(replaced).toBe(1);
    const rp = (config as typeof caddyConfig).apps.http.servers.srv0.routes[0]!.handle[0]!.routes[0]!.handle[1]!;
    expect(rp.upstreams).toEqual([{ dial: '172.18.0.5:8080' }, { dial: '172.18.0.6:8080' }, { dial: 'other:9000' }]);
    // The original is untouched: it is what the proxy gets back.
    expect(caddyConfig.apps.http.servers.srv0.routes[0]!.handle[0]!.routes[0]!.handle[1]!.upstreams?.[0]).toEqual({ dial: 'web:8080' });
  });
  it('finds the port a Caddyfile proxies a service on', () => {
    const text = '{$DOMAIN:localhost} {\n\ttls internal\n\treverse_proxy web:8080\n}\napi.example.com {\n\treverse_proxy {\n\t\tto http://api:3000 api2:3000\n\t}\n}\n# reverse_proxy ghost:1\n';
    expect(caddyfilePortFor(text, 'web')).toBe(8080);
    expect(caddyfilePortFor(text, 'api')).toBe(3000);
    expect(caddyfilePortFor(text, 'ghost')).toBeUndefined();
    expect(caddyfilePortFor(text, 'we')).toBeUndefined();
  });
});

describe('which way a service is cut over', () => {
  const resolved = {
    services: {
      web: { image: 'app', expose: ['8080'], healthcheck: { test: ['CMD', 'probe'] } },
      worker: { image: 'app' },
      postgres: { image: 'postgres:15', healthcheck: { test: ['CMD-SHELL', 'pg_isready'] } },
      caddy: { image: 'caddy:2', ports: [{ target: 80, published: '80' }] },
      pinned: { image: 'x', container_name: 'pinned', expose: ['80'] },
      bare: { image: 'x', healthcheck: { test: ['NONE'] } },
      jobs: { image: 'x', deploy: { replicas: 3 } },
    },
  };
  const facts = serviceFacts(resolved, {
    stateful: new Set(['postgres']),
    stopFirst: ['jobs'],
    caddyfile: 'localhost {\n reverse_proxy web:8080\n}\n:81 {\n reverse_proxy bare:80\n}\n',
    proxyService: 'caddy',
  });
  const by = (n: string): ServiceFacts => facts.find((f) => f.name === n)!;
  const probes = [{ name: 'healthz', path: '/healthz', status: 200, timeoutMs: 5000 }];
  it('reads the facts from the resolved config', () => {
    expect(by('web')).toEqual({ name: 'web', publishesPorts: false, stateful: false, healthcheck: true, replicas: 1, proxiedPort: 8080, stopFirst: false });
    expect(by('jobs').replicas).toBe(3);
    expect(by('bare').healthcheck).toBe(false);
    expect(by('pinned').containerName).toBe('pinned');
  });
  it('says why, per service', () => {
    const d = (n: string, p = probes) => decideMethod(by(n), { probes: p });
    expect(d('web')).toEqual({ method: 'start-first', reason: 'behind the proxy on port 8080; gated by healthcheck and 1 HTTP probe(s) to each new container' });
    expect(d('worker')).toEqual({ method: 'start-new-stop-old', reason: 'not behind the proxy; gated by staying up' });
    expect(d('postgres')).toEqual({ method: 'recreate', reason: 'stateful; downtime expected' });
    expect(d('caddy').method).toBe('recreate');
    expect(d('caddy').reason).toMatch(/publishes host ports/);
    expect(d('pinned').reason).toMatch(/container_name "pinned"/);
    expect(d('bare', [])).toEqual({ method: 'recreate', reason: 'behind the proxy but nothing can gate it (no healthcheck, no HTTP probe); downtime expected' });
    expect(d('bare').method).toBe('start-first');
    expect(d('jobs').method).toBe('stop-first');
  });
});

describe('Caddy drain', () => {
  it('the switch pins to the new addresses and keeps the old in a route no request matches', () => {
    const { config, replaced } = switchUpstreams(caddyConfig, 'web', ['10.0.0.9'], ['10.0.0.2', '10.0.0.3']);
    expect(replaced).toBe(1);
    const routes = (config as typeof caddyConfig).apps.http.servers.srv0.routes as unknown[];
    expect(routes).toHaveLength(2);
    expect(JSON.stringify(routes[0])).toContain('"upstreams":[{"dial":"10.0.0.9:8080"},{"dial":"other:9000"}]');
    expect(routes[1]).toEqual({ match: [{ path: [] }], handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.0.2:8080' }, { dial: '10.0.0.3:8080' }] }] });
    // The input is left alone.
    expect(caddyConfig.apps.http.servers.srv0.routes).toHaveLength(1);
  });
  it('bounds the old servers\' wait for requests in flight by the drain timeout, unless the user set one', () => {
    expect((withGracePeriod(caddyConfig, 29_500) as { apps: { http: { grace_period: string } } }).apps.http.grace_period).toBe('30s');
    const own = { apps: { http: { grace_period: '5m', servers: {} } } };
    expect(withGracePeriod(own, 30_000)).toEqual(own);
  });
  it('finds the admin API and counts requests in flight to given addresses', () => {
    expect(adminEndpoint({})).toEqual({ host: '127.0.0.1', port: 2019 });
    expect(adminEndpoint({ admin: { listen: 'localhost:2020' } })).toEqual({ host: '127.0.0.1', port: 2020 });
    expect(adminEndpoint({ admin: { listen: 'unix//run/caddy.sock' } })).toBeUndefined();
    expect(adminEndpoint({ admin: { disabled: true } })).toBeUndefined();
    const answer = 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{"address":"10.0.0.2:8080","num_requests":3,"fails":0},{"address":"10.0.0.9:8080","num_requests":7,"fails":0}]\n';
    expect(requestsInFlight(answer, ['10.0.0.2:8080'])).toBe(3);
    expect(requestsInFlight('[]', ['10.0.0.2:8080'])).toBe(0);
    expect(requestsInFlight('sh: wget: not found', ['10.0.0.2:8080'])).toBeUndefined();
  });
});

// ------------------------------------------------------------------ the runner, on a fake host

const webFacts: ServiceFacts = { name: 'web', publishesPorts: false, stateful: false, healthcheck: true, replicas: 1, proxiedPort: 8080, stopFirst: false };
const workerFacts: ServiceFacts = { name: 'worker', publishesPorts: false, stateful: false, healthcheck: false, replicas: 1, stopFirst: false };
const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

function setup(o: Partial<FakeOptions> = {}, service = webFacts, oldCount = 1) {
  const host = new FakeDockerHost({ project: 'shop', proxyService: 'caddy', caddyConfig, ...o });
  host.add('caddy', { health: 'none' });
  const old = Array.from({ length: oldCount }, () => host.add(service.name, { health: service.healthcheck ? 'healthy' : 'none' }));
  const input: CutoverInput = {
    run: host.run,
    compose: v1,
    service,
    proxyService: 'caddy',
    gate: { timeoutMs: 20_000, intervalMs: 1000, stableChecks: 2, probes: [{ name: 'healthz', path: '/healthz', status: 200, body: '"status":"ok"', timeoutMs: 5000 }] },
    drainTimeoutMs: 30_000,
    clock: clock(),
  };
  return { host, old, input };
}

const upstreamsOf = (cfg: unknown): unknown =>
  (cfg as typeof caddyConfig).apps.http.servers.srv0.routes[0]!.handle[0]!.routes[0]!.handle[1]!.upstreams;

describe('runCutover', () => {
  it('start-first: pins the proxy to the old, gates the new, switches, drains, stops old, restores the proxy', async () => {
    const { host, old, input } = setup({ inFlight: [2, 1, 0] });
    const out = await runCutover(input);
    expect(out).toMatchObject({ service: 'web', method: 'start-first', ok: true, proxy: 'pinned', oldKept: false, oldContainers: [old[0]!.id] });
    expect(out.newContainers).toHaveLength(1);
    const fresh = host.containers.find((c) => c.id === out.newContainers[0])!;
    expect(host.loaded.map(upstreamsOf)).toEqual([
      [{ dial: `${old[0]!.ip}:8080` }, { dial: 'other:9000' }],
      [{ dial: `${fresh.ip}:8080` }, { dial: 'other:9000' }],
    ]);
    expect(host.reloadsFromFile).toBe(1);
    expect(out.drain).toEqual({ observed: true, requestsAtSwitch: 2, requestsAtStop: 0, waitedMs: 1000 });
    // The switch kept the old address in a route no request matches, so its requests stay counted;
    // both pinned configs bound the old server's wait for its requests by the drain timeout.
    expect(JSON.stringify(host.loaded[1])).toContain(`{"match":[{"path":[]}],"handle":[{"handler":"reverse_proxy","upstreams":[{"dial":"${old[0]!.ip}:8080"}]}]}`);
    expect(host.loaded.map((c) => (c as { apps: { http: { grace_period?: string } } }).apps.http.grace_period)).toEqual(['30s', '30s']);
    // Reloads hand queued connections over: tcp_migrate_req was turned on before the first one.
    expect(host.migrateReq).toBe('1');
    expect(host.calls.findIndex((c) => c.argv[1] === 'run')).toBeLessThan(host.calls.findIndex((c) => c.argv.includes('/dev/stdin')));
    expect(host.running('web').map((c) => c.id)).toEqual(out.newContainers);
    // The gate probe went to the new container itself, not through the proxy.
    expect(host.calls.some((c) => c.argv[0] === 'curl' && c.argv.at(-1) === `http://${fresh.ip}:8080/healthz`)).toBe(true);
    // Order: pin before scale-up, switch before stopping the old, restore last.
    const idx = (pred: (a: string[]) => boolean) => host.calls.findIndex((c) => pred(c.argv));
    const pin = idx((a) => a.includes('/dev/stdin'));
    const up = idx((a) => a.includes('--no-recreate'));
    const stop = idx((a) => a[1] === 'stop');
    const restore = idx((a) => a.includes('/etc/caddy/Caddyfile') && a.includes('reload'));
    expect(pin).toBeLessThan(up);
    expect(stop).toBeGreaterThan(up);
    expect(restore).toBe(host.calls.length - 1);
    // The stop's grace is what is left of the drain timeout.
    expect(host.calls[stop]!.argv).toEqual(['docker', 'stop', '--time', '29', old[0]!.id]);
  });

  it('every command it ran is one the plan shows', async () => {
    const { host, input } = setup({ inFlight: [1, 0] });
    await runCutover(input);
    const plan = planServiceCutover({ compose: v1, service: webFacts, decision: decideMethod(webFacts, input.gate), proxyService: 'caddy', gate: input.gate, drainTimeoutMs: 30_000 });
    for (const c of host.calls) {
      expect(plan.commands.some((p) => matchesPlanned(c.argv, p.argv)), c.argv.join(' ')).toBe(true);
    }
    expect(matchesPlanned(['docker', 'stop', '--time', '5', 'a', 'b'], ['docker', 'stop', '--time', '<g>', '<ids>'])).toBe(true);
    expect(matchesPlanned(['docker', 'rm', 'a'], ['docker', 'stop', '<ids>'])).toBe(false);
  });

  it('a new release that fails its gate is removed, the old keeps serving and the proxy gets its config back', async () => {
    const { host, old, input } = setup({ newHealth: 'unhealthy' });
    const out = await runCutover(input);
    expect(out).toMatchObject({ ok: false, oldKept: true, method: 'start-first' });
    expect(out.failure).toMatch(/failed the gate: .* is unhealthy/);
    expect(host.running('web').map((c) => c.id)).toEqual([old[0]!.id]);
    expect(host.loaded.map(upstreamsOf)).toEqual([[{ dial: `${old[0]!.ip}:8080` }, { dial: 'other:9000' }]]);
    expect(host.reloadsFromFile).toBe(1);
    expect(host.calls.some((c) => c.argv[1] === 'stop' && c.argv.includes(old[0]!.id))).toBe(false);
  });

  it('a gate that times out also keeps the old', async () => {
    const { host, old, input } = setup({ newHealth: 'starting' });
    const out = await runCutover(input);
    expect(out.ok).toBe(false);
    expect(out.gate).toMatchObject({ passed: false });
    expect(out.gate!.reason).toMatch(/^timed out after 20 s/);
    expect(host.running('web').map((c) => c.id)).toEqual([old[0]!.id]);
  });

  it('an HTTP probe that fails on the new container fails the gate', async () => {
    const { host, old, input } = setup({ curlStatus: 503 });
    const out = await runCutover(input);
    expect(out.ok).toBe(false);
    expect(out.gate!.reason).toMatch(/probe healthz: HTTP 503, expected 200/);
    expect(host.running('web').map((c) => c.id)).toEqual([old[0]!.id]);
  });

  it('when the proxy refuses the pin, it recreates and says downtime is expected', async () => {
    const { host, input } = setup({ reloadExit: [1] });
    const out = await runCutover(input);
    expect(out.method).toBe('recreate');
    expect(out.reason).toMatch(/the proxy refused a config reload .*; recreated instead, downtime expected/);
    expect(out.ok).toBe(true);
    expect(host.calls.some((c) => c.argv.includes('--no-recreate'))).toBe(false);
  });

  it('when the running proxy config does not dial the service, it starts new beside old without pinning', async () => {
    const { host, input } = setup({ caddyConfig: { apps: { http: { servers: {} } } } });
    const out = await runCutover(input);
    expect(out).toMatchObject({ method: 'start-new-stop-old', ok: true, proxy: 'not-pinned' });
    expect(out.reason).toMatch(/does not dial web by name/);
    expect(host.loaded).toEqual([]);
  });

  it('replicas are cut over together', async () => {
    const { host, old, input } = setup({ inFlight: [0] }, { ...webFacts, replicas: 2 }, 2);
    const out = await runCutover(input);
    expect(out.ok).toBe(true);
    expect(out.newContainers).toHaveLength(2);
    expect(host.calls.find((c) => c.argv.includes('--no-recreate'))!.argv).toContain('web=4');
    expect(host.calls.filter((c) => c.argv[1] === 'stop')[0]!.argv.slice(4)).toEqual(old.map((c) => c.id));
    expect(upstreamsOf(host.loaded[0])).toEqual([...old.map((c) => ({ dial: `${c.ip}:8080` })), { dial: 'other:9000' }]);
  });

  it('a worker: start new, gate by staying up, stop old; never touches the proxy', async () => {
    const { host, old, input } = setup({ newHealth: 'none' }, workerFacts);
    const out = await runCutover(input);
    expect(out).toMatchObject({ method: 'start-new-stop-old', ok: true, proxy: 'not-pinned' });
    expect(out.gate).toMatchObject({ passed: true, checks: 2 });
    expect(out.sideBySideMs).not.toBeNull();
    expect(host.running('worker').map((c) => c.id)).toEqual(out.newContainers);
    expect(host.calls.some((c) => c.argv.includes('caddy'))).toBe(false);
    expect(host.calls.find((c) => c.argv[1] === 'stop')!.argv).toEqual(['docker', 'stop', '--time', '30', old[0]!.id]);
  });

  it('stop-first: the old stops before the new starts', async () => {
    const { host, old, input } = setup({}, { ...workerFacts, stopFirst: true });
    const out = await runCutover(input);
    expect(out).toMatchObject({ method: 'stop-first', ok: true, sideBySideMs: null });
    const stop = host.calls.findIndex((c) => c.argv[1] === 'stop' && c.argv.includes(old[0]!.id));
    const up = host.calls.findIndex((c) => c.argv.includes('up'));
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(stop).toBeLessThan(up);
  });

  it('without a way to read the admin API the drain is reported as not observed', async () => {
    const { input } = setup({ noAdmin: true });
    const out = await runCutover(input);
    expect(out.ok).toBe(true);
    expect(out.drain).toMatchObject({ observed: false, requestsAtStop: null });
  });

  it('tcp_migrate_req already on: left alone; when it cannot be turned on: a warning, the cut-over still runs', async () => {
    const on = setup({ migrateReq: '1' });
    expect((await runCutover(on.input)).ok).toBe(true);
    expect(on.host.calls.some((c) => c.argv[1] === 'run')).toBe(false);
    const refused = setup({ migrateEnableExit: 125 });
    const out = await runCutover(refused.input);
    expect(out.ok).toBe(true);
    expect(out.warnings.join(' ')).toMatch(/tcp_migrate_req could not be turned on/);
  });

  it('the forced-recreate control recreates with --force-recreate', async () => {
    const { host, input } = setup();
    const out = await runCutover({ ...input, forceRecreate: true });
    expect(out).toMatchObject({ method: 'recreate', reason: 'forced recreate; downtime expected', ok: true });
    expect(host.calls.map((c) => c.argv).filter((a) => a.includes('--force-recreate'))).toHaveLength(1);
  });
});

describe('the stack cut-over', () => {
  it('finds the proxy by its Caddy image and turns health URLs into per-container probes', async () => {
    const { detectProxyService, gateProbes } = await import('../../src/cutover/stack.js');
    expect(detectProxyService({ services: { web: { image: 'app' }, edge: { image: 'shipproof-offline/caddy:2' } } })).toBe('edge');
    expect(detectProxyService({ services: { web: { image: 'caddy-exporter:1' } } })).toBeUndefined();
    expect(gateProbes([{ name: 'readyz', url: 'https://localhost:8443/readyz?deep=1', status: 200, body: '"db":"ok"', timeoutMs: 5000 }])).toEqual([
      { name: 'readyz', path: '/readyz?deep=1', status: 200, body: '"db":"ok"', timeoutMs: 5000 },
    ]);
  });

  it('cuts over changed services in order, leaves recreates to compose, never the proxy; the record says how', async () => {
    const { cutOverStack, describeCutover } = await import('../../src/cutover/stack.js');
    const host = new FakeDockerHost({ project: 'shop', proxyService: 'caddy', caddyConfig, inFlight: [1, 0], newHealth: 'healthy' });
    host.add('caddy', { health: 'none' });
    host.add('web');
    host.add('worker', { health: 'none' });
    host.add('db');
    const resolved = {
      services: {
        db: { image: 'postgres:15', volumes: [{ type: 'volume', source: 'pg', target: '/var/lib/postgresql/data' }] },
        web: { image: 'app', healthcheck: { test: ['CMD', 'probe'] } },
        worker: { image: 'app', healthcheck: { test: ['CMD', 'true'] } },
        caddy: { image: 'caddy:2', ports: ['443:443'] },
      },
    };
    const result = await cutOverStack({
      run: host.run,
      compose: v1,
      resolved,
      changed: ['db', 'web', 'worker', 'caddy'],
      stateful: new Set(['db']),
      stopFirst: [],
      proxyService: 'caddy',
      caddyfile: 'localhost {\n\treverse_proxy web:8080\n}\n',
      gate: { timeoutMs: 10_000, intervalMs: 1000, stableChecks: 1, probes: [] },
      drainTimeoutMs: 5_000,
    });
    expect(result.failed).toBeUndefined();
    expect(result.plans.map((p) => `${p.service}:${p.method}`)).toEqual(['db:recreate', 'web:start-first', 'worker:start-new-stop-old']);
    expect(result.outcomes.map((o) => o.service)).toEqual(['web', 'worker']);
    expect(host.calls.some((c) => c.argv.includes('db=1') || c.argv.includes('db=2'))).toBe(false);
    const lines = describeCutover(result);
    expect(lines[0]).toBe('db: recreate (stateful; downtime expected) by compose up');
    expect(lines[1]).toMatch(/^web: start-first \(behind the proxy on port 8080; gated by healthcheck\); done; old and new side by side \d+\.\d s; drain: 1 request\(s\) in flight at the switch, 0 at stop, after \d+\.\d s; gate 1 check\(s\)/);
    expect(lines[2]).toMatch(/^worker: start-new-stop-old \(not behind the proxy; gated by its healthcheck\); done; old and new side by side/);
  });
});
