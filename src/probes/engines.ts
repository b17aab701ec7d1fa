// Probes that ask each data store itself: is it ready (the engine's own is-ready command), the
// database gate (connects, server version, database names and sizes: never rows), and whether
// backups can be taken (dump tools present, backups folder writable, age of the newest backup).
// Commands run inside the service's container with `docker exec`; credentials stay in the
// container's environment and are referenced as "$VAR" inside it, never passed on our argv.
import type { Engine } from '../config/schema.js';
import { detectStatefulServices, type StatefulService } from '../compose/stateful.js';
import type { ContainerInfo } from '../docker/parse.js';
import { readContainers } from './stack.js';
import { fail, pass, skipped, type Observations, type Probe, type ProbeContext } from './types.js';

export function dockerExec(container: string, argv: readonly string[]): string[] {
  return ['docker', 'exec', container, ...argv];
}

export function readinessCommand(engine: Engine): string[] | undefined {
  switch (engine) {
    case 'postgres':
      return ['pg_isready', '--quiet'];
    case 'redis':
      return ['redis-cli', 'ping'];
    case 'mariadb':
      return ['sh', '-c', 'mariadb-admin ping 2>/dev/null || mysqladmin ping'];
    case 'mongodb':
      return ['mongosh', '--quiet', '--eval', 'db.runCommand({ ping: 1 }).ok'];
    case 'vault':
      return ['vault', 'status', '-format=json'];
    default:
      return undefined;
  }
}

/** Whether the is-ready command's result means "accepting connections". */
export function readyFrom(engine: Engine, exitCode: number | null, stdout: string): boolean {
  switch (engine) {
    case 'redis':
      // NOAUTH still proves the server answers.
      return /PONG|NOAUTH/.test(stdout);
    case 'mariadb':
      return exitCode === 0 && /alive/.test(stdout);
    case 'mongodb':
      return exitCode === 0 && stdout.trim() === '1';
    default:
      return exitCode === 0;
  }
}

export function databaseCommand(engine: Engine): string[] | undefined {
  if (engine === 'postgres') {
    return [
      'sh',
      '-c',
      'psql -U "${POSTGRES_USER:-postgres}" -d postgres -X -A -t -F "|" -c "show server_version" -c "select datname, pg_database_size(datname) from pg_database where not datistemplate order by 1"',
    ];
  }
  if (engine === 'mariadb') {
    return [
      'sh',
      '-c',
      'MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mariadb -uroot -N -B -e "select version(); select table_schema, coalesce(sum(data_length + index_length), 0) from information_schema.tables group by table_schema order by 1" 2>/dev/null || MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mysql -uroot -N -B -e "select version(); select table_schema, coalesce(sum(data_length + index_length), 0) from information_schema.tables group by table_schema order by 1"',
    ];
  }
  return undefined;
}

export interface DatabaseReport {
  version: string;
  databases: { name: string; bytes: number }[];
}

export function parseDatabaseOutput(engine: Engine, stdout: string): DatabaseReport | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const version = lines[0];
  if (version === undefined) return undefined;
  const sep = engine === 'postgres' ? '|' : '\t';
  const databases = lines.slice(1).flatMap((l) => {
    const [name, size] = l.split(sep);
    return name && size !== undefined && /^\d+$/.test(size.trim()) ? [{ name, bytes: Number(size) }] : [];
  });
  return { version, databases };
}

export function dumpToolCommand(engine: Engine): string[] | undefined {
  switch (engine) {
    case 'postgres':
      return ['pg_dumpall', '--version'];
    case 'redis':
      return ['redis-cli', '--version'];
    case 'mariadb':
      return ['sh', '-c', 'mariadb-dump --version 2>/dev/null || mysqldump --version'];
    case 'sqlite':
      return ['sqlite3', '--version'];
    case 'mongodb':
      return ['mongodump', '--version'];
    case 'vault':
      return ['vault', 'version'];
    case 'minio':
      return ['mc', '--version'];
    default:
      return undefined; // volume archives use a helper container, not a tool in the service
  }
}

export function backupsFolderCommand(dir: string): string[] {
  return [
    'sh',
    '-c',
    'd="$1"; if [ -d "$d" ]; then if [ -w "$d" ]; then echo writable; else echo read-only; fi; stat -c %a -- "$d"; find "$d" -maxdepth 2 -type f ! -name "*.partial" -printf "%T@\\n" 2>/dev/null | sort -n | tail -n 1; else echo absent; fi',
    'shipproof-backups',
    dir,
  ];
}

interface EngineService {
  stateful: StatefulService;
  container: ContainerInfo | undefined;
}

async function engineServices(ctx: ProbeContext): Promise<EngineService[]> {
  if (!ctx.compose) return [];
  const stateful = detectStatefulServices(ctx.compose, ctx.config.stateful);
  if (stateful.length === 0) return [];
  const containers = await readContainers(ctx);
  return stateful.map((s) => ({
    stateful: s,
    container: containers.find((c) => c.service === s.service && c.state === 'running') ?? containers.find((c) => c.service === s.service),
  }));
}

