// Redaction for streams (command output, logs, the CLI's stdout/stderr). A secret may be split
// across chunks, so the stream only lets out text that cannot change once more arrives:
//   - whole lines only: pattern rules match within a line and need its context (key name, scheme);
//   - nothing from the line where a literal might be starting: the literal automaton tells how
//     many trailing characters are a prefix of some literal (at most the longest form − 1);
//   - nothing from an unfinished PEM private key block until its END line; past a size cap the
//     block so far is redacted and its remaining body lines are redacted line by line;
//   - never a cut through a match.
// What is let out is redacted whole with Redactor.redact(), so stats() count stream redactions.
// UTF-8 is decoded with a StringDecoder, so multi-byte characters split across chunks survive.
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import type { Redactor } from './redactor.js';

export interface RedactingStreamOptions {
  /** An unfinished PEM block is held back until its END line or until it grows past this. Default 64 KiB. */
  pemHoldLimit?: number;
  /** A line longer than this is let out in pieces (best effort at the cut). Default 64 KiB. */
  maxLineLength?: number;
}

const DEFAULT_LIMIT = 64 * 1024;
const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BODY_LINE = /^\s*(?:[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z-]*: ?.*)?\s*$/;

function lineStart(text: string, index: number): number {
  return index <= 0 ? 0 : text.lastIndexOf('\n', index - 1) + 1;
}

/** Index of the last PEM private key BEGIN line with no END after it, or -1. */
function unfinishedPemStart(text: string): number {
  if (!text.includes('-----BEGIN ')) return -1;
  let last = -1;
  let lastEnd = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    last = m.index;
    lastEnd = m.index + m[0].length;
  }
  if (last === -1) return -1;
  return PEM_END.test(text.slice(lastEnd)) ? -1 : last;
}

export class RedactingTransform extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private readonly pemHoldLimit: number;
  private readonly maxLineLength: number;
  /** Inside a PEM block let out before its END line: its remaining body lines are still secret. */
  private inPem = false;

  constructor(
    private readonly redactor: Redactor,
    options: RedactingStreamOptions = {},
  ) {
    super();
    this.pemHoldLimit = options.pemHoldLimit ?? DEFAULT_LIMIT;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_LIMIT;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
      this.emitSettled();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.pending += this.decoder.end();
      this.emitAll();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /**
   * Lets out everything held back, redacted as if the text ended here. For an interactive
   * prompt that has no newline yet; a secret split exactly at this moment could be missed.
   */
  flushPending(): void {
    this.emitAll();
  }

  private emitAll(): void {
    this.emitPemContinuation(true);
    const text = this.pending;
    this.pending = '';
    if (text.length > 0) this.emitRegion(text);
  }

  private emitSettled(): void {
    this.emitPemContinuation(false);
    const buf = this.pending;
    if (buf.length === 0) return;
    const cut = this.settledLength(buf);
    if (cut <= 0) return;
    this.pending = buf.slice(cut);
    this.emitRegion(buf.slice(0, cut));
  }

  private emitRegion(region: string): void {
    this.push(Buffer.from(this.redactor.redact(region).text, 'utf8'));
    if (unfinishedPemStart(region) >= 0) this.inPem = true;
  }

  /** Redacts, whole, the body and END lines of a PEM block whose start was already let out. */
  private emitPemContinuation(atEnd: boolean): void {
    if (!this.inPem) return;
    const out: string[] = [];
    let pos = 0;
    while (this.inPem) {
      const nl = this.pending.indexOf('\n', pos);
      if (nl === -1 && !atEnd) break;
      const end = nl === -1 ? this.pending.length : nl;
      if (pos === end && nl === -1) break;
      const raw = this.pending.slice(pos, end);
      if (PEM_END.test(raw)) this.inPem = false;
      else if (!PEM_BODY_LINE.test(raw)) {
        this.inPem = false;
        break;
      }
      out.push(raw.trim() === '' ? raw : `[REDACTED:pem-private-key]${raw.endsWith('\r') ? '\r' : ''}`);
      pos = nl === -1 ? end : nl + 1;
      if (nl !== -1) out.push('\n');
    }
    if (pos === 0) return;
    this.pending = this.pending.slice(pos);
    this.redactor.recordRedactions('pem-private-key', 1);
    this.push(Buffer.from(out.join(''), 'utf8'));
  }

  /** How many leading characters of `buf` can be let out now. */
  private settledLength(buf: string): number {
    const forceAbove = Math.max(this.maxLineLength, this.pemHoldLimit) + this.redactor.longestLiteral;
    // No complete line yet: nothing can go out, and rescanning a growing line on every chunk would be quadratic.
    if (buf.length <= forceAbove && !buf.includes('\n')) return 0;
    const { spans, tailDepth } = this.redactor.locate(buf);
    const literalFrom = buf.length - tailDepth;

    let limit = buf.lastIndexOf('\n') + 1;
    if (tailDepth > 0) limit = Math.min(limit, lineStart(buf, literalFrom));
    const pem = unfinishedPemStart(buf);
    if (pem >= 0 && buf.length - pem <= this.pemHoldLimit) limit = Math.min(limit, lineStart(buf, pem));

    // Never cut through a match or between a match and its context: step back to that line's start.
    for (let moved = true; moved && limit > 0; ) {
      moved = false;
      for (const s of spans) {
        if (Math.min(s.matchStart, s.start) < limit && s.end > limit) {
          limit = lineStart(buf, Math.min(s.matchStart, s.start));
          moved = true;
        }
      }
    }
    if (limit > 0) return limit;

    // One line longer than the limits: cut inside it, still not through a match or a possible literal.
    if (buf.length <= forceAbove) return 0;
    let forced = literalFrom;
    for (const s of spans) if (s.start < forced && s.end > forced) forced = s.start;
    if (forced <= 0) forced = spans[0]?.end ?? buf.length;
    const code = buf.charCodeAt(forced - 1);
    if (code >= 0xd800 && code <= 0xdbff) forced--; // keep a surrogate pair together
    return forced;
  }
}

/** A Transform that redacts a text stream chunk by chunk. */
export function createRedactingStream(redactor: Redactor, options: RedactingStreamOptions = {}): RedactingTransform {
  return new RedactingTransform(redactor, options);
}

export interface RedactingWriterOptions extends RedactingStreamOptions {
  /** End `target` when the writer ends. Default false: stdout and stderr must stay open. */
  end?: boolean;
}

/**
 * A writable that redacts everything written to it and forwards the result to `target`
 * (the CLI wraps process.stdout and process.stderr with it). Backpressure follows `target`.
 */
export function redactingWriter(
  redactor: Redactor,
  target: NodeJS.WritableStream,
  options: RedactingWriterOptions = {},
): RedactingTransform {
  const stream = createRedactingStream(redactor, options);
  stream.pipe(target, { end: options.end ?? false });
  return stream;
}
