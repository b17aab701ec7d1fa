// The one catalogue of data engines: what each is called, the images it ships as, where it keeps
// its data inside the container, which backup engine class takes it, and the healthcheck that
// asks the engine itself. Audit, stateful detection, lint, probes and the config schema all read
// it; nothing else lists engines. Pure data: no imports, so every layer may use it.

/** Backup engine classes: how a service's data is taken (one module each under engines/). */
export const BACKUP_ENGINES = ['postgres', 'mariadb', 'redis', 'sqlite', 'volume', 'files', 'vault', 'minio', 'mongodb'] as const;
export type BackupEngine = (typeof BACKUP_ENGINES)[number];

export interface EngineFamily {
  id: string;
  /** For people: "PostgreSQL". */
  label: string;
  /** Last part of the image repository ("postgres" for docker.io/library/postgres:16), lowercase. */
  images: readonly string[];
  /** Where the engine keeps its data inside the container, by default. */
  dataPaths: readonly string[];
  /** The backup engine class; `volume` = a file-level archive of its volumes. */
  backup: BackupEngine;
  /** A file-level copy is consistent only with the service stopped. */
  stopForFileCopy: boolean;
  /** A database, cache or queue that serves only the stack (never the internet). */
  dataStore: boolean;
  /** A healthcheck test that asks the engine itself (CMD-SHELL). */
  healthcheck?: string;
}

const F = (f: Omit<EngineFamily, 'stopForFileCopy' | 'dataStore'> & Partial<Pick<EngineFamily, 'stopForFileCopy' | 'dataStore'>>): EngineFamily => ({
  stopForFileCopy: true,
  dataStore: true,
  ...f,
});

