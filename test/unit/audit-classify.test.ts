// The audit's judgement of every service: an engine family from the one catalogue, a bind-mount
// archive for data in host folders, "engine unknown: archived as files" with the reason, and
// caches or configuration as "not data" with the reason. Never an empty answer without a why.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditExplanation } from '../../src/backup/audit.js';
import { loadCompose } from '../../src/compose/load.js';
import { classifyServices } from '../../src/compose/stateful.js';
import { tempProject } from '../fixtures/config/temp-project.js';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/compose/audit');

describe('classifyServices on one service per engine family', async () => {
  const project = await loadCompose(['compose.yaml'], { cwd: FIXTURE, env: {} });
  const c = classifyServices(project);
  const by = Object.fromEntries(c.stateful.map((s) => [s.service, s]));

  it('knows every family by its image, forks and relatives included', () => {
    const engines = Object.fromEntries(c.stateful.map((s) => [s.service, `${s.engine}/${s.family ?? '-'}`]));
    expect(engines).toMatchObject({
      pg: 'postgres/postgres',
      ts: 'postgres/postgres',
      my: 'mariadb/mysql',
      maria: 'mariadb/mysql',
      percona: 'mariadb/mysql',
      redismod: 'redis/redis',
      valkey: 'redis/redis',
      dragonfly: 'redis/redis',
      keydb: 'redis/redis',
      stack: 'redis/redis',
      mongo: 'mongodb/mongodb',
      mssql: 'volume/mssql',
      es: 'volume/elasticsearch',
      os: 'volume/elasticsearch',
      ch: 'volume/clickhouse',
      influx: 'volume/influxdb',
      rabbit: 'volume/rabbitmq',
      redpanda: 'volume/kafka',
      minio: 'minio/minio',
      meili: 'volume/meilisearch',
      etcd: 'volume/etcd',
      vault: 'vault/vault',
      labelled: 'volume/mssql',
    });
    expect(by.labelled?.source).toBe('label');
  });

  it('archives data in bind mounts as files, and keeps a known engine over a bind mount', () => {
    expect(by.minecraft).toMatchObject({ engine: 'files', source: 'bind', binds: [{ source: './data', target: '/data' }] });
    expect(by.minecraft?.reason).toBe('stateful, engine unknown: archived as files (it writes to the bind-mounted folder ./data -> /data)');
    expect(by.pihole?.binds.map((b) => b.target)).toEqual(['/etc/pihole', '/etc/dnsmasq.d']);
    // /lib/modules is read-only: configuration, not data.
    expect(by.wireguard?.binds).toEqual([{ source: './config', target: '/config' }]);
    expect(by.pgbind).toMatchObject({ engine: 'postgres', binds: [{ source: './pgdata', target: '/var/lib/postgresql/data' }] });
  });

  it('calls an unknown service with a data volume stateful, and caches not data, each with why', () => {
    expect(by.uploads).toMatchObject({ engine: 'volume', source: 'volume', volumes: ['uploads'] });
    expect(by.uploads?.reason).toMatch(/^stateful, engine unknown: archived as files/);
    expect(by.rust).toBeUndefined();
    expect(c.notData.map((m) => [m.service, m.target, m.reason])).toEqual([
      ['wireguard', '/lib/modules', 'mounted read-only: configuration, not data'],
      ['uploads', '/app/node_modules', 'node_modules is reinstalled from the lockfile'],
      ['uploads', '/etc/nginx/nginx.conf', 'mounted read-only: configuration, not data'],
      ['rust', '/usr/src/app/target', 'target is Rust/Java build output, rebuilt from source'],
      ['rust', '/usr/local/cargo/.cache', '.cache holds caches that are rebuilt on demand'],
      ['rust', '/tmp/work', 'temporary files do not outlive the container'],
      ['web', '/usr/share/nginx/html', 'mounted read-only: configuration, not data'],
    ]);
    expect(c.stateless).toEqual(['rust', 'web']);
  });
});

describe('the audit never says "none" without a reason', () => {
  it('explains a project with no data', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  app:\n    build: .\n    volumes: ["nm:/app/node_modules"]\nvolumes:\n  nm: {}\n' });
    const c = classifyServices(await loadCompose(['compose.yaml'], { cwd, env: {} }));
    expect(auditExplanation({ rows: [], notData: c.notData, stateless: c.stateless })).toEqual([
      'No service keeps data that needs a backup:',
      'app: nm -> /app/node_modules is not data (node_modules is reinstalled from the lockfile).',
      'No volumes or data folders: app.',
    ]);
  });

  it('does not take a config file or a source folder mounted read-write for data', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  proxy:\n    image: caddy:2.8\n    volumes: ["./Caddyfile:/etc/caddy/Caddyfile", "./src:/srv/src"]\n' });
    const c = classifyServices(await loadCompose(['compose.yaml'], { cwd, env: {} }));
    expect(c.stateful).toEqual([]);
    expect(c.notData.map((m) => m.reason)).toEqual(['a single file or system path: configuration, not data', 'source code mounted from the project (src/), kept in git']);
  });
});
