// Scratch resources for a restore rehearsal: an internal network (no route out, no published
// ports), containers and volumes, all labelled shipproof.rehearsal=<id> so they can be found,
// removed afterwards, and checked gone. Leftovers of a crashed rehearsal carry an expiry label
// and are swept by the next one.
import { randomBytes } from 'node:crypto';
import type { CommandRecorder } from '../probes/recorder.js';
import type { ExecResult, Target } from '../targets/target.js';
import {
  dockerExecCommand,
  labelledResourcesCommand,
  networkCreateCommand,
  removeContainersCommand,
  removeNetworksCommand,
  removeVolumesCommand,
  serverRunCommand,
  volumeCreateCommand,
} from './commands.js';
import { RehearsalStepError } from './rehearsal-error.js';

export const REHEARSAL_LABEL = 'shipproof.rehearsal';
export const REHEARSAL_EXPIRES_LABEL = 'shipproof.rehearsal.expires';
const DEFAULT_TTL_MS = 12 * 3_600_000;

export interface LabelledResources {
  containers: string[];
  volumes: string[];
  networks: string[];
}

export function parseLabelledResources(stdout: string): LabelledResources {
  const out: LabelledResources = { containers: [], volumes: [], networks: [] };
  for (const line of stdout.split('\n')) {
    const [kind, id] = line.trim().split(/\s+/);
    if (!id) continue;
    if (kind === 'container') out.containers.push(id);
    else if (kind === 'volume') out.volumes.push(id);
    else if (kind === 'network') out.networks.push(id);
  }
  return out;
}

export function rehearsalExpiryCommand(): string[] {
  return [
    'sh',
    '-c',
    [
      `docker ps --all --no-trunc --filter label=${REHEARSAL_LABEL} --format 'container {{.ID}} {{.Label "${REHEARSAL_EXPIRES_LABEL}"}}'`,
      `docker volume ls --filter label=${REHEARSAL_LABEL} --format 'volume {{.Name}} {{.Label "${REHEARSAL_EXPIRES_LABEL}"}}'`,
      `docker network ls --no-trunc --filter label=${REHEARSAL_LABEL} --format 'network {{.ID}} {{.Label "${REHEARSAL_EXPIRES_LABEL}"}}'`,
    ].join('\n'),
  ];
}

/** Resources whose expiry (epoch seconds) is before `now`. */
export function expiredResources(stdout: string, now: Date): LabelledResources {
  const out: LabelledResources = { containers: [], volumes: [], networks: [] };
  for (const line of stdout.split('\n')) {
    const [kind, id, expires] = line.trim().split(/\s+/);
    if (!id || !expires || !/^\d+$/.test(expires) || Number(expires) * 1000 > now.getTime()) continue;
    if (kind === 'container') out.containers.push(id);
    else if (kind === 'volume') out.volumes.push(id);
    else if (kind === 'network') out.networks.push(id);
  }
  return out;
}

