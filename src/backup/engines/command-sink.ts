// A fingerprint sink that is a command on the host: the raw backup stream goes to its stdin and
// its stdout is parsed into a fingerprint (e.g. a scratch redis-server that loads an RDB file).
import { PassThrough, type Writable } from 'node:stream';
import { ShipproofError } from '../../errors.js';
import type { Target } from '../../targets/target.js';
import type { Fingerprint, FingerprintSink } from '../fingerprint/types.js';
import { runPipeline, type PipelineResult } from '../stream.js';

export class CommandSink implements FingerprintSink {
  private readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly run: Promise<PipelineResult>;

  constructor(
    host: Target,
    stages: readonly (readonly string[])[],
    stageNames: readonly string[],
    private readonly parse: (stdout: string, markers: readonly string[]) => Fingerprint,
    timeoutMs: number,
  ) {
    this.run = runPipeline({ host, stages, stageNames, stdin: this.stream, timeoutMs });
    // A command that ended without reading everything must fail the stream that feeds it.
    void this.run.then((r) => {
      if (!this.stream.writableFinished) this.stream.destroy(new Error(`the fingerprint step ended early: ${r.reason ?? 'it stopped reading'}`));
    });
  }

  get input(): Writable {
    return this.stream;
  }

  /** The command's own record, for the evidence. */
  get done(): Promise<PipelineResult> {
    return this.run;
  }

  async result(): Promise<Fingerprint> {
    const r = await this.run;
    if (!r.ok) throw new ShipproofError(`The fingerprint step failed: ${r.reason ?? 'unknown reason'}.`);
    return this.parse(r.stdoutText, r.markers);
  }
}
