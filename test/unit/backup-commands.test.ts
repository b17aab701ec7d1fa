import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/redact/index.js';
import {
  finalizeCommand,
  helperRunCommand,
  listBackupsCommand,
  networkCreateCommand,
  parseSha256Output,
  parseStagesMarker,
  pipelineCommand,
  pipelineStageNames,
  prepareBackupsDirCommand,
  removeFilesCommand,
  serverRunCommand,
} from '../../src/backup/commands.js';
import { MARIADB_DUMP_SCRIPT, mariadbDumpCommand, MARIADB_READY } from '../../src/backup/engines/mariadb.js';
import { parsePgRestoreMarkers, PG_DUMP_SCRIPT, PG_RESTORE_SCRIPT, pgDumpCommand, pgRedumpCommand, pgRestoreCommand } from '../../src/backup/engines/postgres.js';
import { REDIS_DUMP_SCRIPT, REDIS_FINGERPRINT_SCRIPT, redisFingerprintCommand } from '../../src/backup/engines/redis.js';
import { SQLITE_SCRIPT, sqliteDumpInHelperCommand } from '../../src/backup/engines/sqlite.js';
import { sanitizeErrorLine } from '../../src/backup/engines/types.js';
import { MONGODB_DUMP_SCRIPT, VAULT_SNAPSHOT_SCRIPT } from '../../src/backup/engines/untested.js';
import { volumeArchiveCommand, volumeExtractCommand } from '../../src/backup/engines/volume.js';
import { backupFileName, backupId, backupStamp, checksumLine, freeStamp, parseStamp } from '../../src/backup/naming.js';
import { MARIADB_RESTORE_LIVE_SCRIPT } from '../../src/backup/engines/mariadb.js';
import { PG_RESTORE_LIVE_SCRIPT } from '../../src/backup/engines/postgres.js';

describe('backup names', () => {
  it('stamps in UTC whole seconds and reads them back', () => {
    const d = new Date('2026-05-13T23:31:49.987Z');
    expect(backupStamp(d)).toBe('20260513T233149Z');
    expect(parseStamp('20260513T233149Z')?.toISOString()).toBe('2026-05-13T23:31:49.000Z');
    expect(parseStamp('2026-05-13')).toBeUndefined();
    expect(backupFileName(backupId('db', 'postgres', '20260513T233149Z'), { format: 'sql', compression: 'gzip', encrypted: false })).toBe('db-postgres-20260513T233149Z.sql.gz');
    expect(backupFileName('x', { format: 'rdb', compression: 'gzip', encrypted: true })).toBe('x.rdb.gz.age');
  });

  it('moves past stamps already taken', () => {
    const now = new Date('2026-05-13T23:31:49.500Z');
    expect(freeStamp('db', 'postgres', now, new Set(['db-postgres-20260513T233149Z', 'db-postgres-20260513T233150Z'])).stamp).toBe('20260513T233151Z');
  });

  it('writes sha256sum -c lines', () => {
    const h = 'a'.repeat(64);
    expect(checksumLine(h, 'db.sql.gz')).toBe(`${h}  db.sql.gz\n`);
    expect(() => checksumLine('nope', 'x')).toThrow();
    expect(() => checksumLine(h, 'a\nb')).toThrow();
  });
});

