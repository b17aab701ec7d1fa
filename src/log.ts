// Structured logs (pino): one JSON line per phase and action with its duration, for machines
// and for later review. Every line passes the one redactor before it reaches the file.
import { createWriteStream, openSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { UsageError } from './errors.js';
import { redactText } from './redact/index.js';

export type { Logger };

/** A logger writing redacted JSON lines to `file` (mode 0600), or a silent one. */
export function createLogger(file?: string): Logger {
  if (file === undefined) return pino({ level: 'silent' });
  // Opened now, so a missing folder or a directory is bad input before anything runs, not a
  // stream 'error' event that crashes the process later.
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(`Cannot write the log file ${file} (${code}).`, {
      hint: code === 'ENOENT' ? 'Its folder does not exist: create it, or pass another --log-file.' : 'Pass a path to a file you may write (not a folder).',
      cause: error,
    });
  }
  const out = createWriteStream(file, { fd, flags: 'a' });
  const redacting = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.write(redactText(chunk.toString('utf8')), cb);
    },
    final(cb) {
      out.end(cb);
    },
  });
  return pino({ base: { tool: 'shipproof' }, timestamp: pino.stdTimeFunctions.isoTime }, redacting);
}

/** Times an action and logs it with its outcome. */
export async function logged<T>(log: Logger, fields: { phase: string; action: string } & Record<string, unknown>, fn: () => Promise<T>, outcome?: (r: T) => Record<string, unknown>): Promise<T> {
  const started = Date.now();
  try {
    const r = await fn();
    log.info({ ...fields, durationMs: Date.now() - started, ...(outcome ? outcome(r) : {}) }, `${fields.phase} ${fields.action}`);
    return r;
  } catch (e) {
    log.error({ ...fields, durationMs: Date.now() - started, error: e instanceof Error ? e.message : String(e) }, `${fields.phase} ${fields.action} failed`);
    throw e;
  }
}
