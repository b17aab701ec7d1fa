// Probes that ask each data store itself: is it ready (the engine's own is-ready command), the
// database gate (connects, server version, database names and sizes: never rows), and whether
// backups can be taken (dump tools present, backups folder writable, age of the newest backup).
// Commands run inside the service's container with `docker exec`; credentials stay in the
// container's environment and are referenced as "$VAR" inside it, never passed on our argv.
// What to ask each engine is declared by its engine module (src/backup/engines/*, `probes`).
import { dockerExecCommand as dockerExec } from '../backup/commands.js';
import { engineSpec } from '../backup/engines/index.js';
import type { DatabaseInventory } from '../backup/engines/inventory.js';
import type { Engine } from '../config/schema.js';
import { detectStatefulServices, type StatefulService } from '../compose/stateful.js';
import type { ContainerInfo } from '../docker/parse.js';
import { readContainers } from './stack.js';
import { fail, pass, skipped, type Observations, type Probe, type ProbeContext } from './types.js';

/** The engine's own is-ready command (declared by its engine module), or undefined. */
export function readinessCommand(engine: Engine): string[] | undefined {
  const argv = engineSpec(engine).probes.readiness?.argv;
  return argv === undefined ? undefined : [...argv];
}

/** Whether the is-ready command's result means "accepting connections". */
export function readyFrom(engine: Engine, exitCode: number | null, stdout: string): boolean {
  return engineSpec(engine).probes.readiness?.ready(exitCode, stdout) ?? exitCode === 0;
}

export function databaseCommand(engine: Engine): string[] | undefined {
  const argv = engineSpec(engine).probes.inventory?.argv;
  return argv === undefined ? undefined : [...argv];
}

export type DatabaseReport = DatabaseInventory;

export function parseDatabaseOutput(engine: Engine, stdout: string): DatabaseReport | undefined {
  return engineSpec(engine).probes.inventory?.parse(stdout);
}

/** Undefined: the engine's backup runs in a helper container, not with a tool in the service. */
export function dumpToolCommand(engine: Engine): string[] | undefined {
  const argv = engineSpec(engine).probes.dumpTool;
  return argv === undefined ? undefined : [...argv];
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
