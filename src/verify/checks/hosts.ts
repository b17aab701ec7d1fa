// Where spot-checks and probes run: this machine, or the target (connected once, on first use).
import path from 'node:path';
import type { ResolvedTarget } from '../../config/load.js';
import { createTarget, type CreateTargetOptions } from '../../targets/create.js';
import { LocalTarget } from '../../targets/local.js';
import type { Target } from '../../targets/target.js';

export class VerifyHosts {
  private readonly localTarget = new LocalTarget();
  private connecting: Promise<Target> | undefined;
  private created: Target | undefined;

  constructor(
    readonly resolved: ResolvedTarget,
    readonly rootDir: string,
    private readonly options: CreateTargetOptions & { target?: Target } = {},
  ) {}

  get local(): Target {
    return this.localTarget;
  }

  /** The target, connected and checked with one `true`; a failure is thrown to every caller. */
  target(): Promise<Target> {
    this.connecting ??= (async () => {
      const t = this.options.target ?? createTarget(this.resolved, this.options);
      if (this.options.target === undefined) this.created = t;
      await t.exec(['true'], { timeoutMs: 30_000 });
      return t;
    })();
    return this.connecting;
  }

  host(where: 'local' | 'target'): Promise<Target> {
    return where === 'local' ? Promise.resolve(this.localTarget) : this.target();
  }

  /** The working folder of a spot-check: relative to the project here, to the current release there. */
  cwd(where: 'local' | 'target', cwd: string | undefined): string {
    if (where === 'local') return path.resolve(this.rootDir, cwd ?? '.');
    const release = path.posix.join(this.resolved.appDir, 'current');
    return cwd === undefined ? release : path.posix.resolve(release, cwd);
  }

  async close(): Promise<void> {
    await this.created?.close();
  }
}
