// An HTTP probe, requested with curl where the must-haves say (the target by default, so
// localhost means the server). The body is matched where it arrives; only its hash is kept.
import { checkHealthProbe } from '../../probes/http-health.js';
import { CommandRecorder } from '../../probes/recorder.js';
import type { HttpProbeSpec } from '../schema.js';
import type { CheckOutcome } from '../types.js';
import type { VerifyHosts } from './hosts.js';

export async function runHttpProbe(spec: HttpProbeSpec, hosts: VerifyHosts): Promise<CheckOutcome> {
  const started = Date.now();
  const recorder = new CommandRecorder(new AbortController().signal);
  const done = (status: CheckOutcome['status'], label: string, detail: string, observations: CheckOutcome['observations'] = {}): CheckOutcome => ({
    kind: 'probe',
    id: spec.id,
    subject: spec.url,
    status,
    label,
    detail,
    durationMs: Date.now() - started,
    observations: { url: spec.url, on: spec.on, expectedStatus: spec.status, ...observations },
    commands: recorder.records,
    evidence: [],
  });
  let host;
  try {
    host = await hosts.host(spec.on);
  } catch (e) {
    return done('error', 'ERROR', `could not reach ${hosts.resolved.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const probe = {
      name: spec.id,
      url: spec.url,
      status: spec.status,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(spec.bodyRegex === undefined ? {} : { bodyRegex: spec.bodyRegex }),
      timeoutMs: spec.timeout,
      intervalMs: 0,
      insecure: spec.insecure,
    };
    const r = await checkHealthProbe((argv, o) => recorder.run(host, argv, o), probe);
    const observations = { status: r.status, latencyMs: r.latencyMs, bodyMatched: r.bodyMatched };
    if (!r.ok) return done('fail', 'FAIL', r.why ?? 'failed', observations);
    const body = r.bodyMatched === true ? ', body matched' : '';
    return done('pass', 'PASS', `HTTP ${r.status} in ${r.latencyMs ?? '?'} ms${body}`, observations);
  } catch (e) {
    return done('error', 'ERROR', `could not run: ${e instanceof Error ? e.message : String(e)}`);
  }
}
