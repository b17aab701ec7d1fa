// One deploy command's session: the config, compose model and bundle (computed locally), the
// connected target, the server's deploy state, consent, the interrupt signal, and the step
// context every milestone runs with. The one retry rule lives here (ARCHITECTURE.md): a command
// marked as a read may be run again after a dropped connection; nothing else is.
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { IPolicy } from 'cockatiel';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { resolveComposeTarget } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { ComposeContext } from '../docker/commands.js';
import { Docker } from '../docker/docker.js';
import { ShipproofError } from '../errors.js';
import { shipproofHome } from '../evidence/signing-key.js';
import { createLogger, type Logger } from '../log.js';
import { CommandRecorder } from '../probes/recorder.js';
import { loadOrCreateFingerprintKey, valueFingerprint } from '../redact/hmac.js';
import { runTransient, transientPolicy } from '../resilience/policy.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { computeBundle, type Bundle } from './bundle.js';
import type { RunOpts, StepContext } from './context.js';
import { publishedImages, releaseId, resolveImageIds } from './identity.js';
import { Interrupts } from './interrupt.js';
import { layout, type Layout } from './layout.js';
import { releaseComposeFiles } from './steps/bundle-synced.js';
import { readState, writeState, type DeployState } from './state.js';

export interface DeployOptions extends CreateTargetOptions {
  config: ResolvedConfig;
  targetName?: string;
  /** Inject a ready target (tests). */
  target?: Target;
  yes?: boolean;
  confirm?: (question: string) => Promise<boolean>;
  /** Run milestones although earlier ones lack passing evidence (or roll back onto a failed release); the reason is recorded. */
  forceReason?: string;
  lockWaitMs?: number;
  message?: string;
  log?: (line: string) => void;
  show?: (text: string) => void;
  /** Structured log (phase, action, duration). */
  logger?: Logger;
  /** Do not install SIGINT/SIGTERM handlers (tests that run deploys in-process). */
  noSignalHandlers?: boolean;
  /** A deploy that changes nothing writes no evidence record. */
  quietNoop?: boolean;
  /** Replace env files on the server that shipproof did not upload (src/deploy/env-ownership.ts). */
  overwrite?: boolean;
}

export interface SessionOptions {
  /** Checks the input (config and compose model) before the bundle is computed from it. */
  vet?: (config: ResolvedConfig, compose: ComposeModel) => Promise<void>;
  /** Check (and settle) before connecting, e.g. that evidence can be written. */
  before?: (s: Omit<Session, 'flavor' | 'state' | 'docker' | 'images'>) => Promise<void>;
  /** Pull published images as deploy.pull says before deciding the release (deploy, run); read-only commands never pull. */
  mayPull?: boolean;
  /**
   * Detect Compose only when `composeFlavor(s)` is called (a no-op deploy never runs compose;
   * v1's Python start is ~0.8 s CPU). Until then reading `s.flavor` throws.
   */
  composeLater?: boolean;
}

export class ConsentDeclinedError extends ShipproofError {
  override readonly code = 'consent_declined';
}

export interface Session {
  config: ResolvedConfig;
  compose: ComposeModel;
  bundle: Bundle;
  /** The release id this source makes. */
  release: string;
  target: ResolvedTarget;
  host: Target;
  ownsHost: boolean;
  docker: Docker;
  layout: Layout;
  flavor: ComposeContext['flavor'];
  state: DeployState;
  log: (line: string) => void;
  show: (text: string) => void;
  confirm: (what: string) => Promise<void>;
  /** Retries and circuit breaker for reads after a dropped connection (never for changes). */
  policy: IPolicy;
  logger: Logger;
  interrupts: Interrupts;
  /** Published images by service and the id each resolved to on the target (part of the release id). */
  images: Map<string, string | undefined>;
  overwrite?: boolean;
}

export function composeFor(s: Pick<Session, 'config' | 'layout' | 'flavor'>, release: string, files?: string[]): ComposeContext {
  const dir = s.layout.releaseDir(release);
  const rels = files ?? s.config.composeFiles.map((f) => posix.relative(s.config.rootDir, f));
  return { flavor: s.flavor, project: s.config.project, files: rels.map((r) => posix.join(dir, r)), projectDir: dir };
}

/** Compose as the stack runs: from the stable live folder (a link to the release), with the release's own files and mounts override. */
export function composeLive(s: Pick<Session, 'config' | 'layout' | 'flavor'>, files: string[]): ComposeContext {
  return { flavor: s.flavor, project: s.config.project, files: files.map((r) => posix.join(s.layout.live, r)), projectDir: s.layout.live };
}

function consent(o: DeployOptions, log: (l: string) => void): (what: string) => Promise<void> {
  return async (what) => {
    if (o.yes) return;
    if (!o.confirm) {
      throw new ConsentDeclinedError(`This step changes the server (${what}) and needs your consent.`, {
        hint: 'Run it in a terminal to answer, or pass --yes.',
        exitCode: 2,
      });
    }
    if (!(await o.confirm(`${what}?`))) throw new ConsentDeclinedError(`Stopped: you declined to ${what}.`, { exitCode: 1 });
    log(`consent given: ${what}`);
  };
}