export const ENGINE_FAMILIES: readonly EngineFamily[] = [
  F({
    id: 'postgres',
    label: 'PostgreSQL',
    images: ['postgres', 'postgresql', 'postgis', 'timescaledb', 'timescaledb-ha', 'pgvector', 'pgvecto-rs', 'postgresql-repmgr', 'supabase-postgres', 'cloudnative-pg', 'paradedb', 'immich-postgres'],
    dataPaths: ['/var/lib/postgresql/data', '/var/lib/postgresql', '/bitnami/postgresql', '/home/postgres/pgdata'],
    backup: 'postgres',
    healthcheck: 'pg_isready -U "$${POSTGRES_USER:-postgres}"',
  }),
  F({
    id: 'mysql',
    label: 'MySQL / MariaDB / Percona',
    images: ['mysql', 'mysql-server', 'mariadb', 'percona', 'percona-server', 'mariadb-galera'],
    dataPaths: ['/var/lib/mysql', '/bitnami/mysql', '/bitnami/mariadb', '/config/databases'],
    backup: 'mariadb',
    healthcheck: 'mariadb-admin ping -h localhost || mysqladmin ping -h localhost',
  }),
  F({
    id: 'redis',
    label: 'Redis',
    images: ['redis', 'redis-stack', 'redis-stack-server', 'redismod', 'valkey', 'keydb', 'dragonfly', 'redis-cluster'],
    dataPaths: ['/data', '/bitnami/redis/data', '/var/lib/redis'],
    backup: 'redis',
    healthcheck: 'redis-cli ping | grep -q PONG',
  }),
  F({
    id: 'mongodb',
    label: 'MongoDB',
    images: ['mongo', 'mongodb', 'mongodb-community-server', 'mongodb-enterprise-server', 'percona-server-mongodb'],
    dataPaths: ['/data/db', '/bitnami/mongodb'],
    backup: 'mongodb',
    healthcheck: 'mongosh --quiet --eval "db.runCommand({ ping: 1 }).ok" | grep -q 1',
  }),
  F({ id: 'mssql', label: 'SQL Server', images: ['mssql', 'mssql-server', 'mssql-server-linux', 'azure-sql-edge'], dataPaths: ['/var/opt/mssql'], backup: 'volume' }),
  F({
    id: 'elasticsearch',
    label: 'Elasticsearch / OpenSearch',
    images: ['elasticsearch', 'opensearch', 'elasticsearch-oss'],
    dataPaths: ['/usr/share/elasticsearch/data', '/usr/share/opensearch/data', '/bitnami/elasticsearch/data'],
    backup: 'volume',
    healthcheck: 'curl -fsS http://localhost:9200/_cluster/health',
  }),
  F({ id: 'clickhouse', label: 'ClickHouse', images: ['clickhouse-server', 'clickhouse'], dataPaths: ['/var/lib/clickhouse'], backup: 'volume', healthcheck: 'clickhouse-client --query "SELECT 1"' }),
  F({ id: 'influxdb', label: 'InfluxDB', images: ['influxdb'], dataPaths: ['/var/lib/influxdb', '/var/lib/influxdb2', '/etc/influxdb2'], backup: 'volume', healthcheck: 'influx ping' }),
  F({ id: 'rabbitmq', label: 'RabbitMQ', images: ['rabbitmq'], dataPaths: ['/var/lib/rabbitmq'], backup: 'volume', healthcheck: 'rabbitmq-diagnostics -q ping' }),
  F({
    id: 'kafka',
    label: 'Kafka / Redpanda',
    images: ['kafka', 'cp-kafka', 'redpanda', 'zookeeper', 'cp-zookeeper'],
    dataPaths: ['/var/lib/kafka/data', '/bitnami/kafka', '/var/lib/redpanda/data', '/var/lib/zookeeper', '/tmp/kafka-logs'],
    backup: 'volume',
  }),
  F({ id: 'minio', label: 'MinIO', images: ['minio'], dataPaths: ['/data', '/export'], backup: 'minio', dataStore: false, healthcheck: 'mc ready local' }),
  F({ id: 'meilisearch', label: 'Meilisearch', images: ['meilisearch'], dataPaths: ['/meili_data'], backup: 'volume', healthcheck: 'curl -fsS http://localhost:7700/health' }),
  F({ id: 'etcd', label: 'etcd', images: ['etcd'], dataPaths: ['/etcd-data', '/var/lib/etcd', '/bitnami/etcd'], backup: 'volume', healthcheck: 'etcdctl endpoint health' }),
  F({ id: 'vault', label: 'Vault / OpenBao', images: ['vault', 'openbao'], dataPaths: ['/vault/file', '/vault/data', '/openbao/file'], backup: 'vault', dataStore: false, healthcheck: 'vault status' }),
  F({ id: 'cassandra', label: 'Cassandra / ScyllaDB', images: ['cassandra', 'scylla'], dataPaths: ['/var/lib/cassandra', '/var/lib/scylla'], backup: 'volume' }),
  F({ id: 'couchdb', label: 'CouchDB', images: ['couchdb'], dataPaths: ['/opt/couchdb/data'], backup: 'volume' }),
  F({ id: 'neo4j', label: 'Neo4j', images: ['neo4j'], dataPaths: ['/data'], backup: 'volume' }),
  F({ id: 'qdrant', label: 'Qdrant', images: ['qdrant'], dataPaths: ['/qdrant/storage'], backup: 'volume' }),
  F({ id: 'typesense', label: 'Typesense', images: ['typesense'], dataPaths: ['/data'], backup: 'volume' }),
  F({ id: 'nats', label: 'NATS JetStream', images: ['nats'], dataPaths: ['/data'], backup: 'volume' }),
  F({ id: 'memcached', label: 'Memcached', images: ['memcached'], dataPaths: [], backup: 'volume', stopForFileCopy: false }),
];

/** The last part of an image's repository, without registry, tag or digest, lowercased. */
export function imageRepositoryName(image: string): string {
  const withoutDigest = image.split('@')[0] as string;
  const last = withoutDigest.split('/').pop() as string;
  return (last.split(':')[0] as string).toLowerCase();
}

