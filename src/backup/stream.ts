// Runs a host pipeline with its streams attached end to end: stdin from a Node stream (e.g. a
// decrypted backup), stdout into a Node stream (e.g. the fingerprint and the file writer), stderr
// scanned for SHIPPROOF-… marker lines. Nothing is held whole in memory. Every way a run can fail
// (a stage's exit code, a consumer's error, a timeout, a dropped connection) ends in one reason.
import { createHash } from 'node:crypto';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandRecord } from '../evidence/predicate-schema.js';
import { isShipproofError } from '../errors.js';
import { HashingStream } from '../targets/base-target.js';
import type { CommandEnd, Target } from '../targets/target.js';
import { parseStagesMarker, pipelineCommand, pipelineStageNames, type PipelineOptions } from './commands.js';

const MARKER_PREFIX = 'SHIPPROOF-';
const TAIL_BYTES = 16 * 1024;
const MAX_MARKERS = 1_000_000;

/** Keeps SHIPPROOF-… lines of stderr as markers and the last 16 KiB of the rest; hashes all of it. */
export class StderrScanner extends Writable {
  readonly markers: string[] = [];
  private pending = '';
  private tail = '';
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const l of lines) this.line(l);
    if (this.pending.length > TAIL_BYTES) {
      this.line(this.pending);
      this.pending = '';
    }
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
    cb();
  }

  private line(l: string): void {
    if (l.startsWith(MARKER_PREFIX)) {
      if (this.markers.length < MAX_MARKERS) this.markers.push(l);
      return;
    }
    this.tail = (this.tail + l + '\n').slice(-TAIL_BYTES);
  }

  get text(): string {
    return this.tail + this.pending;
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** The first non-empty line of the non-marker output, shortened. */
  firstLine(): string | undefined {
    const l = this.text.split('\n').find((x) => x.trim() !== '');
    return l === undefined ? undefined : l.trim().slice(0, 300);
  }
}

/** Counts bytes, passes them on. */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Writes every chunk to each target and waits for all of them (backpressure from the slowest).
 * A target that errors or closes early fails the fan-out, which fails the pipeline feeding it.
 */
export class FanOut extends Writable {
  private ending = false;

