// Compares the fingerprint taken at backup time with the one taken from a restored copy, and
// says where they differ: which table, key space or file, and how. Counts and names only.
import type { FileEntry, Fingerprint, SqliteFingerprint, SqlFingerprint, FilesFingerprint, RedisFingerprint } from './types.js';

/** Mismatches listed in full; beyond this only their number is given. */
export const MAX_LISTED_MISMATCHES = 20;

export function compareFingerprints(expected: Fingerprint, actual: Fingerprint): string[] {
  if (expected.kind !== actual.kind) return [`the backup holds a ${expected.kind} fingerprint but the restore gave a ${actual.kind} one`];
  switch (expected.kind) {
    case 'sql':
      return compareSql(expected, actual as SqlFingerprint);
    case 'redis':
      return compareRedis(expected, actual as RedisFingerprint);
    case 'files':
      return compareFiles(expected, actual as FilesFingerprint);
    case 'sqlite':
      return compareSqlite(expected, actual as SqliteFingerprint);
    case 'opaque':
      return [];
  }
}

function compareSql(e: SqlFingerprint, a: SqlFingerprint): string[] {
  const out: string[] = [];
  const aDbs = new Set(a.databases);
  for (const db of e.databases) if (!aDbs.has(db)) out.push(`database ${db}: in the backup but not restored`);
  const key = (t: { database: string; table: string }) => `${t.database}/${t.table}`;
  const restored = new Map(a.tables.map((t) => [key(t), t]));
  for (const t of e.tables) {
    const r = restored.get(key(t));
    restored.delete(key(t));
    if (r === undefined) out.push(`${key(t)}: in the backup (${t.rows} rows) but not restored`);
    else if (r.rows !== t.rows) out.push(`${key(t)}: ${t.rows} rows in the backup, ${r.rows} restored`);
    else if (r.sha256 !== t.sha256) out.push(`${key(t)}: the same ${t.rows} rows counted, but their checksum differs`);
  }
  for (const r of restored.values()) out.push(`${key(r)}: restored (${r.rows} rows) but not in the backup`);
  return out;
}

function compareRedis(e: RedisFingerprint, a: RedisFingerprint): string[] {
  const out: string[] = [];
  if (e.keys !== a.keys) out.push(`keys: ${e.keys} in the backup, ${a.keys} restored`);
  if (e.expires !== a.expires) out.push(`keys with a TTL: ${e.expires} in the backup, ${a.expires} restored`);
  const restored = new Map(a.databases.map((d) => [d.db, d]));
  for (const d of e.databases) {
    const r = restored.get(d.db);
    if (r === undefined) out.push(`db${d.db}: ${d.keys} keys in the backup, none restored`);
    else if (r.keys !== d.keys) out.push(`db${d.db}: ${d.keys} keys in the backup, ${r.keys} restored`);
  }
  if (e.digest !== null && a.digest !== null && e.digest !== a.digest) out.push('dataset digest (DEBUG DIGEST) differs: some key or value changed');
  return out;
}

function describeFile(f: FileEntry): string {
  return f.type === 'file' ? `${f.size} bytes` : f.type;
}

function compareFiles(e: FilesFingerprint, a: FilesFingerprint): string[] {
  const out: string[] = [];
  const restored = new Map(a.files.map((f) => [f.path, f]));
  for (const f of e.files) {
    const r = restored.get(f.path);
    restored.delete(f.path);
    if (r === undefined) out.push(`${f.path}: in the backup (${describeFile(f)}) but not restored`);
    else if (r.type !== f.type) out.push(`${f.path}: a ${f.type} in the backup, a ${r.type} restored`);
    else if (f.type === 'file' && r.size !== f.size) out.push(`${f.path}: ${f.size} bytes in the backup, ${r.size} restored`);
    else if (f.type === 'file' && r.sha256 !== f.sha256) out.push(`${f.path}: same size, different content (sha256)`);
    else if ((f.type === 'symlink' || f.type === 'hardlink') && r.target !== f.target) out.push(`${f.path}: link target differs`);
    else if (f.type === 'file' && r.mode !== f.mode) out.push(`${f.path}: mode ${f.mode} in the backup, ${r.mode} restored`);
  }
  for (const r of restored.values()) out.push(`${r.path}: restored but not in the backup`);
  return out;
}

function compareSqlite(e: SqliteFingerprint, a: SqliteFingerprint): string[] {
  const out: string[] = [];
  const restored = new Map(a.databases.map((d) => [d.path, d]));
  for (const d of e.databases) {
    const r = restored.get(d.path);
    restored.delete(d.path);
    if (r === undefined) {
      out.push(`${d.path}: in the backup but not restored`);
      continue;
    }
    if (r.integrity !== 'ok') out.push(`${d.path}: PRAGMA integrity_check says "${r.integrity}"`);
    const tables = new Map(r.tables.map((t) => [t.name, t]));
    for (const t of d.tables) {
      const rt = tables.get(t.name);
      tables.delete(t.name);
      if (rt === undefined) out.push(`${d.path} ${t.name}: in the backup (${t.rows} rows) but not restored`);
      else if (rt.rows !== t.rows) out.push(`${d.path} ${t.name}: ${t.rows} rows in the backup, ${rt.rows} restored`);
      else if (rt.sha3 !== t.sha3) out.push(`${d.path} ${t.name}: the same ${t.rows} rows counted, but their checksum differs`);
    }
    for (const rt of tables.values()) out.push(`${d.path} ${rt.name}: restored but not in the backup`);
  }
  for (const r of restored.values()) out.push(`${r.path}: restored but not in the backup`);
  return out;
}

/** The first mismatches, then how many more. */
export function summarizeMismatches(mismatches: readonly string[], max = MAX_LISTED_MISMATCHES): string[] {
  if (mismatches.length <= max) return [...mismatches];
  return [...mismatches.slice(0, max), `… and ${mismatches.length - max} more`];
}