/** The state of a scratch container that is not ready yet (has it stopped?). */
export function scratchStateCommand(container: string): string[] {
  return ['docker', 'container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container];
}

export class Scratch {
  readonly id: string;
  readonly network: string;
  readonly labels: Record<string, string>;
  constructor(
    private readonly host: Target,
    private readonly recorder: CommandRecorder,
    o: { now?: Date; ttlMs?: number; id?: string } = {},
  ) {
    this.id = o.id ?? randomBytes(6).toString('hex');
    this.network = `shipproof-rehearsal-${this.id}`;
    const expires = Math.floor(((o.now ?? new Date()).getTime() + (o.ttlMs ?? DEFAULT_TTL_MS)) / 1000);
    this.labels = { [REHEARSAL_LABEL]: this.id, [REHEARSAL_EXPIRES_LABEL]: String(expires) };
  }

  name(suffix: string): string {
    return `shipproof-rehearsal-${this.id}-${suffix}`;
  }

  private async run(argv: readonly string[], step: string, timeoutMs = 60_000): Promise<ExecResult> {
    const r = await this.recorder.run(this.host, argv, { timeoutMs });
    if (r.exitCode !== 0) {
      const said = r.stderr.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300);
      throw new RehearsalStepError(step, `${step}: ${argv.slice(0, 3).join(' ')} failed${said ? `: ${said}` : ''}`);
    }
    return r;
  }

  async open(): Promise<void> {
    await this.run(networkCreateCommand(this.network, this.labels), 'scratch network');
  }

  async createVolume(suffix: string): Promise<string> {
    const name = this.name(suffix);
    await this.run(volumeCreateCommand(name, this.labels), 'scratch volume');
    return name;
  }

  /** Starts a detached server from `image` on the scratch network; returns its name. */
  async startServer(image: string, suffix: string, env: readonly string[]): Promise<string> {
    const name = this.name(suffix);
    await this.run(serverRunCommand({ image, name, labels: this.labels, network: this.network, env }), 'scratch container', 120_000);
    return name;
  }

  /** Polls `argv` inside `container` until `ready(result)`; fails early when the container stops. */
  async waitReady(container: string, argv: readonly string[], timeoutMs: number, ready: (r: ExecResult) => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let attempts = 0;
    while (Date.now() < deadline) {
      attempts++;
      const r = await this.host.exec(dockerExecCommand(container, argv), { reject: false, timeoutMs: 20_000 });
      if (ready(r)) {
        await this.recorder.run(this.host, dockerExecCommand(container, argv), { timeoutMs: 20_000 });
        return;
      }
      const state = await this.host.exec(scratchStateCommand(container), { reject: false, timeoutMs: 20_000 });
      const [status, code] = state.stdout.trim().split(' ');
      if (status !== 'running' && status !== 'created' && status !== 'restarting') {
        throw new RehearsalStepError('scratch container', `the scratch container stopped before it was ready (${status ?? 'gone'}${code ? `, exit code ${code}` : ''})`);
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * attempts)));
    }
    throw new RehearsalStepError('scratch container', `the scratch container was not ready within ${Math.round(timeoutMs / 1000)} s`);
  }

  /** What still exists with this rehearsal's label. */
  async remaining(): Promise<LabelledResources> {
    const r = await this.host.exec(labelledResourcesCommand(`${REHEARSAL_LABEL}=${this.id}`), { reject: false, timeoutMs: 60_000 });
    return parseLabelledResources(r.stdout);
  }

  /** Removes everything labelled with this rehearsal's id; returns what could not be removed. */
  async close(): Promise<string[]> {
    await removeLabelled(this.host, await this.remaining());
    const left = await this.remaining();
    return [...left.containers.map((c) => `container ${c.slice(0, 12)}`), ...left.volumes.map((v) => `volume ${v}`), ...left.networks.map((n) => `network ${n.slice(0, 12)}`)];
  }
}

async function removeLabelled(host: Target, res: LabelledResources): Promise<void> {
  // Containers first: a volume or network in use cannot be removed.
  if (res.containers.length) await host.exec(removeContainersCommand(res.containers), { reject: false, timeoutMs: 120_000 });
  if (res.volumes.length) await host.exec(removeVolumesCommand(res.volumes), { reject: false, timeoutMs: 60_000 });
  if (res.networks.length) await host.exec(removeNetworksCommand(res.networks), { reject: false, timeoutMs: 60_000 });
}

/** Removes rehearsal resources left by a rehearsal that crashed, once their expiry has passed. */
export async function sweepExpiredRehearsals(host: Target, now: Date = new Date()): Promise<LabelledResources> {
  const r = await host.exec(rehearsalExpiryCommand(), { reject: false, timeoutMs: 60_000 });
  const expired = expiredResources(r.stdout, now);
  await removeLabelled(host, expired);
  return expired;
}
