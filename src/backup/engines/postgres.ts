// PostgreSQL: a logical pg_dumpall of the whole cluster (roles, every database), run inside the
// service's container. The password is read there from its environment (POSTGRES_PASSWORD or
// POSTGRES_PASSWORD_FILE) into PGPASSWORD, never onto a command line; the official images trust
// local socket connections anyway. Rehearsal: psql into a scratch server of the same image, then
// pg_dumpall of the scratch copy, fingerprinted the same way as the backup stream. Restore into
// the live service: each database the backup recreates is dropped (WITH FORCE) and the dump
// streamed into psql inside the service's container; roles are kept.
import { ShipproofError } from '../../errors.js';
import { dockerExecCommand, pipelineCommand, serverRunCommand } from '../commands.js';
import { scratchStateCommand } from '../scratch.js';
import { PgDumpFingerprinter } from '../fingerprint/pg-dump.js';
import type { SqlFingerprint } from '../fingerprint/types.js';
import { exitsZero, parseInventoryLines, type EngineProbes } from './inventory.js';
import { RehearsalStepError, sanitizeErrorLine, type EngineSpec, type LiveRestore } from './types.js';

export const PG_DUMP_SCRIPT = [
  'set -e',
  'if [ -z "${PGPASSWORD:-}" ]; then',
  '  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ] && [ -r "$POSTGRES_PASSWORD_FILE" ]; then PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; else PGPASSWORD="${POSTGRES_PASSWORD:-}"; fi',
  'fi',
  'if [ -n "$PGPASSWORD" ]; then export PGPASSWORD; else unset PGPASSWORD; fi',
  'exec pg_dumpall --username="${POSTGRES_USER:-postgres}" --no-password',
].join('\n');

export function pgDumpCommand(container: string): string[] {
  return dockerExecCommand(container, ['sh', '-c', PG_DUMP_SCRIPT, 'shipproof-pg-dump']);
}

/** The scratch server: trust on its own internal network; the password is a placeholder, not a secret. */
export const PG_SCRATCH_ENV = ['POSTGRES_HOST_AUTH_METHOD=trust', 'POSTGRES_PASSWORD=shipproof-rehearsal-placeholder'];

/** Ready only when the final server listens on TCP (the init-time server listens on the socket only). */
export const PG_READY = ['pg_isready', '--host=127.0.0.1', '--username=postgres', '--quiet'];

export const PG_RESTORE_MARKER = 'SHIPPROOF-PG-RESTORE ';
export const PG_FIRST_ERROR_MARKER = 'SHIPPROOF-PG-FIRST-ERROR ';

/**
 * psql reads the dump from stdin; errors are counted, except `role "postgres" already exists`
 * (the scratch server's own superuser), which every pg_dumpall restore into a fresh cluster meets.
 */
export const PG_RESTORE_SCRIPT = [
  'e=$(mktemp)',
  'psql -X -q -o /dev/null -v ON_ERROR_STOP=0 --username=postgres --dbname=postgres 2>"$e"',
  'rc=$?',
  'all=$(grep -c "^ERROR:" "$e" || true)',
  `bad=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role "postgres" already exists' | wc -l)`,
  `first=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role "postgres" already exists' | head -n 1)`,
  'rm -f "$e"',
  `printf '${PG_RESTORE_MARKER}%s %s %s\\n' "$rc" "$all" "$bad" >&2`,
  `[ -z "$first" ] || printf '${PG_FIRST_ERROR_MARKER}%s\\n' "$first" >&2`,
  '[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]',
].join('\n');

export function pgRestoreCommand(container: string): string[] {
  return dockerExecCommand(container, ['sh', '-c', PG_RESTORE_SCRIPT, 'shipproof-pg-restore'], { interactive: true });
}

export function pgRedumpCommand(container: string): string[] {
  return dockerExecCommand(container, ['pg_dumpall', '--username=postgres', '--no-password']);
}

/** Reads the restore markers: how many errors, and the first unexpected one (cut before any data). */
export function parsePgRestoreMarkers(markers: readonly string[]): { exitCode: number; errors: number; unexpected: number; first?: string } | undefined {
  const line = markers.find((m) => m.startsWith(PG_RESTORE_MARKER));
  if (!line) return undefined;
  const [rc, all, bad] = line.slice(PG_RESTORE_MARKER.length).trim().split(' ').map(Number);
  const first = markers.find((m) => m.startsWith(PG_FIRST_ERROR_MARKER));
  return {
    exitCode: rc ?? -1,
    errors: all ?? 0,
    unexpected: bad ?? 0,
    ...(first ? { first: sanitizeErrorLine(first.slice(PG_FIRST_ERROR_MARKER.length)) } : {}),
  };
}

/** Credentials as the dump script reads them, then `$@` runs with PGPASSWORD exported. */
const PG_CREDENTIALS = PG_DUMP_SCRIPT.split('\n').filter((l) => !l.startsWith('exec ')).join('\n');

