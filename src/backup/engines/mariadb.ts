// MariaDB / MySQL: mariadb-dump (or mysqldump) --single-transaction of every application
// database (not the mysql system schema: users and grants come from the image's environment),
// inside the service's container. The root password is read there from MARIADB_ROOT_PASSWORD /
// MYSQL_ROOT_PASSWORD (or their _FILE forms) into MYSQL_PWD, never onto a command line.
// Rehearsal: the dump into a scratch server of the same image, then the same dump of the copy.
// Restore into the live service: the dump streamed into mariadb inside the service's container
// (the dump recreates each database it holds).
import { ShipproofError } from '../../errors.js';
import { dockerExecCommand, pipelineCommand, serverRunCommand } from '../commands.js';
import { scratchStateCommand } from '../scratch.js';
import { MysqlDumpFingerprinter } from '../fingerprint/mysql-dump.js';
import type { SqlFingerprint } from '../fingerprint/types.js';
import { parseInventoryLines, type EngineProbes } from './inventory.js';
import { RehearsalStepError, sanitizeErrorLine, type EngineSpec, type LiveRestore } from './types.js';

/** Databases are listed unless given as arguments (a rehearsal dumps exactly the backup's). */
export const MARIADB_DUMP_SCRIPT = [
  'set -e',
  // `${X-}` plus an empty check rather than `${X:-…}`: the latter reads like an assignment to the redactor.
  'pw="${MARIADB_ROOT_PASSWORD-}"',
  '[ -n "$pw" ] || pw="${MYSQL_ROOT_PASSWORD-}"',
  'pwfile="${MARIADB_ROOT_PASSWORD_FILE-}"',
  '[ -n "$pwfile" ] || pwfile="${MYSQL_ROOT_PASSWORD_FILE-}"',
  'if [ -z "$pw" ] && [ -n "$pwfile" ] && [ -r "$pwfile" ]; then pw="$(cat "$pwfile")"; fi',
  'user=root',
  'appuser="${MARIADB_USER-}"',
  '[ -n "$appuser" ] || appuser="${MYSQL_USER-}"',
  'if [ -z "$pw" ] && [ -n "$appuser" ]; then user="$appuser"; pw="${MARIADB_PASSWORD-}"; [ -n "$pw" ] || pw="${MYSQL_PASSWORD-}"; fi',
  'if [ -n "$pw" ]; then MYSQL_PWD="$pw"; export MYSQL_PWD; fi',
  'unset pw',
  'client="$(command -v mariadb || command -v mysql)"',
  'dump="$(command -v mariadb-dump || command -v mysqldump)"',
  'if [ "$#" -eq 0 ]; then',
  `  dbs="$("$client" --user="$user" --batch --skip-column-names --execute="SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1")"`,
  '  if [ -z "$dbs" ]; then echo "there is no application database to back up" >&2; exit 3; fi',
  "  set -f; IFS='\n'; set -- $dbs; unset IFS; set +f",
  'fi',
  'exec "$dump" --user="$user" --single-transaction --routines --events --triggers --databases "$@"',
].join('\n');

export function mariadbDumpCommand(container: string, databases: readonly string[] = []): string[] {
  return dockerExecCommand(container, ['sh', '-c', MARIADB_DUMP_SCRIPT, 'shipproof-mariadb-dump', ...databases]);
}

/** The scratch server has an empty root password: it has no ports and sits on its own internal network. */
export const MARIADB_SCRATCH_ENV = ['MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1', 'MYSQL_ALLOW_EMPTY_PASSWORD=1'];

/** Ready only when it listens on TCP (the init-time server runs with networking off). */
export const MARIADB_READY = ['sh', '-c', '"$(command -v mariadb-admin || command -v mysqladmin)" --protocol=tcp --host=127.0.0.1 --user=root ping'];

export const MARIADB_RESTORE = ['sh', '-c', 'exec "$(command -v mariadb || command -v mysql)" --user=root'];

export function mariadbRestoreCommand(container: string): string[] {
  return dockerExecCommand(container, MARIADB_RESTORE, { interactive: true });
}

/** Credentials as the dump script reads them (MYSQL_PWD exported), then the client as that user. */
const MARIADB_CREDENTIALS = MARIADB_DUMP_SCRIPT.split('\n').slice(0, MARIADB_DUMP_SCRIPT.split('\n').indexOf('unset pw') + 1).join('\n');

