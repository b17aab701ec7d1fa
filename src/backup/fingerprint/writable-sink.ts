// What the streaming fingerprinters share: a Writable that parses a dump as it passes, remembers
// the first parse failure, and answers result() once the stream has finished.
import { Writable } from 'node:stream';
import type { Fingerprint, FingerprintSink } from './types.js';

export abstract class FingerprintWritable extends Writable implements FingerprintSink {
  protected failure: Error | undefined;
  private readonly finished: Promise<void>;

  constructor() {
    super({ highWaterMark: 1 << 20 });
    this.finished = new Promise((resolve, reject) => {
      this.once('finish', () => resolve());
      this.once('error', reject);
    });
    this.finished.catch(() => undefined);
  }

  get input(): Writable {
    return this;
  }

  /** Waits for the end of the stream; rethrows a parse failure. */
  protected async settled(): Promise<void> {
    await this.finished;
    if (this.failure) throw this.failure;
  }

  abstract result(markers: readonly string[]): Promise<Fingerprint>;
}