  constructor(private readonly targets: readonly Writable[]) {
    super({ highWaterMark: 1 << 20 });
    for (const t of targets) {
      t.on('error', (e: Error) => this.destroy(e));
      t.on('close', () => {
        if (!this.ending && !this.destroyed) this.destroy(new Error('a consumer of the backup stream stopped early'));
      });
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    let pending = 1;
    const next = (): void => {
      if (--pending === 0) cb();
    };
    for (const t of this.targets) {
      if (t.destroyed) {
        cb(new Error('a consumer of the backup stream stopped early'));
        return;
      }
      if (!t.write(chunk)) {
        pending++;
        t.once('drain', next);
      }
    }
    next();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.ending = true;
    for (const t of this.targets) t.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // After a normal finish (autoDestroy) the targets are left to drain what they were given.
    if (err) for (const t of this.targets) if (!t.destroyed) t.destroy(err);
    cb(err);
  }
}

export interface PipelineRun {
  host: Target;
  stages: readonly (readonly string[])[];
  stageNames: readonly string[];
  options?: PipelineOptions;
  /** Fed into the pipeline's stdin; default: stdin closed at once. */
  stdin?: Readable;
  /** Receives stdout; default: collected (up to 1 MiB) into `stdoutText`. */
  stdout?: Writable;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface PipelineResult {
  argv: string[];
  ok: boolean;
  /** Why it failed, in one sentence (no output that could hold data). */
  reason?: string;
  stdoutText: string;
  stdoutSha256: string;
  stdoutBytes: number;
  markers: string[];
  stderr: StderrScanner;
  stages: number[] | undefined;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  record: CommandRecord;
}

const MAX_COLLECT = 1 << 20;

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.size < MAX_COLLECT) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function message(e: unknown): string {
  if (isShipproofError(e)) return e.message.replace(/\.$/, '');
  if (e instanceof Error) return e.message;
  return String(e);
}

export async function runPipeline(run: PipelineRun): Promise<PipelineResult> {
  const argv = pipelineCommand(run.stages, run.options);
  const names = pipelineStageNames(run.stageNames, run.options);
  const started = Date.now();
  const stderr = new StderrScanner();
  const stdoutHash = new HashingStream();
  const collector = run.stdout === undefined ? new Collector() : undefined;
  const sink = run.stdout ?? (collector as Collector);
  let streamError: unknown;
  let end: CommandEnd | undefined;
  let lost: unknown;

  let child;
  try {
    child = await run.host.spawn(argv, { timeoutMs: run.timeoutMs, ...(run.signal ? { signal: run.signal } : {}) });
  } catch (e) {
    sink.destroy(e as Error);
    return finish(`could not start on ${run.host.description}: ${message(e)}`);
  }
  const kill = (): void => void child.kill().catch(() => undefined);
  const feeding =
    run.stdin === undefined
      ? (child.stdin.end(), Promise.resolve())
      : pipeline(run.stdin, child.stdin).catch((e: unknown) => {
          // The command closing its stdin early is its own failure, reported by its exit code.
          if ((e as NodeJS.ErrnoException).code !== 'EPIPE' && (e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
            streamError ??= e;
            kill();
          }
        });
  const reading = pipeline(child.stdout, stdoutHash, sink).catch((e: unknown) => {
    streamError ??= e;
    kill();
  });
  const scanning = pipeline(child.stderr, stderr).catch(() => undefined);
  try {
    end = await child.done;
  } catch (e) {
    lost = e;
    child.stdout.destroy();
    sink.destroy(e as Error);
  }
  await Promise.all([feeding, reading, scanning]);
  return finish(undefined);

  function finish(startError: string | undefined): PipelineResult {
    const markers = stderr.markers;
    const stagesLine = markers.map(parseStagesMarker).find((x) => x !== undefined);
    const durationMs = Date.now() - started;
    let reason = startError;
    if (reason === undefined && lost !== undefined) reason = message(lost);
    if (reason === undefined && end?.timedOut) reason = `it did not finish within ${Math.round(run.timeoutMs / 1000)} s and was stopped`;
    if (reason === undefined && end?.aborted) reason = 'it was cancelled';
    if (reason === undefined && stagesLine !== undefined) {
      const i = stagesLine.findIndex((c) => c !== 0);
      if (i !== -1) {
        const said = stderr.firstLine();
        reason = `the ${names[i] ?? `stage ${i + 1}`} step exited with code ${stagesLine[i]}${said ? `: ${said}` : ''}`;
      }
    }
    if (reason === undefined && streamError !== undefined) reason = message(streamError);
    if (reason === undefined && end !== undefined && end.exitCode !== 0) {
      const said = stderr.firstLine();
      reason = `it ${end.exitCode === null ? `was killed by ${end.signal ?? 'a signal'}` : `exited with code ${end.exitCode}`}${said ? `: ${said}` : ''}`;
    }
    if (reason === undefined && end !== undefined && stagesLine === undefined) reason = 'it ended without reporting its stages (the shell was killed)';
    const record: CommandRecord = {
      argv: [...argv],
      exitCode: end?.exitCode ?? null,
      durationMs,
      attempts: 1,
      timedOut: end?.timedOut ?? false,
      stdout: { sha256: stdoutHash.digest(), bytes: stdoutHash.bytes },
      stderr: { sha256: stderr.digest(), bytes: stderr.bytes },
    };
    return {
      argv,
      ok: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      stdoutText: collector?.text() ?? '',
      stdoutSha256: record.stdout.sha256,
      stdoutBytes: record.stdout.bytes,
      markers,
      stderr,
      stages: stagesLine,
      exitCode: end?.exitCode ?? null,
      timedOut: end?.timedOut ?? false,
      durationMs,
      record,
    };
  }
}
