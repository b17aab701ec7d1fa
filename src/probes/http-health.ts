// HTTP health probes from shipproof.yaml, run ON the target with curl (so localhost URLs mean the
// server, and a public URL goes through the proxy and TLS like a visitor's request). The body is
// matched where it arrives and only its hash is kept: never the payload.
import type { ResolvedConfig } from '../config/load.js';
import { fail, pass, skipped, type Observations, type Probe } from './types.js';

type HealthProbe = ResolvedConfig['health'][number];

const STATUS_MARK = '\nshipproof-http-status:';

export function curlCommand(p: Pick<HealthProbe, 'url' | 'timeoutMs' | 'insecure'>): string[] {
  const argv = [
    'curl',
    '--silent',
    '--show-error',
    '--max-time',
    String(Math.max(1, Math.ceil(p.timeoutMs / 1000))),
    '--max-filesize',
    '1048576',
    '--output',
    '-',
    '--write-out',
    `${STATUS_MARK}%{http_code} %{time_total} %{ssl_verify_result}`,
  ];
  if (p.insecure) argv.push('--insecure');
  argv.push('--', p.url);
  return argv;
}

export interface CurlResult {
  body: string;
  status: number;
  seconds: number;
}

export function parseCurl(stdout: string): CurlResult | undefined {
  const at = stdout.lastIndexOf(STATUS_MARK);
  if (at < 0) return undefined;
  const [code, time] = stdout.slice(at + STATUS_MARK.length).trim().split(' ');
  return { body: stdout.slice(0, at), status: Number(code), seconds: Number(time) };
}

export function bodyMatches(p: HealthProbe, body: string): boolean | undefined {
  if (p.bodyRegex !== undefined) return new RegExp(p.bodyRegex).test(body);
  if (p.body !== undefined) return body.includes(p.body);
  return undefined;
}

/** One probe attempt: a verdict and what was seen. */
export async function checkHealthProbe(
  run: (argv: string[], o: { timeoutMs: number }) => Promise<{ exitCode: number | null; stdout: string; stderr: string; timedOut: boolean }>,
  p: HealthProbe,
): Promise<{ ok: boolean; why?: string; status: number | null; latencyMs: number | null; bodyMatched: boolean | null }> {
  const r = await run(curlCommand(p), { timeoutMs: p.timeoutMs + 5_000 });
  if (r.exitCode === 127) return { ok: false, why: 'curl is not installed on the target', status: null, latencyMs: null, bodyMatched: null };
  const parsed = parseCurl(r.stdout);
  if (r.timedOut || r.exitCode === 28) {
    return { ok: false, why: `timed out after ${p.timeoutMs / 1000} s`, status: null, latencyMs: null, bodyMatched: null };
  }
  if (parsed === undefined || r.exitCode !== 0 || parsed.status === 0) {
    const curlError = /curl: \(\d+\) ([^\n]*)/.exec(r.stderr)?.[1] ?? `curl exited with ${r.exitCode}`;
    return { ok: false, why: curlError.slice(0, 200), status: null, latencyMs: null, bodyMatched: null };
  }
  const latencyMs = Math.round(parsed.seconds * 1000);
  const matched = bodyMatches(p, parsed.body);
  if (parsed.status !== p.status) {
    return { ok: false, why: `HTTP ${parsed.status}, expected ${p.status}`, status: parsed.status, latencyMs, bodyMatched: matched ?? null };
  }
  if (matched === false) {
    return { ok: false, why: 'the body did not match', status: parsed.status, latencyMs, bodyMatched: false };
  }
  return { ok: true, status: parsed.status, latencyMs, bodyMatched: matched ?? null };
}

export const httpHealthProbe: Probe = {
  id: 'http-health',
  title: 'HTTP health probes',
  reads: 'each configured URL, requested from the target: status code, latency, whether the body matches',
  gate: true,
  timeoutMs: 60_000,
  neverRecords: ['response bodies (payloads)', 'response headers'],
  plan: (ctx) => ctx.config.health.map((p) => ({ where: 'target' as const, argv: curlCommand(p) })),
  async run(ctx) {
    if (ctx.config.health.length === 0) return skipped('no health probes are declared in shipproof.yaml');
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      ctx.config.health.map(async (p) => {
        const res = await checkHealthProbe((argv, o) => ctx.run(argv, o), p);
        observations[`${p.name}.url`] = p.url;
        observations[`${p.name}.status`] = res.status;
        observations[`${p.name}.latencyMs`] = res.latencyMs;
        observations[`${p.name}.bodyMatched`] = res.bodyMatched;
        if (!res.ok) problems.push(`${p.name}: ${res.why ?? 'failed'}`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
