// The data-store probes ask each engine what its own module (src/backup/engines/*) declares:
// exact argv, how an answer reads, and that an engine without a command of its own is skipped.
import { describe, expect, it } from 'vitest';
import { BACKUP_ENGINES } from '../../src/backup/engines/catalogue.js';
import { ENGINE_SPECS } from '../../src/backup/engines/index.js';
import { databaseCommand, dumpToolCommand, parseDatabaseOutput, readinessCommand, readyFrom } from '../../src/probes/engines.js';

const MARIADB_SQL = 'select version(); select table_schema, coalesce(sum(data_length + index_length), 0) from information_schema.tables group by table_schema order by 1';

describe('engine probes, from the engine modules', () => {
  it('every engine class of the catalogue has one module that declares its probes', () => {
    expect(Object.keys(ENGINE_SPECS).sort()).toEqual([...BACKUP_ENGINES].sort());
    for (const engine of BACKUP_ENGINES) expect(ENGINE_SPECS[engine].probes, engine).toBeTypeOf('object');
  });

  it('asks each engine its own is-ready question', () => {
    expect(Object.fromEntries(BACKUP_ENGINES.map((e) => [e, readinessCommand(e)]))).toEqual({
      postgres: ['pg_isready', '--quiet'],
      mariadb: ['sh', '-c', 'mariadb-admin ping 2>/dev/null || mysqladmin ping'],
      redis: ['redis-cli', 'ping'],
      sqlite: undefined,
      volume: undefined,
      files: undefined,
      vault: ['vault', 'status', '-format=json'],
      minio: undefined,
      mongodb: ['mongosh', '--quiet', '--eval', 'db.runCommand({ ping: 1 }).ok'],
    });
  });

  it('reads each answer the engine way', () => {
    expect(readyFrom('redis', 1, '(error) NOAUTH Authentication required.')).toBe(true);
    expect(readyFrom('redis', 0, 'Could not connect')).toBe(false);
    expect(readyFrom('mariadb', 0, 'mysqld is alive')).toBe(true);
    expect(readyFrom('mariadb', 0, '')).toBe(false);
    expect(readyFrom('mongodb', 0, '1\n')).toBe(true);
    expect(readyFrom('mongodb', 0, '0')).toBe(false);
    expect(readyFrom('postgres', 0, '')).toBe(true);
    expect(readyFrom('postgres', 2, '')).toBe(false);
    expect(readyFrom('volume', 0, '')).toBe(true);
  });

  it('takes the database inventory only from SQL engines, without rows or credentials on argv', () => {
    expect(databaseCommand('postgres')).toEqual([
      'sh',
      '-c',
      'psql -U "${POSTGRES_USER:-postgres}" -d postgres -X -A -t -F "|" -c "show server_version" -c "select datname, pg_database_size(datname) from pg_database where not datistemplate order by 1"',
    ]);
    expect(databaseCommand('mariadb')).toEqual([
      'sh',
      '-c',
      `MYSQL_PWD="\${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mariadb -uroot -N -B -e "${MARIADB_SQL}" 2>/dev/null || MYSQL_PWD="\${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mysql -uroot -N -B -e "${MARIADB_SQL}"`,
    ]);
    for (const e of ['redis', 'sqlite', 'volume', 'files', 'vault', 'minio', 'mongodb'] as const) expect(databaseCommand(e), e).toBeUndefined();
    expect(parseDatabaseOutput('postgres', '15.4\napp|7651811\npostgres|7537123\n')).toEqual({ version: '15.4', databases: [{ name: 'app', bytes: 7651811 }, { name: 'postgres', bytes: 7537123 }] });
    expect(parseDatabaseOutput('mariadb', '11.4.2-MariaDB\napp\t49152\nmysql\tx\n')).toEqual({ version: '11.4.2-MariaDB', databases: [{ name: 'app', bytes: 49152 }] });
    expect(parseDatabaseOutput('postgres', '\n')).toBeUndefined();
    expect(parseDatabaseOutput('redis', '7.2')).toBeUndefined();
  });

  it('checks the dump tool in the container, or none when a helper container takes the backup', () => {
    expect(Object.fromEntries(BACKUP_ENGINES.map((e) => [e, dumpToolCommand(e)]))).toEqual({
      postgres: ['pg_dumpall', '--version'],
      mariadb: ['sh', '-c', 'mariadb-dump --version 2>/dev/null || mysqldump --version'],
      redis: ['redis-cli', '--version'],
      sqlite: ['sqlite3', '--version'],
      volume: undefined,
      files: undefined,
      vault: ['vault', 'version'],
      minio: ['mc', '--version'],
      mongodb: ['mongodump', '--version'],
    });
  });
});
