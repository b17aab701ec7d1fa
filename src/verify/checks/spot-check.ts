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
    const wantExit = spec.expect?.exitCode ?? spec.exitCode;
    if (r.exitCode !== wantExit) {
      return done('fail', 'FAIL', r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode} after ${seconds} s, expected ${wantExit}`, { ...observations, expectedExit: wantExit });
    }
    // The output is compared here and dropped: the record keeps only whether each expectation held.
    const unmet = outputProblems(spec, r.stdout, r.stderr);
    const matched = { ...observations, expectedExit: wantExit, ...(spec.expect === undefined ? {} : { outputMatched: unmet.length === 0 }) };
    if (unmet.length > 0) return done('fail', 'FAIL', `exit ${r.exitCode}, but ${unmet.join('; ')}`, matched);
    return done('pass', 'PASS', `exit ${r.exitCode} in ${seconds} s${spec.expect === undefined || (spec.expect.stdout ?? spec.expect.stdoutRegex ?? spec.expect.stderr) === undefined ? '' : ', output as expected'}`, matched);
  } catch (e) {
    return done('error', 'ERROR', `could not run: ${messageOf(e)}`);
  }
}

/** Each output expectation that did not hold, said without quoting the output. */
export function outputProblems(spec: Pick<SpotCheckSpec, 'expect'>, stdout: string, stderr: string): string[] {
  const e = spec.expect;
  if (e === undefined) return [];
  const out: string[] = [];
  if (e.stdout !== undefined && !stdout.includes(e.stdout)) out.push(`stdout does not contain the expected text (${stdout.length} bytes seen)`);
  if (e.stdoutRegex !== undefined && !new RegExp(e.stdoutRegex, 'm').test(stdout)) out.push(`stdout does not match /${e.stdoutRegex}/`);
  if (e.stderr !== undefined && !stderr.includes(e.stderr)) out.push('stderr does not contain the expected text');
  return out;
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
