// The cut-over's narrow interface: what it needs to switch one service to a new release, and the
// record it gives back for the deploy's evidence.
import type { ComposeContext } from '../docker/commands.js';

/** How a service goes from the old release's containers to the new one's. */
export type CutoverMethod =
  /** Behind the proxy: start new beside old, gate, switch the proxy, drain and stop old. */
  | 'start-first'
  /** Not behind the proxy (a worker): start new beside old, gate, stop old. */
  | 'start-new-stop-old'
  /** Configured (deploy.stopFirst): stop old, then start and gate new. A gap is expected. */
  | 'stop-first'
  /** Cannot run two side by side (ports, container_name, stateful, no gate): compose recreates it. */
  | 'recreate';

/** Facts about one service of the new release, from its resolved compose config and shipproof.yaml. */
export interface ServiceFacts {
  name: string;
  publishesPorts: boolean;
  containerName?: string;
  stateful: boolean;
  /** A compose healthcheck that is not disabled. */
  healthcheck: boolean;
  /** deploy.replicas or scale; 1 when unset. */
  replicas: number;
  /** The port the proxy dials it on, when the proxy routes to it by service name. */
  proxiedPort?: number;
  stopFirst: boolean;
}

/** An HTTP check sent to each new container itself (not through the proxy). */
export interface GateProbe {
  name: string;
  /** Path and query, e.g. "/healthz". */
  path: string;
  status: number;
  body?: string;
  bodyRegex?: string;
  timeoutMs: number;
}

export interface GateSettings {
  timeoutMs: number;
  intervalMs: number;
  /** Consecutive checks a container without a healthcheck must stay running. */
  stableChecks: number;
  probes: readonly GateProbe[];
}

export interface CutoverResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs one argv on the server; never throws for a non-zero exit. */
export type CutoverRun = (argv: readonly string[], o?: { timeoutMs?: number; stdin?: string }) => Promise<CutoverResult>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface CutoverInput {
  run: CutoverRun;
  /** Compose with the new release's files and env files. */
  compose: ComposeContext;
  service: ServiceFacts;
  /** The compose service of the reverse proxy (Caddy), if the stack has one. */
  proxyService?: string;
  gate: GateSettings;
  drainTimeoutMs: number;
  /** For the control run of a test: recreate even though a cut-over is possible. */
  forceRecreate?: boolean;
  log?: (line: string) => void;
  clock?: Clock;
}

export interface DrainRecord {
  /** False when the proxy's admin API could not be read from inside its container. */
  observed: boolean;
  /** Requests in flight to the old containers just after the proxy switched away (Caddy's num_requests). */
  requestsAtSwitch: number | null;
  /** Still in flight when the drain ended (0 = drained; more = cut off by the drain timeout). */
  requestsAtStop: number | null;
  waitedMs: number;
}

export interface CutoverOutcome {
  service: string;
  method: CutoverMethod;
  reason: string;
  ok: boolean;
  /** Why it failed; for a failed gate in a start-first or start-new cut-over the old containers still serve. */
  failure?: string;
  /** True when the old containers are still the ones running (nothing changed, or the new ones were removed). */
  oldKept: boolean;
  oldContainers: string[];
  newContainers: string[];
  /** From the first new container running to the last old one stopped; null when they never overlapped. */
  sideBySideMs: number | null;
  drain: DrainRecord | null;
  gate: { passed: boolean; checks: number; durationMs: number; reason?: string } | null;
  /** Things that went wrong without failing the cut-over (e.g. the proxy kept pinned addresses). */
  warnings: string[];
  /** What was done with the proxy's upstreams. */
  proxy: 'pinned' | 'not-pinned' | 'no-proxy';
  durationMs: number;
}
