import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { detectStatefulServices, engineFromImage } from '../../src/compose/stateful.js';
import { ConfigError } from '../../src/errors.js';
import { tempProject } from '../fixtures/config/temp-project.js';

describe('engineFromImage', () => {
  it.each([
    ['postgres', 'postgres'],
    ['postgres:16-alpine', 'postgres'],
    ['docker.io/library/postgres@sha256:0123abcd', 'postgres'],
    ['postgis/postgis:16-3.4', 'postgres'],
    ['timescale/timescaledb:latest-pg16', 'postgres'],
    ['bitnami/postgresql:16', 'postgres'],
    ['mysql:8.4', 'mariadb'],
    ['mariadb:11', 'mariadb'],
    ['percona/percona-server:8.0', 'mariadb'],
    ['redis:7-alpine', 'redis'],
    ['valkey/valkey:8', 'redis'],
    ['eqalpha/keydb', 'redis'],
    ['mongo:7', 'mongodb'],
    ['hashicorp/vault:1.17', 'vault'],
    ['openbao/openbao:2', 'vault'],
    ['quay.io/minio/minio:RELEASE.2024-10-02T17-50-41Z', 'minio'],
    ['registry.example.com:5000/team/redis:7', 'redis'],
  ])('%s → %s', (image, engine) => {
    expect(engineFromImage(image)).toBe(engine);
  });

  it.each(['caddy:2', 'nginx', 'prometheuscommunity/postgres-exporter', 'rediscommander/redis-commander', 'mongo-express', 'minio/mc', '${IMAGE}:${TAG}'])(
    '%s is not a data store',
    (image) => {
      expect(engineFromImage(image)).toBeUndefined();
    },
  );
});

describe('detectStatefulServices', async () => {
  const cwd = await tempProject({
    'compose.yaml': [
      'services:',
      '  db:',
      '    image: postgres:16',
      '    volumes: [pgdata:/var/lib/postgresql/data]',
      '  cache:',
      '    image: redis:7',
      '  app:',
      '    image: example/app',
      '    volumes: [uploads:/srv/uploads, ./conf:/conf:ro, uploads:/again]',
      '  legacy:',
      '    image: example/legacy',
      '    labels: { shipproof.engine: sqlite }',
      '    volumes: [./data:/data]',
      '  metrics:',
      '    image: prom/prometheus',
      '    labels: [shipproof.engine=none]',
      '    volumes: [prom:/prometheus]',
      '  proxy:',
      '    image: caddy:2',
      '    volumes: [./Caddyfile:/etc/caddy/Caddyfile:ro]',
      '  web:',
      '    image: example/web',
      'volumes: { pgdata: {}, uploads: {}, prom: {} }',
    ].join('\n'),
  });
  const project = await loadCompose(['compose.yaml'], { cwd });

  it('guesses from images, labels and named volumes', () => {
    const found = detectStatefulServices(project);
    expect(found.map((s) => [s.service, s.engine, s.source, s.volumes, s.stop])).toEqual([
      ['db', 'postgres', 'image', ['pgdata'], false],
      ['cache', 'redis', 'image', [], false],
      ['app', 'volume', 'volume', ['uploads'], false],
      ['legacy', 'sqlite', 'label', [], false],
    ]);
    expect(found[0]).toMatchObject({ image: 'postgres:16', location: { file: 'compose.yaml', line: 2, column: 3 } });
  });

  it('lets shipproof.yaml override guesses and labels, and exclude services', () => {
    const found = detectStatefulServices(project, {
      db: false,
      metrics: { engine: 'volume', stop: true },
      web: { engine: 'sqlite' },
      legacy: { engine: 'volume' },
    });
    expect(found.map((s) => [s.service, s.engine, s.source, s.stop])).toEqual([
      ['cache', 'redis', 'image', false],
      ['app', 'volume', 'volume', false],
      ['legacy', 'volume', 'config', false],
      ['metrics', 'volume', 'config', true],
      ['web', 'sqlite', 'config', false],
    ]);
  });

  it('rejects a label naming no engine, at the label', async () => {
    const dir = await tempProject({ 'compose.yaml': 'services:\n  db:\n    image: x\n    labels:\n      shipproof.engine: postgress\n' });
    const bad = await loadCompose(['compose.yaml'], { cwd: dir });
    let error: unknown;
    try {
      detectStatefulServices(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('The label shipproof.engine of service "db" names no engine: "postgress".');
    expect((error as ConfigError).location).toEqual({ file: 'compose.yaml', line: 5, column: 7 });
    expect((error as ConfigError).hint).toMatch(/^Did you mean "postgres"\?/);
  });

  it('finds the seed 001 stack: postgres by image, caddy by its volumes, nothing for web and worker', async () => {
    const seed = await loadCompose(['docker-compose.prod.yaml'], { cwd: path.join(import.meta.dirname, '../fixtures/compose/seed-001') });
    expect(detectStatefulServices(seed).map((s) => [s.service, s.engine, s.source, s.volumes])).toEqual([
      ['postgres', 'postgres', 'image', ['pgdata']],
      ['caddy', 'volume', 'volume', ['caddy_data', 'caddy_config']],
    ]);
  });
});
