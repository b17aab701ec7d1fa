// Streams one backup into its `.partial` file: the dump (on the host) is gzipped there; without
// encryption the host's own `tee` writes the file, so only the compressed stream travels back to
// this machine, for the fingerprint and the sha256. With encryption the compressed stream is
// encrypted here (age) and streamed back into the file, so plaintext never lands on disk.
// Memory stays flat: every branch is a stream with backpressure.
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { CommandRecord } from '../evidence/predicate-schema.js';
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
  signal?: AbortSignal;
}

export interface StreamToFileResult {
  ok: boolean;
  reason?: string;
  bytes: number;
  sha256: string;
  contentSha256: string;
  rawBytes: number;
  fingerprint?: Fingerprint;
  record: CommandRecord;
  durationMs: number;
}

function why(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

export async function streamToFile(o: StreamToFileOptions): Promise<StreamToFileResult> {
  const encrypt = o.encryptTo.length > 0;
  const gunzip = createGunzip();
  const raw = new ByteCounter();
  const fingerprinting = pipeline(gunzip, raw, o.sink.input).then(
    () => undefined,
    (e: unknown) => e,
  );
  let encIn: PassThrough | undefined;
  let put: Promise<TransferResult | Error> | undefined;
  if (encrypt) {
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    encIn = input;
    const encrypted = await encryptStream(input, o.encryptTo);
    put = o.host.putStream(encrypted, o.partialPath, { mode: 0o600, timeoutMs: o.timeoutMs }).catch((e: unknown) => {
      // The writer gave up (disk full, connection lost): stop feeding it.
      const err = e instanceof Error ? e : new Error(String(e));
      input.destroy(err);
      return err;
    });
  }
  const fan = new FanOut(encIn ? [gunzip, encIn] : [gunzip]);
  const run = await runPipeline({
    host: o.host,
    stages: [o.dump],
    stageNames: [o.dumpName],
    options: { gzipLevel: o.gzipLevel, ...(encrypt ? {} : { teeTo: o.partialPath }) },
    stdout: fan,
    timeoutMs: o.timeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const fpError = await fingerprinting;
  const putResult = put ? await put : undefined;
  let reason = run.reason;
  if (reason === undefined && putResult instanceof Error) reason = `writing the encrypted file failed: ${why(putResult)}`;
  if (reason === undefined && fpError !== undefined) reason = why(fpError);
  let fingerprint: Fingerprint | undefined;
  if (reason === undefined) {
    try {
      fingerprint = await o.sink.result(run.markers);
    } catch (e) {
      reason = why(e);
    }
  }
  const file = putResult && !(putResult instanceof Error) ? putResult : { bytes: run.stdoutBytes, sha256: run.stdoutSha256 };
  return {
    ok: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    bytes: file.bytes,
    sha256: file.sha256,
    contentSha256: run.stdoutSha256,
    rawBytes: raw.bytes,
    ...(fingerprint ? { fingerprint } : {}),
    record: run.record,
    durationMs: run.durationMs,
  };
}
