// A behavioural spot-check: a command that must exit with the expected code, here or on the
// target. Only its exit code, duration and output hashes are kept, never the output.
import { isShipproofError } from '../../errors.js';
import { CommandRecorder } from '../../probes/recorder.js';
import { shellJoin } from '../../shell/quote.js';
import type { ExecOptions, Target } from '../../targets/target.js';
import type { SpotCheckSpec } from '../schema.js';
import type { CheckOutcome } from '../types.js';
import type { VerifyHosts } from './hosts.js';

export function spotCheckArgv(spec: Pick<SpotCheckSpec, 'run'>): string[] {
  return typeof spec.run === 'string' ? ['sh', '-c', spec.run] : [...spec.run];
}

/** The command as a person would type it. */
export function spotCheckCommandText(spec: Pick<SpotCheckSpec, 'run'>): string {
  return typeof spec.run === 'string' ? spec.run : shellJoin(spec.run);
}

export async function runSpotCheck(spec: SpotCheckSpec, hosts: VerifyHosts): Promise<CheckOutcome> {
  const started = Date.now();
  const recorder = new CommandRecorder(new AbortController().signal);
  const done = (status: CheckOutcome['status'], label: string, detail: string, observations: CheckOutcome['observations'] = {}): CheckOutcome => ({
    kind: 'spot-check',
    id: spec.id,
    subject: spec.behavior,
    status,
    label,
    detail,
    durationMs: Date.now() - started,
    observations: { on: spec.on, expectedExit: spec.exitCode, ...observations },
    commands: recorder.records,
    evidence: [],
  });
  let host;
  try {
    host = await hosts.host(spec.on);
  } catch (e) {
    return done('error', 'ERROR', `could not reach ${hosts.resolved.name}: ${messageOf(e)}`);
  }
  try {
    const r = await recorder.run(inFolder(host, hosts.cwd(spec.on, spec.cwd)), spotCheckArgv(spec), { timeoutMs: spec.timeout });
    const seconds = (r.durationMs / 1000).toFixed(1);
    const observations = { exitCode: r.exitCode, durationMs: r.durationMs, timedOut: r.timedOut };
    if (r.timedOut) return done('fail', 'FAIL', `timed out after ${Math.round(spec.timeout / 1000)} s and was killed`, observations);
    if (r.exitCode === 127) return done('fail', 'FAIL', `exit 127: the command was not found`, observations);
    if (r.exitCode !== spec.exitCode) {
      return done('fail', 'FAIL', r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode} after ${seconds} s, expected ${spec.exitCode}`, observations);
    }
    return done('pass', 'PASS', `exit ${r.exitCode} in ${seconds} s`, observations);
  } catch (e) {
    return done('error', 'ERROR', `could not run: ${messageOf(e)}`);
  }
}

/** The same target, with every exec run in `cwd` (the recorder has no cwd option of its own). */
export function inFolder(target: Target, cwd: string): Target {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'exec') return (argv: readonly string[], o: ExecOptions = {}) => t.exec(argv, { ...o, cwd });
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

function messageOf(e: unknown): string {
  return isShipproofError(e) || e instanceof Error ? e.message : String(e);
}
