// Fingerprints a plain-format pg_dumpall stream as it passes: per database and table, the number
// of COPY data lines (rows) and a sha256 over them. COPY text format escapes newlines inside
// values, so one line is one row, and a line that is exactly `\.` ends the table's data.
// Data lines are hashed and counted in bulk (native indexOf and hash updates), not line by line,
// so the stream is not slowed. A stream that ends without pg_dumpall's closing line is incomplete.
import { createHash, type Hash } from 'node:crypto';
import { ShipproofError } from '../../errors.js';
import { FingerprintWritable } from './writable-sink.js';
import type { Fingerprint, SqlFingerprint, TableFingerprint } from './types.js';

const NL = 0x0a;
const TERMINATOR = Buffer.from('\\.\n');
export const PG_DUMPALL_TRAILER = '-- PostgreSQL database cluster dump complete';
const COPY_PREFIX = 'COPY ';
const COPY_SUFFIX = ' FROM stdin;';

/** The database a `\connect` line switches to: `\connect app`, `\connect "My DB"`, `\connect -reuse-previous=on "dbname='x'"`. */
export function parseConnectLine(line: string): string | undefined {
  const m = /^\\connect\s+(.*)$/.exec(line);
  if (m?.[1] === undefined) return undefined;
  let rest = m[1].trim().replace(/^-reuse-previous=\S+\s+/, '');
  if (rest.startsWith('"') && rest.endsWith('"') && rest.length >= 2) rest = rest.slice(1, -1).replace(/""/g, '"');
  const conn = /^dbname='((?:[^'\\]|\\.)*)'$/.exec(rest);
  if (conn?.[1] !== undefined) return conn[1].replace(/\\(.)/g, '$1');
  return rest;
}

/** The table a `COPY … FROM stdin;` line loads, as written (quoted parts kept), or undefined. */
export function parseCopyLine(line: string): string | undefined {
  if (!line.startsWith(COPY_PREFIX) || !line.endsWith(COPY_SUFFIX)) return undefined;
  const body = line.slice(COPY_PREFIX.length, -COPY_SUFFIX.length);
  // The name ends at the first space outside double quotes (before the column list, if any).
  let inQuotes = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === ' ' && !inQuotes) return body.slice(0, i);
  }
  return inQuotes ? undefined : body;
}

export class PgDumpFingerprinter extends FingerprintWritable {
  private carry: Buffer = Buffer.alloc(0);
  private inCopy = false;
  private database = '';
  private readonly databases: string[] = [];
  private readonly tables: TableFingerprint[] = [];
  private current: { table: string; rows: number; hash: Hash } | undefined;
  private sawTrailer = false;

  async result(): Promise<Fingerprint> {
    await this.settled();
    const fp: SqlFingerprint = { kind: 'sql', databases: [...this.databases], tables: [...this.tables] };
    return fp;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    try {
      if (this.carry.length > 0) this.consume(Buffer.from('\n'));
      if (this.inCopy) throw incomplete(`it ends inside the data of ${this.database}/${this.current?.table ?? '?'}`);
      if (!this.sawTrailer) throw incomplete(`it lacks pg_dumpall's closing line "${PG_DUMPALL_TRAILER}"`);
      cb();
    } catch (e) {
      this.failure = e as Error;
      cb(e as Error);
    }
  }

  private consume(chunk: Buffer): void {
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const lastNl = data.lastIndexOf(NL);
    if (lastNl === -1) {
      this.carry = Buffer.from(data);
      return;
    }
    const end = lastNl + 1; // complete lines are data[0, end)
    let pos = 0;
    while (pos < end) {
      if (this.inCopy) pos = this.copyData(data, pos, end);
      else {
        const nl = data.indexOf(NL, pos);
        this.sqlLine(data.toString('utf8', pos, nl));
        pos = nl + 1;
      }
    }
    // Keep only the unfinished line (copied: `data` may be a large chunk we must not pin).
    this.carry = end === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(end));
  }

  /** Hashes and counts COPY rows in data[pos, end) up to the terminator line; returns where it stopped. */
  private copyData(data: Buffer, pos: number, end: number): number {
    const cur = this.current as NonNullable<typeof this.current>;
    let stop = end;
    let after = end;
    let from = pos;
    for (;;) {
      const t = data.indexOf(TERMINATOR, from);
      if (t === -1 || t + TERMINATOR.length > end) break;
      if (t === pos || data[t - 1] === NL) {
        stop = t;
        after = t + TERMINATOR.length;
        break;
      }
      from = t + 1;
    }
    if (stop > pos) {
      cur.hash.update(data.subarray(pos, stop));
      for (let i = data.indexOf(NL, pos); i !== -1 && i < stop; i = data.indexOf(NL, i + 1)) cur.rows++;
    }
    if (stop < end) {
      this.tables.push({ database: this.database, table: cur.table, rows: cur.rows, sha256: cur.hash.digest('hex') });
      this.current = undefined;
      this.inCopy = false;
    }
    return after;
  }

  private sqlLine(line: string): void {
    if (line.startsWith('\\connect')) {
      const db = parseConnectLine(line);
      if (db !== undefined) {
        this.database = db;
        if (!this.databases.includes(db)) this.databases.push(db);
      }
      return;
    }
    if (line.startsWith(COPY_PREFIX)) {
      const table = parseCopyLine(line);
      if (table !== undefined) {
        this.current = { table, rows: 0, hash: createHash('sha256') };
        this.inCopy = true;
      }
      return;
    }
    if (line === PG_DUMPALL_TRAILER) this.sawTrailer = true;
  }
}

function incomplete(why: string): ShipproofError {
  return new ShipproofError(`The PostgreSQL dump is incomplete: ${why}.`, {
    hint: 'The dump was cut off or failed part-way; nothing was kept as a backup.',
  });
}
