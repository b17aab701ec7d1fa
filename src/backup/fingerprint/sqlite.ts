// Reads the lines the SQLite fingerprint script (engines/sqlite.ts) prints for each database file:
//   SHIPPROOF-SQLITE-DB <path>
//   SHIPPROOF-SQLITE-INTEGRITY <result of PRAGMA integrity_check, first line>
//   SHIPPROOF-SQLITE-TABLE [{"t":"<table>","n":<rows>,"h":"<sha3-256 hex>"}]
import { ShipproofError } from '../../errors.js';
import type { SqliteFingerprint } from './types.js';

export const SQLITE_DB_MARKER = 'SHIPPROOF-SQLITE-DB ';
export const SQLITE_INTEGRITY_MARKER = 'SHIPPROOF-SQLITE-INTEGRITY ';
export const SQLITE_TABLE_MARKER = 'SHIPPROOF-SQLITE-TABLE ';
export const SQLITE_DONE_MARKER = 'SHIPPROOF-SQLITE-DONE';

export function parseSqliteFingerprint(lines: readonly string[]): SqliteFingerprint {
  const databases: SqliteFingerprint['databases'] = [];
  let done = false;
  for (const line of lines) {
    if (line.startsWith(SQLITE_DB_MARKER)) {
      databases.push({ path: line.slice(SQLITE_DB_MARKER.length), integrity: 'not checked', tables: [] });
    } else if (line.startsWith(SQLITE_INTEGRITY_MARKER)) {
      const db = databases[databases.length - 1];
      if (db) db.integrity = line.slice(SQLITE_INTEGRITY_MARKER.length).trim();
    } else if (line.startsWith(SQLITE_TABLE_MARKER)) {
      const db = databases[databases.length - 1];
      if (!db) throw new ShipproofError('The SQLite fingerprint lists a table before any database.');
      const rows = JSON.parse(line.slice(SQLITE_TABLE_MARKER.length)) as { t: string; n: number; h: string }[];
      for (const r of rows) db.tables.push({ name: String(r.t), rows: Number(r.n), sha3: String(r.h) });
    } else if (line.trim() === SQLITE_DONE_MARKER) {
      done = true;
    }
  }
  if (!done) throw new ShipproofError('The SQLite fingerprint did not finish: the copy could not be checked.');
  return { kind: 'sqlite', databases };
}
