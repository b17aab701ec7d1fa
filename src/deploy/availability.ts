// Per-service availability while a deploy changes the stack (milestone 6 through the health gate,
// and any rollback): a watch observes every service at a steady pace — by an HTTP probe that
// reaches it, else its Docker healthcheck, else whether a container runs — and the report says,
// per service, how long it was unavailable: from the first failed observation to the next good
// one. A figure is given only when it was observed serving first; otherwise the record says why
// there is none. Pure over an injected clock and observer, so it is unit-tested without a target.
import type { CheckResult, ObservationValue } from '../evidence/predicate-schema.js';

export type WatchMethod = 'http' | 'healthcheck' | 'running';

export interface WatchedService {
  service: string;
  method: WatchMethod;
  /** For `http`: the probe names (and URLs) that reach this service. */
  probes?: string[];
}

/** One look at the stack: per service, good (true), failed (false), or not observed this time (absent). */
export type Observation = Readonly<Record<string, boolean>>;

export interface WatchOptions {
  services: readonly WatchedService[];
  observe: () => Promise<Observation>;
  /** Pause between the start of one look and the next. */
  intervalMs: number;
  now?: () => number;
  /** Resolves after ms, or at once when the signal aborts (stop). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Tick {
  at: number;
  seen: Observation;
}

export interface Outage {
  fromMs: number;
  toMs: number;
  /** Still failing when the watch stopped: the figure is a lower bound. */
  open: boolean;
}

export interface ServiceAvailability {
  service: string;
  method: WatchMethod;
  probes?: string[];
  observations: number;
  failed: number;
  /** Largest time between two observations of this service: the figure's resolution. */
  largestGapMs: number;
  /** Mean time between two observations (the pace reached, which a loaded host makes slower than the interval). */
  meanGapMs: number;
  /** Present only when the service was seen serving before any outage counted. */
  downtimeMs?: number;
  outages: Outage[];
  /** Milliseconds after the start until it first answered, when it was not serving at the start. */
  firstGoodAfterMs?: number;
  /** Why no figure is given, when none is. */
  noFigure?: string;
}

export interface AvailabilityReport {
  startedAt: number;
  stoppedAt: number;
  intervalMs: number;
  ticks: number;
  services: ServiceAvailability[];
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface AvailabilityWatch {
  /** Stops after the look in progress and reports. Safe to call more than once. */
  stop(): Promise<AvailabilityReport>;
  /**
   * Resolves true once every service seen serving during the watch answers again at its latest
   * look, taken after this call (so an outage has an end, not only a lower bound), false after
   * `timeoutMs` or a stop.
   */
  recovered(timeoutMs: number): Promise<boolean>;
}

/** Every service that was seen serving is good at its latest look. Pure. */
export function allRecovered(services: readonly WatchedService[], ticks: readonly Tick[]): boolean {
  return services.every((w) => {
    const mine = ticks.filter((t) => t.seen[w.service] !== undefined);
    if (!mine.some((t) => t.seen[w.service] === true)) return true;
    return mine[mine.length - 1]!.seen[w.service] === true;
  });
}

/** Starts observing at once; the first look is taken before this returns control to the loop. */
export function startAvailabilityWatch(o: WatchOptions): AvailabilityWatch {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? abortableSleep;
  const stopper = new AbortController();
  const ticks: Tick[] = [];
  const startedAt = now();
  const waiters = new Set<() => void>();
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      const at = now();
      // A look that could not be taken (a dropped connection) is no observation, never a failure.
      const seen = await o.observe().catch(() => ({}));
      ticks.push({ at, seen });
      for (const w of [...waiters]) w();
      if (stopper.signal.aborted) break;
      await sleep(Math.max(0, o.intervalMs - (now() - at)), stopper.signal);
    }
  })();
  let report: Promise<AvailabilityReport> | undefined;
  return {
    recovered(timeoutMs) {
      const since = now();
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          waiters.delete(check);
          stopper.signal.removeEventListener('abort', onStop);
          resolve(ok);
        };
        const check = (): void => {
          // Only a look begun after the call counts: one taken before may predate the outage the caller just caused.
          if (ticks.some((t) => t.at >= since) && allRecovered(o.services, ticks)) done(true);
        };
        const onStop = (): void => done(false);
        const timer = setTimeout(() => done(false), timeoutMs);
        stopper.signal.addEventListener('abort', onStop, { once: true });
        waiters.add(check);
        check();
      });
    },
    stop() {
      report ??= (async () => {
        stopper.abort();
        await loop;
        return summarise(o.services, ticks, startedAt, now(), o.intervalMs);
      })();
      return report;
    },
  };
}

/** The per-service figures from the looks taken. Pure. */
export function summarise(services: readonly WatchedService[], ticks: readonly Tick[], startedAt: number, stoppedAt: number, intervalMs: number): AvailabilityReport {
  return {
    startedAt,
    stoppedAt,
    intervalMs,
    ticks: ticks.length,
    services: services.map((w) => serviceFigure(w, ticks, startedAt, stoppedAt)),
  };
}

