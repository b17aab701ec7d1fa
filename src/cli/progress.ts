// Progress on stderr for anything longer than a couple of seconds: a spinner on a terminal, one
// line per step otherwise; nothing with --json (stdout stays clean either way).
import type { Output } from './output.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private last = '';
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly quiet: boolean,
  ) {
    if (quiet) return;
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    } else {
      out.note(`${label}…`);
    }
  }

  tick(step: string): void {
    if (this.quiet) return;
    this.last = step;
    if (!this.tty) this.out.note(`  ${step}`);
  }

  private draw(): void {
    const secs = ((Date.now() - this.started) / 1000).toFixed(0);
    process.stderr.write(`\r\u001b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.label} (${secs}s) ${this.last}`);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      process.stderr.write('\r\u001b[2K');
    }
  }
}