/** Drops the databases the backup recreates (recreating `postgres`), then restores; only `role … already exists` errors are expected. */
export const PG_RESTORE_LIVE_SCRIPT = [
  PG_CREDENTIALS,
  'u="${POSTGRES_USER:-postgres}"',
  'for db in "$@"; do',
  '  case "$db" in template0|template1) continue;; esac',
  `  q="$(printf '%s' "$db" | sed 's/"/""/g')"`,
  '  psql -X -q -v ON_ERROR_STOP=1 --username="$u" --dbname=template1 -c "DROP DATABASE IF EXISTS \\"$q\\" WITH (FORCE)"',
  '  if [ "$db" = postgres ]; then psql -X -q -v ON_ERROR_STOP=1 --username="$u" --dbname=template1 -c "CREATE DATABASE postgres"; fi',
  'done',
  'set +e',
  'e="$(mktemp)"',
  'psql -X -q -o /dev/null -v ON_ERROR_STOP=0 --username="$u" --dbname=template1 2>"$e"',
  'rc=$?',
  'all=$(grep -c "^ERROR:" "$e")',
  `bad=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role ".*" already exists' | wc -l)`,
  `first=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role ".*" already exists' | head -n 1)`,
  'rm -f "$e"',
  `printf '${PG_RESTORE_MARKER}%s %s %s\\n' "$rc" "$all" "$bad" >&2`,
  `[ -z "$first" ] || printf '${PG_FIRST_ERROR_MARKER}%s\\n' "$first" >&2`,
  '[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]',
].join('\n');

export const postgresLiveRestore: LiveRestore = {
  describe: (service, m) => `stream ${m.file} into psql inside ${service} (roles kept, each database replaced)`,
  async run(ctx) {
    const c = ctx.live.container as NonNullable<typeof ctx.live.container>;
    const dbs = (ctx.manifest.fingerprint as SqlFingerprint).databases;
    const r = await ctx.feed([dockerExecCommand(c.name, ['sh', '-c', PG_RESTORE_LIVE_SCRIPT, 'shipproof-pg-restore', ...dbs], { interactive: true })], ['psql restore']);
    const summary = parsePgRestoreMarkers(r.markers);
    if (summary && summary.unexpected > 0) throw new ShipproofError(`psql reported ${summary.unexpected} unexpected error(s)${summary.first ? `; the first: ${summary.first}` : ''}`);
    if (!r.ok) throw new ShipproofError(`psql restore failed: ${r.reason ?? 'unknown reason'}`);
    return ctx.readBack([pgDumpCommand(c.name)], new PgDumpFingerprinter());
  },
};

/** Asked inside the service's container, as its own user; the password never leaves it. */
export const PG_PROBES: EngineProbes = {
  readiness: { argv: ['pg_isready', '--quiet'], ready: exitsZero },
  inventory: {
    argv: [
      'sh',
      '-c',
      'psql -U "${POSTGRES_USER:-postgres}" -d postgres -X -A -t -F "|" -c "show server_version" -c "select datname, pg_database_size(datname) from pg_database where not datistemplate order by 1"',
    ],
    parse: (stdout) => parseInventoryLines(stdout, '|'),
  },
  dumpTool: ['pg_dumpall', '--version'],
};

export const postgresEngine: EngineSpec = {
  engine: 'postgres',
  tested: true,
  procedure: 'pg_dumpall logical dump (roles and every database) inside the service container, gzipped',
  format: 'sql',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'gzip stream decompressed and its CRC checked while streaming',
    "the dump ends with pg_dumpall's closing line",
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: true,
  dumpCommand: (ctx) => pgDumpCommand((ctx.live.container as NonNullable<typeof ctx.live.container>).name),
  sink: () => new PgDumpFingerprinter(),
  probes: PG_PROBES,
  rehearsalCommands: (image, sc) => {
    const c = sc.name('postgres');
    return [
      { argv: serverRunCommand({ image, name: c, labels: sc.labels, network: sc.network, env: PG_SCRATCH_ENV }), note: 'a scratch PostgreSQL of the same image' },
      { argv: dockerExecCommand(c, PG_READY), note: 'until it is ready (up to 180 s)' },
      { argv: scratchStateCommand(c), when: 'while it is not ready: has it stopped?' },
      { argv: sc.feed([pgRestoreCommand(c)]), note: 'the backup, decompressed on the server, into psql' },
      { argv: pipelineCommand([pgRedumpCommand(c)]), note: 'pg_dumpall of the scratch copy, fingerprinted here and compared with the backup' },
    ];
  },
  restoreInto: postgresLiveRestore,
  async rehearse(rc) {
    const c = await rc.scratch.startServer(rc.image, 'postgres', PG_SCRATCH_ENV);
    await rc.scratch.waitReady(c, PG_READY, 180_000, (r) => r.exitCode === 0);
    const restore = await rc.feed([pgRestoreCommand(c)], ['psql restore'], 'restore');
    const summary = parsePgRestoreMarkers(restore.markers);
    if (summary && summary.unexpected > 0) {
      throw new RehearsalStepError('restore', `psql reported ${summary.unexpected} unexpected error(s) while restoring${summary.first ? `; the first: ${summary.first}` : ''}`);
    }
    if (!restore.ok) throw new RehearsalStepError('restore', `the restore failed: ${restore.reason ?? 'unknown reason'}`);
    if (!summary) throw new RehearsalStepError('restore', 'psql did not report how the restore went');
    return rc.fingerprintOf([pgRedumpCommand(c)], ['pg_dumpall of the scratch copy'], new PgDumpFingerprinter(), 'read back');
  },
};