function serviceFigure(w: WatchedService, ticks: readonly Tick[], startedAt: number, stoppedAt: number): ServiceAvailability {
  const mine = ticks.filter((t) => t.seen[w.service] !== undefined).map((t) => ({ at: t.at, ok: t.seen[w.service] === true }));
  const base = { service: w.service, method: w.method, ...(w.probes ? { probes: w.probes } : {}) };
  if (mine.length === 0) {
    return { ...base, observations: 0, failed: 0, largestGapMs: 0, meanGapMs: 0, outages: [], noFigure: 'not observed: no look at it could be taken' };
  }
  let largestGapMs = 0;
  for (let i = 1; i < mine.length; i++) largestGapMs = Math.max(largestGapMs, mine[i]!.at - mine[i - 1]!.at);
  const outages: Outage[] = [];
  let seenGood = false;
  let firstGoodAt: number | undefined;
  let downSince: number | undefined;
  for (const m of mine) {
    if (m.ok) {
      if (downSince !== undefined) outages.push({ fromMs: downSince - startedAt, toMs: m.at - startedAt, open: false });
      downSince = undefined;
      if (!seenGood) firstGoodAt = m.at;
      seenGood = true;
    } else if (seenGood && downSince === undefined) {
      downSince = m.at;
    }
  }
  if (downSince !== undefined) outages.push({ fromMs: downSince - startedAt, toMs: stoppedAt - startedAt, open: true });
  const failed = mine.filter((m) => !m.ok).length;
  const meanGapMs = mine.length > 1 ? (mine[mine.length - 1]!.at - mine[0]!.at) / (mine.length - 1) : 0;
  const out: ServiceAvailability = { ...base, observations: mine.length, failed, largestGapMs, meanGapMs, outages };
  if (!seenGood) return { ...out, noFigure: `it never answered in ${mine.length} observation(s): it was not serving at any point of the watch` };
  if (mine[0]!.ok === false) {
    // Not serving when the watch began (a new service, a first deploy): there was nothing to lose yet.
    return { ...out, firstGoodAfterMs: (firstGoodAt as number) - startedAt, noFigure: 'it was not serving when the watch began (a new service or a first deploy), so no downtime is counted' };
  }
  return { ...out, downtimeMs: outages.reduce((n, x) => n + (x.toMs - x.fromMs), 0) };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function how(s: ServiceAvailability): string {
  if (s.method === 'http') return `HTTP probe ${(s.probes ?? []).join(', ')}`;
  if (s.method === 'healthcheck') return 'its Docker healthcheck (a running container reported healthy)';
  return 'container state only (no HTTP probe reaches it and it has no healthcheck): running counts as available';
}

/** One sentence per service: how it was observed, how often, and what was seen. */
export function describeAvailability(s: ServiceAvailability, intervalMs: number): string {
  const pace = `${s.observations} observation(s), one every ${seconds(s.meanGapMs)} on average (asked: ${seconds(intervalMs)}; largest gap ${seconds(s.largestGapMs)})`;
  if (s.observations === 0) return `${s.service}: ${s.noFigure ?? 'not observed'}`;
  const seen =
    s.noFigure !== undefined
      ? `no downtime figure: ${s.noFigure}${s.firstGoodAfterMs !== undefined ? `; first answered after ${seconds(s.firstGoodAfterMs)}` : ''}`
      : s.outages.length === 0
        ? '0 ms unavailable: no failed observation'
        : `${seconds(s.downtimeMs ?? 0)} unavailable in ${s.outages.length} outage(s) (${s.outages.map((x) => `+${seconds(x.fromMs)} to ${x.open ? 'the end of the watch, still failing: at least' : `+${seconds(x.toMs)}`} ${seconds(x.toMs - x.fromMs)}`).join('; ')}), first failed to next good observation`;
  return `${s.service}: by ${how(s)}; ${pace}; ${seen}`;
}

/**
 * The record's result: `<service>.downtimeMs` (only a measured figure, never a default), with
 * `<service>.availability` saying how it was observed; read by the end-of-deploy summary and the
 * dashboard's downtime plot. Not a gate: it reports, it does not decide.
 */
export function availabilityResult(r: AvailabilityReport, during: string): CheckResult {
  const observations: Record<string, ObservationValue> = {
    'watch.intervalMs': r.intervalMs,
    'watch.looks': r.ticks,
    'watch.durationMs': Math.max(0, r.stoppedAt - r.startedAt),
  };
  for (const s of r.services) {
    observations[`${s.service}.availability`] = describeAvailability(s, r.intervalMs).slice(0, 1024);
    observations[`${s.service}.observations`] = s.observations;
    // The figure's resolution: an outage's start and end are each known to within one gap.
    if (s.observations > 1) observations[`${s.service}.largestGapMs`] = Math.round(s.largestGapMs);
    if (s.downtimeMs !== undefined) {
      observations[`${s.service}.downtimeMs`] = s.downtimeMs;
      observations[`${s.service}.outages`] = s.outages.length;
    }
  }
  const measured = r.services.filter((s) => s.downtimeMs !== undefined).length;
  return {
    id: 'availability',
    title: `Per-service availability ${during}`,
    gate: false,
    status: measured > 0 ? 'pass' : 'skipped',
    ...(measured > 0 ? {} : { reason: r.services.length === 0 ? 'no service to observe' : 'no service was seen serving before the change, so no downtime figure exists (see each service)' }),
    durationMs: Math.max(0, r.stoppedAt - r.startedAt),
    observations,
    commands: [],
  };
}
