// The embedded default target: this machine, through child processes.
import { spawn as spawnChild } from 'node:child_process';
import { BaseTarget } from './base-target.js';
import type { CommandEnd, SpawnOptions, SpawnedCommand } from './target.js';

const KILL_GRACE_MS = 2_000;

export class LocalTarget extends BaseTarget {
  readonly kind = 'local' as const;
  readonly description = 'this machine';

  constructor(readonly name: string = 'local') {
    super();
  }

  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<SpawnedCommand> {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('spawn: empty argv');
    const started = Date.now();
    // detached: the child leads its own process group, so a kill reaches everything it started.
    const child = spawnChild(file, args, {
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    let aborted = false;
    let killing: Promise<void> | undefined;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const kill = (): Promise<void> => {
      killing ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          killGroup('SIGKILL'); // stragglers in the group
          resolve();
          return;
        }
        killGroup('SIGTERM');
        const hard = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
        child.once('close', () => {
          clearTimeout(hard);
          killGroup('SIGKILL');
          resolve();
        });
      });
      return killing;
    };

    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            void kill();
          }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      void kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const done = new Promise<CommandEnd>((resolve, reject) => {
      // A program that cannot be started ends like it does in a shell: exit 127 ("not found") or 126.
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        if (child.pid === undefined) {
          resolve({ exitCode: e.code === 'ENOENT' ? 127 : 126, signal: null, timedOut, aborted, durationMs: Date.now() - started });
        } else reject(e);
      });
      child.once('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode: code, signal, timedOut, aborted, durationMs: Date.now() - started });
      });
    });
    // Surface spawn errors (e.g. ENOENT) from done, not as unhandled stream errors.
    child.stdin.on('error', () => undefined);

    return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, done, kill };
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