function planFor(ctx: Parameters<Probe['plan']>[0], build: (e: Engine) => string[] | undefined): ReturnType<Probe['plan']> {
  if (!ctx.compose) return [];
  return detectStatefulServices(ctx.compose, ctx.config.stateful).flatMap((s) => {
    const argv = build(s.engine);
    return argv ? [{ where: 'target' as const, argv: dockerExec(`<container of ${s.service}>`, argv) }] : [];
  });
}

export const readinessProbe: Probe = {
  id: 'readiness',
  title: 'Data stores ready',
  reads: "each data store's own is-ready answer (pg_isready, redis-cli ping, mariadb-admin ping, …)",
  gate: true,
  neverRecords: ['credentials', 'rows', 'keys'],
  plan: (ctx) => planFor(ctx, readinessCommand),
  async run(ctx) {
    const services = (await engineServices(ctx)).filter((s) => readinessCommand(s.stateful.engine) !== undefined);
    if (services.length === 0) return skipped('no data store with an is-ready command in the compose file');
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      services.map(async ({ stateful, container }) => {
        const key = stateful.service;
        observations[`${key}.engine`] = stateful.engine;
        if (!container || container.state !== 'running') {
          observations[`${key}.ready`] = false;
          problems.push(`${key} is not running`);
          return;
        }
        const r = await ctx.run(dockerExec(container.name, readinessCommand(stateful.engine)!));
        const ready = readyFrom(stateful.engine, r.exitCode, r.stdout);
        observations[`${key}.ready`] = ready;
        if (!ready) problems.push(`${key} (${stateful.engine}) is not accepting connections`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};

export const databaseProbe: Probe = {
  id: 'database',
  title: 'Database gate',
  reads: 'connects to each SQL database: server version, database names and sizes (never rows)',
  gate: true,
  neverRecords: ['rows', 'table contents', 'credentials'],
  plan: (ctx) => planFor(ctx, databaseCommand),
  async run(ctx) {
    const services = (await engineServices(ctx)).filter((s) => databaseCommand(s.stateful.engine) !== undefined);
    if (services.length === 0) return skipped('no PostgreSQL or MariaDB service in the compose file');
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      services.map(async ({ stateful, container }) => {
        const key = stateful.service;
        if (!container || container.state !== 'running') {
          problems.push(`${key} is not running`);
          return;
        }
        const r = await ctx.run(dockerExec(container.name, databaseCommand(stateful.engine)!));
        const report = r.exitCode === 0 ? parseDatabaseOutput(stateful.engine, r.stdout) : undefined;
        if (!report) {
          problems.push(`could not connect to ${key} (${stateful.engine})`);
          return;
        }
        observations[`${key}.version`] = report.version;
        observations[`${key}.databases`] = report.databases.map((d) => `${d.name} ${d.bytes}`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};

export const backupSupportProbe: Probe = {
  id: 'backup-support',
  title: 'Backup support',
  reads: 'dump tools present in each data store container, backups folder writable and private, age of the newest backup',
  gate: false,
  neverRecords: ['backup contents', 'file names of backups'],
  plan: (ctx) => [...planFor(ctx, dumpToolCommand), { where: 'target', argv: backupsFolderCommand(ctx.target.backupsDir) }],
  async run(ctx) {
    const services = await engineServices(ctx);
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      services.map(async ({ stateful, container }) => {
        const key = stateful.service;
        const argv = dumpToolCommand(stateful.engine);
        if (argv === undefined) {
          observations[`${key}.tool`] = 'volume archive (helper container)';
          return;
        }
        if (!container || container.state !== 'running') {
          observations[`${key}.tool`] = null;
          problems.push(`${key} is not running, so its dump tool was not checked`);
          return;
        }
        const r = await ctx.run(dockerExec(container.name, argv));
        const line = r.stdout.split('\n')[0]?.trim() ?? '';
        observations[`${key}.tool`] = r.exitCode === 0 ? line.slice(0, 120) : null;
        if (r.exitCode !== 0) problems.push(`${key} has no ${argv[0]} in its container`);
      }),
    );
    const folder = await ctx.run(backupsFolderCommand(ctx.target.backupsDir));
    const [state, mode, newest] = folder.stdout.split('\n').map((l) => l.trim());
    observations.backupsDir = ctx.target.backupsDir;
    observations.backupsDirState = state ?? null;
    observations.backupsDirMode = state === 'absent' ? null : (mode ?? null);
    const newestSeconds = newest ? Number(newest) : NaN;
    observations.newestBackupAgeHours = Number.isFinite(newestSeconds) ? Math.round((Date.now() / 1000 - newestSeconds) / 36) / 100 : null;
    if (state === 'absent') problems.push('the backups folder does not exist yet');
    else if (state !== 'writable') problems.push('the backups folder is not writable');
    if (mode && state !== 'absent' && (parseInt(mode, 8) & 0o077) !== 0) problems.push(`the backups folder is mode ${mode}; use 700`);
    if (services.length === 0 && problems.length === 0) return pass(observations, 'no data stores found in the compose file');
    return problems.length ? pass(observations, problems.join('; ')) : pass(observations);
  },
};