/**
 * HMAC fingerprints of the env files uploaded from this machine: they make part of a release's
 * identity without their values (or a bare, brute-forceable hash of them) appearing anywhere.
 */
export async function envFingerprints(config: ResolvedConfig): Promise<string[]> {
  const sources = config.envFiles.filter((e) => e.source !== undefined);
  if (sources.length === 0) return [];
  const key = await loadOrCreateFingerprintKey(join(shipproofHome(), 'fingerprint.key'));
  const out: string[] = [];
  for (const e of sources) {
    const text = await readFile(e.source!, 'utf8').catch(() => '');
    out.push(`${e.path}:${valueFingerprint(key, text)}`);
  }
  return out;
}

/** What is computed locally, without connecting: the compose model and the bundle. */
export async function localRelease(config: ResolvedConfig, vet?: SessionOptions['vet']): Promise<{ compose: ComposeModel; bundle: Bundle }> {
  const compose = await loadCompose(config.composeFiles);
  // Bad input is refused at its file:line before the bundle reads any file it names.
  if (vet) await vet(config, compose);
  const bundle = await computeBundle({ config, compose, fingerprints: await envFingerprints(config) });
  return { compose, bundle };
}

export async function openSession(o: DeployOptions, so: SessionOptions = {}): Promise<Session> {
  const target = resolveComposeTarget(o.config, o.targetName);
  const { compose, bundle } = await localRelease(o.config, so.vet);
  const log = o.log ?? (() => undefined);
  const host = o.target ?? createTarget(target, o);
  const l = layout(target.appDir);
  const partial = {
    config: o.config,
    compose,
    bundle,
    release: bundle.releaseId,
    target,
    host,
    ownsHost: o.target === undefined,
    layout: l,
    log,
    show: o.show ?? log,
    confirm: consent(o, log),
    policy: transientPolicy(),
    logger: (o.logger ?? createLogger()).child({ project: o.config.project, target: target.name, release: bundle.releaseId }),
    interrupts: new Interrupts(log, o.noSignalHandlers !== true),
    overwrite: o.overwrite === true,
  };
  try {
    if (so.before) await so.before(partial);
    const docker = new Docker(host);
    const info = so.composeLater ? undefined : await runTransient(partial.policy, host.description, () => docker.info());
    if (so.composeLater) await runTransient(partial.policy, host.description, () => docker.engineOnce());
    const state = await runTransient(partial.policy, host.description, () => readState(host, l));
    const images = await resolveImageIds(host, await publishedImages(o.config, compose), o.config.deploy.pull, so.mayPull === true, log);
    const s: Omit<Session, 'flavor'> = { ...partial, release: releaseId(bundle, images), docker, state, images };
    if (info) return { ...s, flavor: info.compose.flavor };
    return Object.defineProperty(s, 'flavor', {
      configurable: true,
      enumerable: true,
      get() {
        throw new Error('internal: the compose flavor was read before composeFlavor(session) detected it');
      },
    }) as Session;
  } catch (e) {
    partial.interrupts.dispose();
    if (partial.ownsHost) await host.close();
    throw e;
  }
}

/** Detects Compose on a session opened with `composeLater` (once; later calls return at once). */
export async function composeFlavor(s: Session): Promise<ComposeContext['flavor']> {
  const info = await runTransient(s.policy, s.host.description, () => s.docker.info());
  Object.defineProperty(s, 'flavor', { value: info.compose.flavor, writable: true, enumerable: true, configurable: true });
  return info.compose.flavor;
}

export async function closeSession(s: Session): Promise<void> {
  s.interrupts.dispose();
  if (s.ownsHost) await s.host.close();
}

/** Runs a command on the target through a recorder; reads get the retry rule, changes never do. */
export function runner(s: Pick<Session, 'host' | 'policy'>, recorder: CommandRecorder): (argv: readonly string[], o?: RunOpts) => ReturnType<StepContext['run']> {
  return (argv, o = {}) => {
    const opts = { ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.stdin !== undefined ? { stdin: o.stdin } : {}) };
    const once = () => recorder.run(s.host, argv, opts);
    return o.read ? runTransient(s.policy, s.host.description, once) : once();
  };
}

export function stepContext(s: Session, recorder: CommandRecorder, onTouch: () => void): StepContext {
  const filesOf = (release: string): string[] => {
    const rec = s.state.releases.find((r) => r.id === release);
    return rec?.composeFiles.length ? rec.composeFiles : releaseComposeFiles({ ...s, composeFor: (r) => composeFor(s, r), composeLive: () => composeLive(s, []) });
  };
  return {
    config: s.config,
    compose: s.compose,
    bundle: s.bundle,
    release: s.release,
    target: s.target,
    host: s.host,
    docker: s.docker,
    layout: s.layout,
    composeFor: (r) => composeFor(s, r),
    composeLive: (r) => composeLive(s, filesOf(r)),
    signal: s.interrupts.signal,
    touchStack: onTouch,
    state: () => s.state,
    saveState: async (next) => {
      s.state = next;
      await writeState(s.host, s.layout, next);
    },
    run: runner(s, recorder),
    confirm: s.confirm,
    log: s.log,
    show: s.show,
    overwrite: s.overwrite === true,
  };
}
