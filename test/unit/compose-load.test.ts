import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import type { ComposeProject, ComposeService } from '../../src/compose/model.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { tempProject } from '../fixtures/config/temp-project.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/compose');

function service(project: ComposeProject, name: string): ComposeService {
  const found = project.services.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

async function composeError(text: string, extra: Record<string, string> = {}): Promise<ConfigError> {
  const cwd = await tempProject({ 'compose.yaml': text, ...extra });
  const files = ['compose.yaml', ...Object.keys(extra).filter((f) => f.endsWith('.yaml'))];
  const error = await loadCompose(files, { cwd }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadCompose on the seed 001 stack', async () => {
  const cwd = path.join(FIXTURES, 'seed-001');
  const project = await loadCompose(['docker-compose.prod.yaml'], { cwd });

  it('reads the project, its services in order and its named volumes', () => {
    expect(project.files).toEqual([path.join(cwd, 'docker-compose.prod.yaml')]);
    expect(project.projectDir).toBe(cwd);
    expect(project.name).toBe('xtablo');
    expect(project.services.map((s) => s.name)).toEqual(['postgres', 'web', 'worker', 'caddy']);
    expect(project.volumes.map((v) => [v.name, v.external, v.location.line])).toEqual([
      ['pgdata', false, 65],
      ['caddy_data', false, 66],
      ['caddy_config', false, 67],
    ]);
    expect(project.warnings).toEqual([]);
  });

  it('keeps postgres internal: no ports, a named data volume, a healthcheck', () => {
    const pg = service(project, 'postgres');
    expect(pg.image).toBe('postgres:16-alpine');
    expect(pg.ports).toEqual([]);
    expect(pg.volumes).toEqual([
      {
        type: 'named',
        source: 'pgdata',
        target: '/var/lib/postgresql/data',
        readOnly: false,
        location: { file: 'docker-compose.prod.yaml', line: 14, column: 9 },
      },
    ]);
    expect(pg.healthcheck).toEqual({
      test: ['CMD-SHELL', 'pg_isready -U xtablo -d xtablo'],
      disabled: false,
      intervalMs: 5000,
      timeoutMs: 3000,
      retries: 10,
      startPeriodMs: 10_000,
      location: { file: 'docker-compose.prod.yaml', line: 16, column: 7 },
    });
    expect(pg.location).toEqual({ file: 'docker-compose.prod.yaml', line: 6, column: 3 });
    expect(pg.fieldLocations.image).toEqual({ file: 'docker-compose.prod.yaml', line: 7, column: 5 });
    expect(pg.restart).toBe('unless-stopped');
  });

  it('builds web and worker from one image, each with the env file, in both spellings', () => {
    const web = service(project, 'web');
    const worker = service(project, 'worker');
    expect(web.image).toBe('${IMAGE}:${TAG}');
    expect(worker.image).toBe(web.image);
    expect(web.command).toBe('/app/web');
    expect(worker.command).toEqual(['/app/worker']);
    expect(web.envFiles).toEqual([{ path: '.env.prod', required: true, location: { file: 'docker-compose.prod.yaml', line: 26, column: 15 } }]);
    expect(worker.envFiles.map((f) => f.path)).toEqual(['.env.prod']);
    expect(web.expose.map((e) => e.port)).toEqual(['8080']);
    expect(web.ports).toEqual([]);
    expect(web.dependsOn).toEqual([
      {
        service: 'postgres',
        condition: 'service_healthy',
        restart: false,
        required: true,
        location: { file: 'docker-compose.prod.yaml', line: 32, column: 7 },
      },
    ]);
    expect(web.environment.map((e) => [e.name, e.hasLiteralValue, e.looksLikeSecret])).toEqual([
      ['DATABASE_URL', true, false],
      ['LISTEN_ADDR', true, false],
    ]);
  });

  it('makes caddy the only service with host ports, with its Caddyfile bind mount and data volumes', () => {
    const caddy = service(project, 'caddy');
    expect(caddy.ports.map((p) => `${p.published}:${p.target}/${p.protocol}`)).toEqual(['80:80/tcp', '443:443/tcp', '443:443/udp']);
    expect(caddy.ports[0]?.location).toEqual({ file: 'docker-compose.prod.yaml', line: 52, column: 9 });
    expect(caddy.volumes.map((v) => [v.type, v.source, v.target, v.readOnly])).toEqual([
      ['bind', './deploy/Caddyfile', '/etc/caddy/Caddyfile', true],
      ['named', 'caddy_data', '/data', false],
      ['named', 'caddy_config', '/config', false],
    ]);
    expect(caddy.dependsOn.map((d) => [d.service, d.condition])).toEqual([['web', 'service_started']]);
    expect(project.services.filter((s) => s.ports.length > 0).map((s) => s.name)).toEqual(['caddy']);
  });

  it('lists every ${VAR} reference with where it is and whether it must be set', () => {
    expect(project.interpolation.map((v) => [v.name, v.hasDefault, v.required, v.locations.length])).toEqual([
      ['POSTGRES_PASSWORD', false, true, 2],
      ['IMAGE', false, false, 2],
      ['TAG', false, false, 2],
      ['DOMAIN', false, false, 1],
    ]);
    const password = project.interpolation[0];
    expect(password?.locations[0]).toEqual({ file: 'docker-compose.prod.yaml', line: 12, column: 26 });
    expect(password?.locations[1]).toEqual({ file: 'docker-compose.prod.yaml', line: 28, column: 40 });
  });
});

describe('loadCompose keeps no environment values', () => {
  it('records names and a secret flag, never the value', async () => {
    const planted = 'planted-literal-secret-9c1f';
    const cwd = await tempProject({
      'compose.yaml': [
        'services:',
        '  app:',
        '    image: example/app',
        '    environment:',
        `      SESSION_SECRET: ${planted}`,
        '      DEBUG: "true"',
        '      PASSTHROUGH:',
        '    labels:',
        '      - traefik.enable=true',
        '      - com.example.flag',
      ].join('\n'),
    });
    const project = await loadCompose(['compose.yaml'], { cwd });
    const app = service(project, 'app');
    expect(app.environment.map(({ name, hasValue, hasLiteralValue, looksLikeSecret }) => [name, hasValue, hasLiteralValue, looksLikeSecret])).toEqual([
      ['SESSION_SECRET', true, true, true],
      ['DEBUG', true, true, false],
      ['PASSTHROUGH', false, false, false],
    ]);
    expect(app.labels.map((l) => [l.name, l.value])).toEqual([
      ['traefik.enable', 'true'],
      ['com.example.flag', ''],
    ]);
    expect(JSON.stringify(project)).not.toContain(planted);
  });
});

describe('loadCompose merging several files', () => {
  it('merges as the Compose specification says: keys override, lists combine, mounts by path', async () => {
    const cwd = path.join(FIXTURES, 'merge');
    const project = await loadCompose(['compose.yaml', 'compose.prod.yaml'], { cwd });
    expect(project.services.map((s) => s.name)).toEqual(['app', 'cache', 'db']);
    const app = service(project, 'app');
    // Interpolated as Compose does: TAG is unset, so its default applies.
    expect(app.image).toBe('example/app:1.1');
    // Ports are appended (Compose v2 and the spec), mounts merge by container path.
    expect(app.ports.map((p) => [p.hostIp, p.published, p.target])).toEqual([
      [undefined, 3000, 3000],
      [undefined, 9229, 9229],
      ['127.0.0.1', 8080, 3000],
    ]);
    expect(app.volumes.map((v) => v.source)).toEqual(['./src', 'appdata']);
    // Keys the override does not mention stay as the base file has them.
    expect(app.environment.map((e) => e.name)).toEqual(['LOG_LEVEL']);
    expect(app.fieldLocations.image?.file).toBe('compose.prod.yaml');
    expect(app.fieldLocations.environment?.file).toBe('compose.yaml');
    expect(app.location.file).toBe('compose.yaml');
    expect(service(project, 'cache').image).toBe('redis:7');
    expect(service(project, 'cache').labels.map((l) => [l.name, l.value])).toEqual([['shipproof.engine', 'none']]);
    expect(project.volumes.map((v) => [v.name, v.external, v.externalName])).toEqual([
      ['appdata', false, undefined],
      ['dbdata', true, 'prod_dbdata'],
    ]);
    expect(project.interpolation).toEqual([
      { name: 'TAG', hasDefault: true, required: false, locations: [{ file: 'compose.prod.yaml', line: 3, column: 24 }] },
    ]);
  });
});

describe('loadCompose syntaxes', () => {
  it('expands YAML merge keys and reads long port and volume syntax', async () => {
    const cwd = await tempProject({
      'compose.yaml': [
        'x-app: &app', // 1
        '  restart: always', // 2
        '  env_file:', // 3
        '    - path: .env', // 4
        '      required: false', // 5
        'services:', // 6
        '  api:', // 7
        '    <<: *app', // 8
        '    build: { context: ./api, dockerfile: Dockerfile.prod }', // 9
        '    ports:', // 10
        '      - target: 8080', // 11
        '        published: "8081"', // 12
        '        host_ip: 127.0.0.1', // 13
        '        protocol: tcp', // 14
        '    volumes:', // 15
        '      - type: volume', // 16
        '        source: data', // 17
        '        target: /data', // 18
        '      - type: tmpfs', // 19
        '        target: /tmp', // 20
        '      - type: bind', // 21
        '        source: ./conf', // 22
        '        target: /conf', // 23
        '        read_only: true', // 24
        '    healthcheck:', // 25
        '      test: curl -f http://localhost:8080/healthz', // 26
        '    networks: { front: {}, back: null }', // 27
        '    profiles: [prod]', // 28
        '  job:', // 29
        '    image: busybox', // 30
        '    healthcheck:', // 31
        '      test: ["NONE"]', // 32
        'volumes:', // 33
        '  data: {}', // 34
        'networks:', // 35
        '  front: {}', // 36
        '  back:', // 37
      ].join('\n'),
    });
    const project = await loadCompose(['compose.yaml'], { cwd, profiles: ['prod'] });
    const api = service(project, 'api');
    expect(api.restart).toBe('always');
    expect(api.fieldLocations.restart).toEqual({ file: 'compose.yaml', line: 2, column: 3 });
    expect(api.envFiles.map((f) => [f.path, f.required])).toEqual([['.env', false]]);
    expect(api.build).toEqual({ context: './api', dockerfile: 'Dockerfile.prod', location: { file: 'compose.yaml', line: 9, column: 12 } });
    expect(api.ports).toEqual([
      { target: 8080, published: 8081, protocol: 'tcp', hostIp: '127.0.0.1', interpolated: false, location: { file: 'compose.yaml', line: 11, column: 9 } },
    ]);
    expect(api.volumes.map((v) => [v.type, v.source, v.target, v.readOnly])).toEqual([
      ['named', 'data', '/data', false],
      ['tmpfs', undefined, '/tmp', false],
      ['bind', './conf', '/conf', true],
    ]);
    expect(api.healthcheck?.test).toEqual(['CMD-SHELL', 'curl -f http://localhost:8080/healthz']);
    expect(api.networks.map((n) => n.name)).toEqual(['front', 'back']);
    expect(project.networks.map((n) => n.name)).toEqual(['front', 'back']);
    expect(api.profiles).toEqual(['prod']);
    expect(service(project, 'job').healthcheck?.disabled).toBe(true);
  });

  it('leaves out services of profiles that are not active, as Compose does', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  a:\n    image: x\n  b:\n    image: y\n    profiles: [debug]\n' });
    expect((await loadCompose(['compose.yaml'], { cwd, env: {} })).services.map((s) => s.name)).toEqual(['a']);
    expect((await loadCompose(['compose.yaml'], { cwd, env: { COMPOSE_PROFILES: 'debug' } })).services.map((s) => s.name)).toEqual(['a', 'b']);
  });
});

