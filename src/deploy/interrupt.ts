// Ctrl-C and SIGTERM during a deploy: the first one aborts the running step (its commands are
// killed, the health gate stops) so the runner takes the rollback path and records it; the
// rollback itself is not interrupted. A third signal exits at once (the next run reconciles).
export class Interrupts {
  private readonly ctl = new AbortController();
  private count = 0;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.count++;
    if (this.count === 1) {
      this.ctl.abort(sig);
      this.log(`${sig}: stopping this deploy; shipproof rolls back what it changed and records it (a third ${sig} exits at once)`);
    } else if (this.count === 2) {
      this.log(`${sig}: still rolling back; press once more to exit now (the next shipproof command finds and reconciles the interrupted deploy)`);
    } else {
      process.exit(130);
    }
  };

  constructor(private readonly log: (line: string) => void, private readonly watch = true) {
    if (watch) {
      process.on('SIGINT', this.onSignal);
      process.on('SIGTERM', this.onSignal);
    }
  }

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** "SIGINT" / "SIGTERM" once interrupted. */
  get reason(): string | undefined {
    return this.ctl.signal.aborted ? String(this.ctl.signal.reason) : undefined;
  }

  /** For tests and callers that stop a deploy themselves. */
  abort(reason: string): void {
    this.ctl.abort(reason);
  }

  dispose(): void {
    if (!this.watch) return;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
