// Runs a probe's commands and keeps, for the evidence, only what may be kept: the argv, exit code,
// duration, attempts, and the sha256 and byte count of stdout and stderr. Never the output itself.
// It never re-runs a command: whether a read may be retried is decided once, by the caller's
// policy (src/resilience, ARCHITECTURE.md "one retry rule").
import { createHash } from 'node:crypto';
import type { CommandRecord } from '../evidence/predicate-schema.js';
import type { ExecResult, Target } from '../targets/target.js';
import type { RunOptions } from './types.js';

const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;

function digest(text: string): { sha256: string; bytes: number } {
  const b = Buffer.from(text, 'utf8');
  return { sha256: createHash('sha256').update(b).digest('hex'), bytes: b.length };
}

export class CommandRecorder {
  readonly records: CommandRecord[] = [];

  constructor(private readonly signal: AbortSignal) {}

  async run(target: Target, argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
    const attempts = 1;
    const started = Date.now();
    try {
      const result = await target.exec(argv, {
        reject: false,
        timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        signal: this.signal,
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      });
      this.records.push({
        argv: [...argv],
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        attempts,
        timedOut: result.timedOut,
        stdout: digest(result.stdout),
        stderr: digest(result.stderr),
      });
      return result;
    } catch (e) {
      this.records.push({
        argv: [...argv],
        exitCode: null,
        durationMs: Date.now() - started,
        attempts,
        timedOut: false,
        stdout: digest(''),
        stderr: digest(''),
      });
      throw e;
    }
  }
}
