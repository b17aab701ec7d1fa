// The Docker facade over a target: detects the engine and which Compose the host has (v2 plugin
// `docker compose` preferred, v1 `docker-compose` otherwise), runs compose with a fixed project
// name, and returns typed results.
import { ShipproofError, TargetError } from '../errors.js';
import type { ExecOptions, ExecResult, Target } from '../targets/target.js';
import {
  composeCommand,
  composeDownCommand,
  composeUpCommand,
  composeVersionCommand,
  dockerVersionCommand,
  inspectContainersCommand,
  inspectImagesCommand,
  projectContainerIdsCommand,
  type ComposeContext,
  type ComposeFlavor,
  type DownOptions,
  type UpOptions,
} from './commands.js';
import {
  parseComposeVersion,
  parseContainerInspect,
  parseDockerVersion,
  parseImageInspect,
  type ContainerInfo,
  type DockerVersion,
  type ImageInfo,
} from './parse.js';

export interface ComposeInfo {
  flavor: ComposeFlavor;
  version: string;
}

export interface DockerInfo {
  engine: DockerVersion;
  compose: ComposeInfo;
}

const INSTALL_HINT =
  'Install the Docker engine and Compose on the server (Debian: `apt-get install docker.io docker-compose`), start the daemon, and try again.';

export class Docker {
  private detected: Promise<DockerInfo> | undefined;
  private engine: Promise<DockerVersion> | undefined;

  constructor(readonly target: Target) {}

  /** Engine version and Compose flavor, detected once per facade. */
  info(): Promise<DockerInfo> {
    this.detected ??= this.detect();
    this.detected.catch(() => {
      this.detected = undefined; // let a later call try again
    });
    return this.detected;
  }

  private async detect(): Promise<DockerInfo> {
    const [version, compose] = await Promise.all([this.engineOnce(), this.detectCompose()]);
    return { engine: version, compose };
  }

  /**
   * The engine's version, asked once per facade (a failure lets a later call ask again): a check
   * that the engine answers without Compose's detection (docker-compose v1 costs ~0.8 s CPU to start).
   */
  engineOnce(): Promise<DockerVersion> {
    this.engine ??= this.engineVersion();
    this.engine.catch(() => {
      this.engine = undefined;
    });
    return this.engine;
  }

  async engineVersion(): Promise<DockerVersion> {
    const r = await this.target.exec(dockerVersionCommand(), { reject: false, timeoutMs: 20_000 });
    if (r.exitCode === 127) {
      throw new TargetError(`The docker command is not installed on ${this.target.description}.`, { hint: INSTALL_HINT });
    }
    if (r.exitCode !== 0 && !r.stdout.includes('"Server"')) {
      throw new TargetError(`The Docker engine on ${this.target.description} is not answering.`, {
        hint: 'Is dockerd running, and may this user use its socket (docker group)? `docker info` on the server shows why.',
      });
    }
    return parseDockerVersion(r.stdout);
  }

  /** Prefers the v2 plugin, as most hosts have it; falls back to v1 (Debian 12 ships only v1). */
  async detectCompose(): Promise<ComposeInfo> {
    for (const flavor of ['v2', 'v1'] as const) {
      const r = await this.target.exec(composeVersionCommand(flavor), { reject: false, timeoutMs: 20_000 });
      const version = r.exitCode === 0 ? parseComposeVersion(r.stdout) : undefined;
      if (version !== undefined) return { flavor, version };
    }
    throw new TargetError(`Neither \`docker compose\` (v2) nor \`docker-compose\` (v1) is installed on ${this.target.description}.`, {
      hint: INSTALL_HINT,
    });
  }

  /** A compose runner for one project on this target. */
  async compose(ctx: Omit<ComposeContext, 'flavor'>): Promise<ComposeProject> {
    const { compose } = await this.info();
    return new ComposeProject(this, { ...ctx, flavor: compose.flavor });
  }

  async containers(project: string): Promise<ContainerInfo[]> {
    const ids = (await this.target.exec(projectContainerIdsCommand(project), { timeoutMs: 30_000 })).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (ids.length === 0) return [];
    const r = await this.target.exec(inspectContainersCommand(ids), { reject: false, timeoutMs: 30_000 });
    // A container can vanish between the two calls; inspect then exits 1 but prints the others.
    if (r.exitCode !== 0 && r.stdout.trim() === '') return [];
    return parseContainerInspect(r.stdout.trim() === '' ? '[]' : r.stdout);
  }

  async images(refs: readonly string[]): Promise<ImageInfo[]> {
    if (refs.length === 0) return [];
    const r = await this.target.exec(inspectImagesCommand(refs), { reject: false, timeoutMs: 30_000 });
    if (r.stdout.trim() === '') return [];
    return parseImageInspect(r.stdout);
  }
}

export class ComposeProject {
  constructor(
    readonly docker: Docker,
    readonly context: ComposeContext,
  ) {}

  run(args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.docker.target.exec(composeCommand(this.context, args), options);
  }

  up(o: UpOptions = {}, options: ExecOptions = {}): Promise<ExecResult> {
    return this.docker.target.exec(composeUpCommand(this.context, o), { timeoutMs: 10 * 60_000, ...options });
  }

  down(o: DownOptions = {}, options: ExecOptions = {}): Promise<ExecResult> {
    return this.docker.target.exec(composeDownCommand(this.context, o), { timeoutMs: 5 * 60_000, ...options });
  }

  /** The project's containers with state, health, restarts, image and service, read from the engine. */
  ps(): Promise<ContainerInfo[]> {
    return this.docker.containers(this.context.project);
  }
}

export function assertComposeProjectName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new ShipproofError(`"${name}" is not a valid compose project name.`, {
      hint: 'Use lowercase letters, digits, "_" and "-", starting with a letter or digit.',
      exitCode: 2,
    });
  }
}