describe('loadCompose errors', () => {
  it('reports a YAML syntax error with file, line and column', async () => {
    const error = await composeError('services:\n  web:\n    image: nginx\n   ports: ["80:80"]\n');
    expect(error.message).toMatch(/^compose\.yaml is not valid YAML: /);
    expect(error.location).toMatchObject({ file: 'compose.yaml', line: 4 });
    expect(error.exitCode).toBe(ExitCode.badInput);
  });

  it('reports a wrong shape without echoing the value', async () => {
    const error = await composeError('services:\n  web:\n    image: nginx\n    ports: "80:80"\n');
    expect(error.message).toBe('"services.web.ports" must be a list of port mappings, got a string.');
    expect(error.location).toEqual({ file: 'compose.yaml', line: 4, column: 12 });
  });

  it('reports a bad port mapping and a bad volume mount, first one thrown and the rest in more', async () => {
    const error = await composeError(
      'services:\n  web:\n    image: nginx\n    ports:\n      - "80:http"\n    volumes:\n      - "data:relative"\n',
    );
    expect(error.message).toBe('"services.web.ports[0]" is not a valid port mapping: "http" is not a port or range.');
    expect(error.location).toEqual({ file: 'compose.yaml', line: 5, column: 9 });
    expect(error.hint).toBe('Write it as "8080:80", "127.0.0.1:8080:80" or "53:53/udp".');
    expect(error.more.map((e) => [e.message, e.location?.line, e.location?.column])).toEqual([
      ['"services.web.volumes[0]" is not a valid volume mount: the container path "relative" is not absolute.', 7, 9],
    ]);
  });

  it('reports an undeclared network, network_mode with networks, and a misspelt network key, each at its line', async () => {
    const cwd = await tempProject({
      'compose.yaml': [
        'services:', // 1
        '  app:', // 2
        '    image: x', // 3
        '    networks: [back, nowhere]', // 4
        '  vpn:', // 5
        '    image: y', // 6
        '    network_mode: host', // 7
        '    networks:', // 8
        '      back:', // 9
        'networks:', // 10
        '  back:', // 11
        '    drvier: bridge', // 12
      ].join('\n'),
    });
    const e = await loadCompose(['compose.yaml'], { cwd }).then(() => undefined, (x: ConfigError) => x);
    const all = [e!, ...e!.more].map((x) => `${x.location?.line}:${x.location?.column} ${x.message}`);
    expect(all).toEqual([
      '4:22 Service "app" uses the network "nowhere", which is not declared under the top-level networks:.',
      '7:5 Service "vpn" sets both network_mode: and networks:, which cannot be combined.',
      '12:5 Unknown key "drvier" under "networks.back".',
    ]);
    expect(e!.more.find((x) => x.message.startsWith('Unknown key'))?.hint).toMatch(/^Did you mean "driver"\?/);
    expect(e!.hint).toMatch(/v1's config lets it pass, but its up fails/);
  });

  it('reports a named volume that is not declared, and a dependency on no service', async () => {
    const error = await composeError(
      'services:\n  web:\n    image: nginx\n    volumes:\n      - static:/srv\n    depends_on: [dbb]\n  db:\n    image: postgres\n',
    );
    expect(error.message).toBe('Service "web" mounts the volume "static", which is not declared under the top-level volumes:.');
    expect(error.location).toEqual({ file: 'compose.yaml', line: 5, column: 9 });
    expect(error.more.map((e) => [e.message, e.hint, e.location?.line])).toEqual([
      ['Service "web" depends on "dbb", which is not a service.', 'Services: web, db.', 6],
    ]);
  });

  it('reports an invalid depends_on condition and a bad healthcheck duration', async () => {
    const error = await composeError(
      'services:\n  web:\n    image: nginx\n    depends_on:\n      db: { condition: healthy }\n    healthcheck:\n      interval: soon\n  db:\n    image: postgres\n',
    );
    expect(error.message).toBe(
      '"services.web.depends_on.db.condition" must be one of service_started, service_healthy, service_completed_successfully, got "healthy".',
    );
    expect(error.location).toEqual({ file: 'compose.yaml', line: 5, column: 24 });
    expect(error.more.map((e) => e.message)).toEqual([
      '"services.web.healthcheck.interval" must be a duration like "10s" or "1m30s", got a string.',
    ]);
  });

  it('reports a file without services, and a service name compose refuses', async () => {
    expect((await composeError('volumes:\n  data: {}\n')).message).toBe('compose.yaml defines no services.');
    const error = await composeError('services:\n  "-web":\n    image: nginx\n');
    expect(error.message).toBe('The service name "-web" is not valid.');
    expect(error.location).toEqual({ file: 'compose.yaml', line: 2, column: 3 });
  });

  it('locates errors in the file they are in when merging', async () => {
    const error = await composeError('services:\n  web:\n    image: nginx\n', {
      'compose.prod.yaml': 'services:\n  web:\n    ports: [{ published: 80 }]\n',
    });
    expect(error.message).toBe('"services.web.ports[0]" has no target: (the container port).');
    expect(error.location).toEqual({ file: 'compose.prod.yaml', line: 3, column: 13 });
  });

  it('reports a compose file that does not exist', async () => {
    const cwd = await tempProject({});
    const error = await loadCompose(['compose.yaml'], { cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('Compose file compose.yaml does not exist.');
  });
});
