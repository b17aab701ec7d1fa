// Reads a tar stream as it passes (ustar, GNU long names, pax headers) and lists its entries:
// path, type, size, mode, and a sha256 of each file's content. Header checksums are checked, and
// a stream that ends without the end-of-archive block is incomplete. Contents are hashed, never kept.
import { createHash, type Hash } from 'node:crypto';
import { ShipproofError } from '../../errors.js';
import type { FileEntry, FileType, Fingerprint } from './types.js';
import { FingerprintWritable } from './writable-sink.js';

const BLOCK = 512;
/** Long names and pax headers are read into memory; anything larger is not a name. */
const MAX_META = 1 << 20;

function cString(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.toString('utf8', 0, nul === -1 ? len : nul);
}

/** A numeric header field: octal text, or GNU base-256 when the high bit is set. */
export function tarNumber(buf: Buffer, start: number, len: number): number {
  const first = buf[start] ?? 0;
  if (first & 0x80) {
    let n = first & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + (buf[start + i] ?? 0);
    return n;
  }
  const text = cString(buf, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

export function headerChecksumOk(h: Buffer): boolean {
  const stored = tarNumber(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  return sum === stored;
}

/** "./a/b/" -> "a/b"; "." -> "". */
export function normalizeTarPath(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/^\.$/, '').replace(/\/+$/, '');
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < text.length) {
    const space = text.indexOf(' ', pos);
    if (space === -1) break;
    const len = Number(text.slice(pos, space));
    if (!Number.isFinite(len) || len <= 0) break;
    const record = text.slice(space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

type State =
  | { kind: 'header' }
  | { kind: 'data'; entry: FileEntry | undefined; hash: Hash | undefined; meta: Buffer[] | undefined; metaType: string; left: number; pad: number }
  | { kind: 'end' };

export class TarFingerprinter extends FingerprintWritable {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'header' };
  private readonly entries: FileEntry[] = [];
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Record<string, string> = {};

  async result(): Promise<Fingerprint> {
    await this.settled();
    return { kind: 'files', files: [...this.entries] };
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
    if (this.state.kind !== 'end') {
      this.failure = new ShipproofError(
        this.state.kind === 'data' ? 'The archive is incomplete: it ends inside a file.' : 'The archive is incomplete: it has no end-of-archive block.',
        { hint: 'The archive was cut off or failed part-way; nothing was kept as a backup.' },
      );
      cb(this.failure);
      return;
    }
    cb();
  }

  private consume(chunk: Buffer): void {
    let data = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    while (pos < data.length) {
      const s = this.state;
      if (s.kind === 'end') {
        pos = data.length; // trailing zero padding after the end blocks
        break;
      }
      if (s.kind === 'data') {
        if (s.left > 0) {
          const n = Math.min(s.left, data.length - pos);
          const part = data.subarray(pos, pos + n);
          s.hash?.update(part);
          if (s.meta) s.meta.push(Buffer.from(part));
          s.left -= n;
          pos += n;
          if (s.left > 0) break;
        }
        const skip = Math.min(s.pad, data.length - pos);
        s.pad -= skip;
        pos += skip;
        if (s.pad > 0) break;
        this.finishEntry(s);
        this.state = { kind: 'header' };
        continue;
      }
      if (data.length - pos < BLOCK) break;
      const h = data.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      if (h.every((b) => b === 0)) {
        this.state = { kind: 'end' };
        continue;
      }
      this.header(h);
    }
    data = data.subarray(pos);
    this.buf = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }

  private header(h: Buffer): void {
    if (!headerChecksumOk(h)) throw new ShipproofError('The archive is damaged: a tar header checksum does not match.');
    const typeflag = String.fromCharCode(h[156] ?? 0);
    const size = this.pax.size !== undefined ? Number(this.pax.size) : tarNumber(h, 124, 12);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (size > MAX_META) throw new ShipproofError('The archive is damaged: a tar metadata header is implausibly large.');
      this.state = { kind: 'data', entry: undefined, hash: undefined, meta: [], metaType: typeflag, left: size, pad };
      return;
    }
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? cString(h, 345, 155) : '';
    const rawName = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100));
    const linkName = this.pax.linkpath ?? this.longLink ?? cString(h, 157, 100);
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = {};
    const type: FileType =
      typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'hardlink' : 'other';
    const path = normalizeTarPath(rawName);
    const entry: FileEntry = {
      path,
      type,
      size: type === 'file' ? size : 0,
      mode: (tarNumber(h, 100, 8) & 0o7777).toString(8),
      ...(type === 'symlink' || type === 'hardlink' ? { target: type === 'hardlink' ? normalizeTarPath(linkName) : linkName } : {}),
    };
    const hash = type === 'file' ? createHash('sha256') : undefined;
    this.state = { kind: 'data', entry: path === '' ? undefined : entry, hash, meta: undefined, metaType: typeflag, left: type === 'file' || type === 'other' ? size : 0, pad: type === 'file' || type === 'other' ? pad : 0 };
  }

  private finishEntry(s: Extract<State, { kind: 'data' }>): void {
    if (s.meta) {
      const text = Buffer.concat(s.meta).toString('utf8');
      if (s.metaType === 'L') this.longName = text.replace(/\0+$/, '');
      else if (s.metaType === 'K') this.longLink = text.replace(/\0+$/, '');
      else if (s.metaType === 'x') this.pax = parsePax(text);
      return;
    }
    if (!s.entry) return;
    if (s.hash) s.entry.sha256 = s.hash.digest('hex');
    this.entries.push(s.entry);
  }
}
