// Streams one backup into its `.partial` file, choosing where the gzip CPU is spent:
// - over SSH the dump is gzipped on the server and, without encryption, the server's own `tee`
//   writes the file: only the compressed stream travels back, for the fingerprint (decompressed
//   here, on the operator's CPU) and the sha256;
// - on the local target the raw dump comes straight here: it is fingerprinted as it passes and
//   gzipped once, in a zlib worker thread, so the machine does no more work than the raw pipeline.
// With encryption the compressed stream is encrypted here (age) and streamed into the file, so
// plaintext never lands on disk. Memory stays flat: every branch is a stream with backpressure.
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { isShipproofError } from '../errors.js';
import type { CommandRecord } from '../evidence/predicate-schema.js';
import { HashingStream } from '../targets/base-target.js';
import type { Target, TransferResult } from '../targets/target.js';
import { encryptStream } from './crypto.js';
import type { Fingerprint, FingerprintSink } from './fingerprint/types.js';
import { ByteCounter, FanOut, runPipeline } from './stream.js';

export interface StreamToFileOptions {
  host: Target;
  dump: readonly string[];
  dumpName: string;
  /** The file to write (the caller renames it into place once everything is checked). */
  partialPath: string;
  encryptTo: readonly string[];
  sink: FingerprintSink;
  gzipLevel: number;
  timeoutMs: number;
  /** gzip on the host (default: when the target is reached over SSH). */
  compressOnHost?: boolean;
  signal?: AbortSignal;
}

export interface StreamToFileResult {
  ok: boolean;
  reason?: string;
  bytes: number;
  sha256: string;
  /** sha256 of the compressed stream before encryption. */
  contentSha256: string;
  rawBytes: number;
  fingerprint?: Fingerprint;
  record: CommandRecord;
  durationMs: number;
}

function why(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
  const said = isShipproofError(e) && e.hint?.startsWith('It said: ') ? ` (${e.hint.slice(9)})` : '';
  return text + said;
}

/** Streams `source` into the file, encrypted first when there are recipients; a failure destroys `input`. */
async function fileWriter(o: StreamToFileOptions, source: Readable, input: Writable): Promise<{ done: Promise<TransferResult | Error> }> {
  const stream = o.encryptTo.length > 0 ? await encryptStream(source, o.encryptTo) : source;
  const done = o.host.putStream(stream, o.partialPath, { mode: 0o600, timeoutMs: o.timeoutMs }).catch((e: unknown) => {
    // The writer gave up (disk full, connection lost): stop feeding it.
    const err = e instanceof Error ? e : new Error(String(e));
    input.destroy(err);
    return err;
  });
  return { done };
}

export async function streamToFile(o: StreamToFileOptions): Promise<StreamToFileResult> {
  const onHost = o.compressOnHost ?? o.host.kind === 'ssh';
  const encrypt = o.encryptTo.length > 0;
  const raw = new ByteCounter();
  const content = new HashingStream();
  let branches: Promise<unknown>[];
  let put: Promise<TransferResult | Error> | undefined;
  let fan: FanOut;

  if (onHost) {
    // Compressed stream in: decompress a copy for the fingerprint; write it here only when encrypting.
    const gunzip = createGunzip();
    branches = [pipeline(gunzip, raw, o.sink.input)];
    const targets: Writable[] = [gunzip];
    if (encrypt) {
      const toFile = new PassThrough({ highWaterMark: 1 << 20 });
      put = (await fileWriter(o, toFile, toFile)).done;
      targets.push(toFile);
    }
    fan = new FanOut(targets);
  } else {
    // Raw stream in: fingerprint it and gzip it here.
    const gzip = createGzip({ level: o.gzipLevel });
    const compressed = new PassThrough({ highWaterMark: 1 << 20 });
    branches = [pipeline(gzip, content, compressed).catch((e: unknown) => compressed.destroy(e as Error))];
    put = (await fileWriter(o, compressed, gzip)).done;
    const toSink = new PassThrough({ highWaterMark: 1 << 20 });
    branches.push(pipeline(toSink, o.sink.input));
    fan = new FanOut([toSink, gzip]);
  }
  const settled = branches.map((b) =>
    b.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  const run = await runPipeline({
    host: o.host,
    stages: [o.dump],
    stageNames: [o.dumpName],
    options: onHost ? { gzipLevel: o.gzipLevel, ...(encrypt ? {} : { teeTo: o.partialPath }) } : {},
    stdout: onHost ? fan : rawCounted(raw, fan),
    timeoutMs: o.timeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const branchErrors = (await Promise.all(settled)).filter((e) => e !== undefined);
  const putResult = put ? await put : undefined;
  let reason = run.reason;
  // A failed writer kills the dump, so its own failure is the cause, unless time ran out or the connection dropped.
  const runCause = run.timedOut || (reason !== undefined && /SSH connection/.test(reason));
  if (putResult instanceof Error && !runCause) reason = `writing the file failed: ${why(putResult)}`;
  if (reason === undefined && branchErrors.length > 0) reason = why(branchErrors[0]);
  let fingerprint: Fingerprint | undefined;
  if (reason === undefined) {
    try {
      fingerprint = await o.sink.result(run.markers);
    } catch (e) {
      reason = why(e);
    }
  }
  const written = putResult && !(putResult instanceof Error) ? putResult : { bytes: run.stdoutBytes, sha256: run.stdoutSha256 };
  const contentSha256 = onHost ? run.stdoutSha256 : content.bytes > 0 || reason === undefined ? content.digest() : written.sha256;
  return {
    ok: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    bytes: written.bytes,
    sha256: written.sha256,
    contentSha256,
    rawBytes: raw.bytes,
    ...(fingerprint ? { fingerprint } : {}),
    record: run.record,
    durationMs: run.durationMs,
  };
}

/** Counts the raw bytes on their way into the fan-out. */
function rawCounted(counter: ByteCounter, fan: FanOut): Writable {
  counter.pipe(fan);
  counter.on('error', (e) => fan.destroy(e));
  fan.on('error', (e) => counter.destroy(e));
  return counter;
}
