// Fingerprints a mariadb-dump / mysqldump stream as it passes: per database and table, the number
// of rows in its INSERT statements and a sha256 over those statements. Rows are counted with a
// small byte scanner that knows quoted strings, because an extended INSERT holds many rows,
// possibly across lines. A stream without the dump's closing "-- Dump completed" line is incomplete.
import { createHash, type Hash } from 'node:crypto';
import { ShipproofError } from '../../errors.js';
import { FingerprintWritable } from './writable-sink.js';
import type { Fingerprint, TableFingerprint } from './types.js';

const NL = 0x0a;
const QUOTE = 0x27; // '
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMI = 0x3b;
const INSERT_PREFIX = Buffer.from('INSERT INTO `');
export const MYSQL_DUMP_TRAILER = '-- Dump completed';

/** The name in a backquoted identifier at the start of `text` (`` `a``b` `` -> a`b), and where it ends. */
export function readBackquoted(text: string, from = 0): { name: string; end: number } | undefined {
  if (text[from] !== '`') return undefined;
  let name = '';
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '`') {
      if (text[i + 1] === '`') {
        name += '`';
        i++;
        continue;
      }
      return { name, end: i + 1 };
    }
    name += text[i];
  }
  return undefined;
}

/** Counts rows (top-level parenthesised tuples) in an INSERT, across calls, until its `;`. */
export class TupleCounter {
  rows = 0;
  private inString = false;
  private escaped = false;
  private depth = 0;

  /** Scans bytes; returns the index just past the statement's `;`, or -1 when it continues. */
  scan(buf: Buffer, from: number, to: number): number {
    for (let i = from; i < to; i++) {
      const c = buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN) {
        if (this.depth === 0) this.rows++;
        this.depth++;
      } else if (c === CLOSE) this.depth--;
      else if (c === SEMI && this.depth === 0) return i + 1;
    }
    return -1;
  }
}

interface TableState {
  rows: number;
  hash: Hash;
}

export class MysqlDumpFingerprinter extends FingerprintWritable {
  private carry: Buffer = Buffer.alloc(0);
  private database = '';
  private readonly databases: string[] = [];
  private readonly tables = new Map<string, { database: string; table: string; state: TableState }>();
  private insert: { state: TableState; counter: TupleCounter } | undefined;
  private sawTrailer = false;

  async result(): Promise<Fingerprint> {
    await this.settled();
    const tables: TableFingerprint[] = [...this.tables.values()].map((t) => ({
      database: t.database,
      table: t.table,
      rows: t.state.rows,
      sha256: t.state.hash.copy().digest('hex'),
    }));
    return { kind: 'sql', databases: [...this.databases], tables };
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
      if (this.insert) throw incomplete('it ends inside an INSERT statement');
      if (!this.sawTrailer) throw incomplete(`it lacks the dump's closing line "${MYSQL_DUMP_TRAILER} …"`);
      cb();
    } catch (e) {
      this.failure = e as Error;
      cb(e as Error);
    }
  }

  private consume(chunk: Buffer): void {
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(NL, pos);
      if (nl === -1) break;
      this.line(data, pos, nl + 1);
      pos = nl + 1;
    }
    this.carry = pos === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(pos));
  }

  /** One line, data[start, end) including its newline. */
  private line(data: Buffer, start: number, end: number): void {
    if (this.insert === undefined && data[start] === 0x49 /* I */ && data.subarray(start, start + INSERT_PREFIX.length).equals(INSERT_PREFIX)) {
      const text = data.toString('utf8', start + INSERT_PREFIX.length - 1, Math.min(end, start + INSERT_PREFIX.length + 512));
      const id = readBackquoted(text);
      const table = this.table(id?.name ?? '?');
      this.insert = { state: table, counter: new TupleCounter() };
      // Start counting after the table name so a "(" in a quoted name is not taken for a row.
      const from = start + INSERT_PREFIX.length - 1 + Buffer.byteLength(text.slice(0, id?.end ?? 0));
      table.hash.update(data.subarray(start, end));
      this.finishInsert(this.insert.counter.scan(data, from, end));
      return;
    }
    if (this.insert) {
      this.insert.state.hash.update(data.subarray(start, end));
      this.finishInsert(this.insert.counter.scan(data, start, end));
      return;
    }
    const text = data.toString('utf8', start, end).replace(/\r?\n$/, '');
    if (text.startsWith('USE `')) {
      const id = readBackquoted(text, 4);
      if (id) {
        this.database = id.name;
        if (!this.databases.includes(id.name)) this.databases.push(id.name);
      }
    } else if (text.startsWith('CREATE TABLE `')) {
      const id = readBackquoted(text, 13);
      if (id) this.table(id.name);
    } else if (text.startsWith(MYSQL_DUMP_TRAILER)) {
      this.sawTrailer = true;
    }
  }

  private finishInsert(endIndex: number): void {
    if (endIndex === -1 || !this.insert) return;
    this.insert.state.rows += this.insert.counter.rows;
    this.insert = undefined;
  }

  private table(name: string): TableState {
    const key = `${this.database}\u0000${name}`;
    let t = this.tables.get(key);
    if (!t) {
      t = { database: this.database, table: name, state: { rows: 0, hash: createHash('sha256') } };
      this.tables.set(key, t);
    }
    return t.state;
  }
}

function incomplete(why: string): ShipproofError {
  return new ShipproofError(`The MariaDB dump is incomplete: ${why}.`, {
    hint: 'The dump was cut off or failed part-way; nothing was kept as a backup.',
  });
}