describe('host commands', () => {
  it('builds a pipefail pipeline that reports each stage and tees to a positional path', () => {
    expect(pipelineCommand([['docker', 'exec', 'c', 'sh', '-c', 'echo "$X"']], { gzipLevel: 6, teeTo: "/b/it's.partial" })).toEqual([
      'bash',
      '-c',
      [
        'set -u',
        'umask 077',
        `docker exec c sh -c 'echo "$X"' | gzip -c -n -6 | tee -- "$1"`,
        's=("${PIPESTATUS[@]}")',
        `printf 'SHIPPROOF-STAGES %s\\n' "\${s[*]}" >&2`,
        'for c in "${s[@]}"; do [ "$c" -eq 0 ] || exit "$c"; done; sync -- "$1" 2>/dev/null || sync',
      ].join('\n'),
      'shipproof-pipeline',
      "/b/it's.partial",
    ]);
    expect(pipelineCommand([['cat']], { feedFrom: '/b/x.gz' })[2]).toContain('gzip -dc -- "$1" | cat');
    expect(pipelineCommand([['cat']], { feedStdin: true })[2]).toContain('gzip -dc | cat');
    expect(pipelineStageNames(['dump'], { gzipLevel: 6, teeTo: 'x' })).toEqual(['dump', 'gzip', 'write']);
    expect(() => pipelineCommand([])).toThrow();
    expect(() => pipelineCommand([['x']], { gzipLevel: 10 })).toThrow();
  });

  it('runs for real: the first failing stage is reported and fails the pipeline', () => {
    const [bash, c, script, name] = pipelineCommand([['sh', '-c', 'echo out; exit 3'], ['cat']]);
    let stderr = '';
    let status = 0;
    try {
      execFileSync(bash as string, [c as string, script as string, name as string], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(3);
    expect(stderr).toContain('SHIPPROOF-STAGES 3 0');
    expect(parseStagesMarker('SHIPPROOF-STAGES 3 0')).toEqual([3, 0]);
    expect(parseStagesMarker('other')).toBeUndefined();
  });

  it('builds the folder, finalize, list and remove commands with paths as parameters', () => {
    expect(prepareBackupsDirCommand('/srv/b')).toEqual(['sh', '-c', 'umask 077 && mkdir -p -- "$1" && chmod 700 -- "$1" && test -w "$1"', 'shipproof-backups-dir', '/srv/b']);
    expect(finalizeCommand('/b/x.partial', '/b/x').slice(4)).toEqual(['/b/x.partial', '/b/x']);
    expect(listBackupsCommand('/b').slice(-2)).toEqual(['shipproof-list', '/b']);
    expect(removeFilesCommand('/b', ['a', 'b'])).toEqual(['sh', '-c', 'cd -- "$1" && shift && rm -f -- "$@"', 'shipproof-remove', '/b', 'a', 'b']);
    expect(() => removeFilesCommand('/b', ['../etc/passwd'])).toThrow();
    expect(() => removeFilesCommand('/b', ['..'])).toThrow();
    expect(parseSha256Output(`${'b'.repeat(64)}  /b/x\n`)).toBe('b'.repeat(64));
    expect(parseSha256Output('sha256sum: x: No such file')).toBeUndefined();
  });

  it('builds docker helper and scratch containers: labelled, no network by default, read-only mounts', () => {
    expect(helperRunCommand({ image: 'busybox:1.36', argv: ['tar', '-c'], labels: { 'shipproof.backup': 'x' }, mounts: [{ volume: 'p_data', target: '/backup/data', readOnly: true }], entrypoint: '' })).toEqual([
      'docker', 'run', '--rm', '--label', 'shipproof.backup=x', '--network', 'none',
      '--mount', 'type=volume,source=p_data,target=/backup/data,readonly', '--entrypoint', '', 'busybox:1.36', 'tar', '-c',
    ]);
    expect(serverRunCommand({ image: 'sha256:abc', name: 'n', network: 'net', env: ['A=1'] })).toEqual(['docker', 'run', '--detach', '--name', 'n', '--network', 'net', '--env', 'A=1', 'sha256:abc']);
    expect(networkCreateCommand('net', { a: 'b' })).toEqual(['docker', 'network', 'create', '--internal', '--label', 'a=b', 'net']);
    expect(() => helperRunCommand({ image: 'x', argv: [], mounts: [{ volume: 'a,b', target: '/x' }] })).toThrow();
  });
});

describe('engine commands', () => {
  const redactor = new Redactor();
  const scripts = { PG_DUMP_SCRIPT, PG_RESTORE_SCRIPT, MARIADB_DUMP_SCRIPT, REDIS_DUMP_SCRIPT, REDIS_FINGERPRINT_SCRIPT, SQLITE_SCRIPT, MONGODB_DUMP_SCRIPT, VAULT_SNAPSHOT_SCRIPT, PG_RESTORE_LIVE_SCRIPT, MARIADB_RESTORE_LIVE_SCRIPT };

  it.each(Object.entries(scripts))('%s is valid POSIX sh', (_name, script) => {
    expect(() => execFileSync('sh', ['-n', '-c', script], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(Object.entries(scripts))('%s is recorded in evidence as written: the redactor finds nothing secret in it', (_name, script) => {
    expect(redactor.scan(script)).toEqual([]);
    expect(redactor.scan(JSON.stringify(script))).toEqual([]);
  });

  it('never puts a secret value on argv: passwords are read from the container environment', () => {
    expect(pgDumpCommand('proj_db_1')).toEqual(['docker', 'exec', 'proj_db_1', 'sh', '-c', PG_DUMP_SCRIPT, 'shipproof-pg-dump']);
    expect(PG_DUMP_SCRIPT).toContain('PGPASSWORD="${POSTGRES_PASSWORD:-}"');
    expect(MARIADB_DUMP_SCRIPT).toContain('MYSQL_PWD="$pw"; export MYSQL_PWD');
    expect(REDIS_DUMP_SCRIPT).toContain('REDISCLI_AUTH="$REDIS_PASSWORD"');
    for (const s of Object.values(scripts)) expect(s).not.toMatch(/--password[= ]|-p"\$/);
    expect(mariadbDumpCommand('c', ['app', 'b q'])).toEqual(['docker', 'exec', 'c', 'sh', '-c', MARIADB_DUMP_SCRIPT, 'shipproof-mariadb-dump', 'app', 'b q']);
    expect(MARIADB_READY[2]).toContain('--protocol=tcp');
  });

  it('restores and re-dumps in the scratch container only', () => {
    expect(pgRestoreCommand('scratch')).toEqual(['docker', 'exec', '-i', 'scratch', 'sh', '-c', PG_RESTORE_SCRIPT, 'shipproof-pg-restore']);
    expect(pgRedumpCommand('scratch')).toEqual(['docker', 'exec', 'scratch', 'pg_dumpall', '--username=postgres', '--no-password']);
    expect(parsePgRestoreMarkers(['SHIPPROOF-PG-RESTORE 0 1 0'])).toEqual({ exitCode: 0, errors: 1, unexpected: 0 });
    expect(parsePgRestoreMarkers(['SHIPPROOF-PG-RESTORE 0 3 2', 'SHIPPROOF-PG-FIRST-ERROR ERROR:  invalid input syntax for type integer: "secret-ish"'])).toEqual({
      exitCode: 0,
      errors: 3,
      unexpected: 2,
      first: 'ERROR:  invalid input syntax for type integer',
    });
  });

  it('cuts engine error lines before quoted data', () => {
    expect(sanitizeErrorLine("ERROR 1062 (23000) at line 5: Duplicate entry 'bob@example.com' for key 'email'")).toBe('ERROR 1062 (23000) at line 5: Duplicate entry');
    expect(sanitizeErrorLine('ERROR:  relation "items" already exists')).toBe('ERROR:  relation "items" already exists');
  });

  it('archives volumes read-only and restores only into scratch volumes', () => {
    const vols = [{ name: 'uploads', volume: 'proj_uploads', destination: '/srv/uploads' }];
    expect(volumeArchiveCommand('sha256:h', vols, { 'shipproof.backup': 'id' })).toContain('type=volume,source=proj_uploads,target=/backup/uploads,readonly');
    expect(volumeExtractCommand('sha256:h', 'shipproof-rehearsal-1-data', { labels: {}, network: 'n' })).toContain('type=volume,source=shipproof-rehearsal-1-data,target=/restore');
    expect(sqliteDumpInHelperCommand('img', vols, {})).toEqual(expect.arrayContaining(['type=volume,source=proj_uploads,target=/srv/uploads', 'dump', '/srv/uploads']));
    expect(redisFingerprintCommand('sha256:r', { labels: { l: '1' } })).toEqual(['docker', 'run', '--rm', '-i', '--label', 'l=1', '--network', 'none', '--entrypoint', '', 'sha256:r', 'sh', '-c', REDIS_FINGERPRINT_SCRIPT, 'shipproof-redis-fingerprint']);
  });
});
