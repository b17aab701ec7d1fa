// Runs one probe under its timeout with a command recorder: a probe that throws, times out or
// whose command timed out is an error with its reason, never a pass.
import { isShipproofError } from '../errors.js';
import type { CheckResult, CommandRecord } from '../evidence/predicate-schema.js';
import { LocalTarget } from '../targets/local.js';
import { CommandRecorder } from './recorder.js';
import type { Probe, ProbeContext, ProbeOutcome } from './types.js';

const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

/** Reads shared by the probes of one collect run, each with the command records behind it. */
export type SharedReads = Map<string, Promise<{ value: unknown; records: CommandRecord[] }>>;

export async function runProbe(probe: Probe, base: Omit<ProbeContext, 'run' | 'runLocal' | 'signal' | 'once'>, shared?: SharedReads): Promise<CheckResult> {
  const started = Date.now();
  const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const ac = new AbortController();
  const recorder = new CommandRecorder(ac.signal);
  const local = new LocalTarget();
  const ctx: ProbeContext = {
    ...base,
    signal: ac.signal,
    run: (argv, o) => recorder.run(base.host, argv, o),
    runLocal: (argv, o) => recorder.run(local, argv, o),
    ...(shared === undefined
      ? {}
      : {
          once: async <T>(key: string, read: (run: ProbeContext['run']) => Promise<T>): Promise<T> => {
            let entry = shared.get(key);
            if (entry === undefined) {
              const own = new CommandRecorder(new AbortController().signal);
              entry = read((argv, o) => own.run(base.host, argv, o)).then((value) => ({ value, records: own.records }));
              shared.set(key, entry);
            }
            const { value, records } = await entry;
            recorder.records.push(...records);
            return value as T;
          },
        }),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve({ status: 'error', reason: `timed out after ${Math.round(timeoutMs / 1000)} s`, observations: {} });
    }, timeoutMs);
  });
  let outcome: ProbeOutcome;
  try {
    outcome = await Promise.race([probe.run(ctx), timedOut]);
  } catch (e) {
    const message = isShipproofError(e) ? e.message : e instanceof Error ? e.message : String(e);
    outcome = { status: 'error', reason: `could not run: ${message}`, observations: {} };
  } finally {
    clearTimeout(timer);
  }
  // A command that timed out inside a probe means the probe did not observe what it claims.
  if (outcome.status === 'pass' && recorder.records.some((c) => c.timedOut)) {
    outcome = { status: 'error', reason: 'a command timed out', observations: outcome.observations };
  }
  return {
    id: probe.id,
    title: probe.title,
    gate: probe.gate,
    status: outcome.status,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    durationMs: Date.now() - started,
    observations: outcome.observations,
    commands: recorder.records,
  };
}