/**
 * The family an image belongs to: "postgres:16-alpine", "docker.io/bitnami/redis@sha256:…",
 * "redislabs/redismod", "mcr.microsoft.com/mssql/server:2022-latest". Exact names only, so
 * "postgres-exporter" or "redis-commander" (tools, not stores) are not taken for databases.
 */
export function familyOfImage(image: string): EngineFamily | undefined {
  const name = imageRepositoryName(image);
  const found = ENGINE_FAMILIES.find((f) => f.images.includes(name));
  if (found !== undefined) return found;
  // Repositories named by path: mcr.microsoft.com/mssql/server, docker.redpanda.com/redpandadata/redpanda.
  const repo = (image.split('@')[0] as string).replace(/:[^/]*$/, '').toLowerCase();
  if (/(^|\/)mssql\/(server|rhel\/server)$/.test(repo)) return ENGINE_FAMILIES.find((f) => f.id === 'mssql');
  if (/(^|\/)elasticsearch\/elasticsearch$/.test(repo)) return ENGINE_FAMILIES.find((f) => f.id === 'elasticsearch');
  return undefined;
}

export function familyById(id: string): EngineFamily | undefined {
  return ENGINE_FAMILIES.find((f) => f.id === id);
}

/** Container paths that hold caches or build output, never data worth a backup, and why. */
const CACHE_PATHS: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /(^|\/)node_modules(\/|$)/, reason: 'node_modules is reinstalled from the lockfile' },
  { pattern: /(^|\/)target(\/|$)/, reason: 'target is Rust/Java build output, rebuilt from source' },
  { pattern: /(^|\/)\.cache(\/|$)/, reason: '.cache holds caches that are rebuilt on demand' },
  { pattern: /(^|\/)(cache|caches)(\/|$)/, reason: 'a cache folder is rebuilt on demand' },
  { pattern: /^\/(tmp|var\/tmp|run)(\/|$)/, reason: 'temporary files do not outlive the container' },
  { pattern: /(^|\/)(\.venv|venv|__pycache__|\.gradle|\.m2|\.npm|\.pnpm-store|\.yarn|vendor\/bundle|dist|build|\.next)(\/|$)/, reason: 'dependencies or build output, rebuilt from source' },
];

/** Why a mount's container path is not data, or undefined when it may be. */
export function notDataReason(containerPath: string): string | undefined {
  return CACHE_PATHS.find((c) => c.pattern.test(containerPath))?.reason;
}

/** Mounts that only configure the service (files read, not written): not data. */
export function isConfigMount(containerPath: string, readOnly: boolean): boolean {
  if (readOnly) return true;
  return /\.(conf|cfg|ini|ya?ml|json|toml|xml|env|sh|js|lua|pem|crt|key)$|\/var\/run\/docker\.sock$|^\/(proc|sys|dev)(\/|$)|^\/var\/run\/|^\/run\//.test(containerPath);
}

const CONFIG_FILE = /\.(conf|cfg|ini|ya?ml|json|toml|xml|env|sh|js|ts|lua|pem|crt|key|txt|html|php|py|rb|sql|properties)$/i;
const CONFIG_FILE_NAMES = /^(Caddyfile|Corefile|Dockerfile|Procfile|Makefile|Gemfile|nginx\.conf)$/;
const SOURCE_FOLDERS = new Set(['src', 'source', 'app', 'code', 'frontend', 'backend', 'static', 'templates', 'scripts', 'www']);

/** Why a bind mount (host `source` -> container `target`) is not data, or undefined when it may be. */
export function bindNotDataReason(source: string, target: string, readOnly: boolean): string | undefined {
  if (readOnly) return 'mounted read-only: configuration, not data';
  const base = source.replace(/\/+$/, '').split('/').pop() ?? '';
  if (CONFIG_FILE.test(base) || CONFIG_FILE_NAMES.test(base) || isConfigMount(target, false)) return 'a single file or system path: configuration, not data';
  if ((source.startsWith('.') || !source.startsWith('/')) && SOURCE_FOLDERS.has(base)) return `source code mounted from the project (${base}/), kept in git`;
  return undefined;
}
