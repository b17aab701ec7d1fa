// The swarm runtime's way of running commands on the manager (or the operator's machine): every
// command is kept as an evidence command record (argv, exit code, duration, output digests; never
// the output itself), so each milestone record says exactly what ran.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { CommandRecord } from '../evidence/predicate-schema.js';
import type { ExecResult, Target } from '../targets/target.js';

const digest = (s: string): { sha256: string; bytes: number } => ({ sha256: createHash('sha256').update(s).digest('hex'), bytes: Buffer.byteLength(s) });

export class Runner {
  commands: CommandRecord[] = [];
  constructor(readonly target: Target) {}

  async run(argv: string[], o: { stdin?: string | Buffer | Readable; timeoutMs?: number; reject?: boolean } = {}): Promise<ExecResult> {
    const r = await this.target.exec(argv, { reject: false, timeoutMs: o.timeoutMs ?? 60_000, ...(o.stdin !== undefined ? { stdin: o.stdin } : {}) });
    this.commands.push({ argv, exitCode: r.exitCode, durationMs: r.durationMs, attempts: 1, timedOut: r.timedOut, stdout: digest(r.stdout), stderr: digest(r.stderr) });
    if (o.reject !== false && r.exitCode !== 0) {
      const why = r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      throw new Error(`${argv.slice(0, 3).join(' ')} failed on ${this.target.description} (exit ${r.exitCode}): ${why}`);
    }
    return r;
  }

  /** The records since the last take (one milestone's commands). */
  take(): CommandRecord[] {
    const out = this.commands;
    this.commands = [];
    return out;
  }
}