export const MARIADB_RESTORE_LIVE_SCRIPT = [MARIADB_CREDENTIALS, 'exec "$(command -v mariadb || command -v mysql)" --user="$user"'].join('\n');

export const mariadbLiveRestore: LiveRestore = {
  describe: (service, m) => `stream ${m.file} into mariadb inside ${service}`,
  async run(ctx) {
    const c = ctx.live.container as NonNullable<typeof ctx.live.container>;
    const r = await ctx.feed([dockerExecCommand(c.name, ['sh', '-c', MARIADB_RESTORE_LIVE_SCRIPT, 'shipproof-mariadb-restore'], { interactive: true })], ['mariadb restore']);
    if (!r.ok) throw new ShipproofError(`mariadb restore failed: ${r.reason ?? 'unknown reason'}`);
    return ctx.readBack([mariadbDumpCommand(c.name, (ctx.manifest.fingerprint as SqlFingerprint).databases)], new MysqlDumpFingerprinter());
  },
};

const MARIADB_INVENTORY_SQL = 'select version(); select table_schema, coalesce(sum(data_length + index_length), 0) from information_schema.tables group by table_schema order by 1';

/** The root password is read from the container's own environment (MYSQL_PWD), never our argv. */
export const MARIADB_PROBES: EngineProbes = {
  readiness: { argv: ['sh', '-c', 'mariadb-admin ping 2>/dev/null || mysqladmin ping'], ready: (exitCode, stdout) => exitCode === 0 && /alive/.test(stdout) },
  inventory: {
    argv: [
      'sh',
      '-c',
      `MYSQL_PWD="\${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mariadb -uroot -N -B -e "${MARIADB_INVENTORY_SQL}" 2>/dev/null || MYSQL_PWD="\${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mysql -uroot -N -B -e "${MARIADB_INVENTORY_SQL}"`,
    ],
    parse: (stdout) => parseInventoryLines(stdout, '\t'),
  },
  dumpTool: ['sh', '-c', 'mariadb-dump --version 2>/dev/null || mysqldump --version'],
};

export const mariadbEngine: EngineSpec = {
  engine: 'mariadb',
  tested: true,
  procedure: 'mariadb-dump --single-transaction of every application database inside the service container, gzipped',
  format: 'sql',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'gzip stream decompressed and its CRC checked while streaming',
    'the dump ends with its "-- Dump completed" line',
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: true,
  dumpCommand: (ctx) => mariadbDumpCommand((ctx.live.container as NonNullable<typeof ctx.live.container>).name),
  sink: () => new MysqlDumpFingerprinter(),
  probes: MARIADB_PROBES,
  restoreInto: mariadbLiveRestore,
  rehearsalCommands: (image, sc) => {
    const c = sc.name('mariadb');
    return [
      { argv: serverRunCommand({ image, name: c, labels: sc.labels, network: sc.network, env: MARIADB_SCRATCH_ENV }), note: 'a scratch MariaDB/MySQL of the same image' },
      { argv: dockerExecCommand(c, MARIADB_READY), note: 'until it answers "alive" (up to 180 s)' },
      { argv: scratchStateCommand(c), when: 'while it is not ready: has it stopped?' },
      { argv: sc.feed([mariadbRestoreCommand(c)]), note: 'the backup, decompressed on the server, into the mariadb client' },
      { argv: pipelineCommand([mariadbDumpCommand(c, ['<databases in the backup>'])]), note: "a dump of the backup's databases from the scratch copy, fingerprinted here and compared with the backup" },
    ];
  },
  async rehearse(rc) {
    const c = await rc.scratch.startServer(rc.image, 'mariadb', MARIADB_SCRATCH_ENV);
    await rc.scratch.waitReady(c, MARIADB_READY, 180_000, (r) => r.exitCode === 0 && /alive/.test(r.stdout));
    const restore = await rc.feed([mariadbRestoreCommand(c)], ['mariadb restore'], 'restore');
    if (!restore.ok) {
      const said = restore.stderr.firstLine();
      throw new RehearsalStepError('restore', `the restore failed${said ? `: ${sanitizeErrorLine(said)}` : `: ${restore.reason ?? 'unknown reason'}`}`);
    }
    const dbs = (rc.manifest.fingerprint as SqlFingerprint).databases;
    return rc.fingerprintOf([mariadbDumpCommand(c, dbs)], ['dump of the scratch copy'], new MysqlDumpFingerprinter(), 'read back');
  },
};
