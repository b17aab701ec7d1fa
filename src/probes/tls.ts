// TLS as a visitor sees it, read from the target: subject, issuer, expiry, days left, whether the
// certificate names the host, and the chain verification result. Certificates are public data.
import { fail, pass, skipped, type Observations, type Probe } from './types.js';

const TLS_SCRIPT = [
  'out=$(echo | timeout 10 openssl s_client -connect "$1" -servername "$2" 2>/dev/null) || true',
  'cert=$(printf "%s\\n" "$out" | sed -n "/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p")',
  '[ -n "$cert" ] || { echo no_certificate; exit 0; }',
  'printf "%s\\n" "$out" | grep -m1 "Verify return code" || true',
  'printf "%s\\n" "$cert" | openssl x509 -noout -subject -issuer -startdate -enddate -checkhost "$2"',
].join('\n');

/** "example.com" -> 443; "localhost:8443" -> 8443. */
export function splitDomain(domain: string): { host: string; port: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(domain.trim());
  return { host: m?.[1] ?? domain, port: m?.[2] ? Number(m[2]) : 443 };
}

export function tlsCommand(domain: string): string[] {
  const { host, port } = splitDomain(domain);
  return ['sh', '-c', TLS_SCRIPT, 'shipproof-tls', `${host}:${port}`, host];
}

export interface TlsReport {
  served: boolean;
  subject?: string;
  issuer?: string;
  notBefore?: string;
  notAfter?: string;
  hostnameMatch?: boolean;
  verify?: string;
}

export function parseTls(text: string): TlsReport {
  if (text.includes('no_certificate')) return { served: false };
  const get = (re: RegExp): string | undefined => re.exec(text)?.[1]?.trim();
  const notAfter = get(/^notAfter=(.*)$/m);
  const notBefore = get(/^notBefore=(.*)$/m);
  const verify = get(/Verify return code: (.*)$/m);
  return {
    served: true,
    ...(get(/^subject=(.*)$/m) ? { subject: get(/^subject=(.*)$/m)! } : {}),
    ...(get(/^issuer=(.*)$/m) ? { issuer: get(/^issuer=(.*)$/m)! } : {}),
    ...(notBefore ? { notBefore: new Date(notBefore).toISOString() } : {}),
    ...(notAfter ? { notAfter: new Date(notAfter).toISOString() } : {}),
    hostnameMatch: /does match certificate/.test(text) && !/does NOT match/.test(text),
    ...(verify ? { verify } : {}),
  };
}

export const MIN_DAYS_LEFT = 7;

/**
 * How much validity must remain: 7 days for ordinary certificates; for short-lived ones that are
 * renewed continuously (Caddy's internal CA issues 12-hour certificates) a third of their lifetime.
 */
export function minRemainingMs(notBefore: string | undefined, notAfter: string): number {
  const week = MIN_DAYS_LEFT * 86_400_000;
  if (notBefore === undefined) return week;
  return Math.min(week, (Date.parse(notAfter) - Date.parse(notBefore)) / 3);
}

/** Local names cannot get a publicly trusted certificate, so an untrusted chain is expected there. */
export function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
}

export const tlsProbe: Probe = {
  id: 'tls',
  title: 'TLS certificate served',
  reads: 'for each domain, the certificate served: subject, issuer, expiry, days left, hostname match, verification',
  gate: true,
  timeoutMs: 30_000,
  neverRecords: ['private keys', 'proxy configuration content'],
  plan: (ctx) => ctx.config.domains.map((d) => ({ where: 'target' as const, argv: tlsCommand(d) })),
  async run(ctx) {
    if (ctx.config.domains.length === 0) return skipped('no domains are declared in shipproof.yaml');
    const observations: Observations = {};
    const problems: string[] = [];
    const now = Date.now();
    await Promise.all(
      ctx.config.domains.map(async (domain) => {
        const r = await ctx.run(tlsCommand(domain), { timeoutMs: 20_000 });
        const t = parseTls(r.stdout);
        const key = splitDomain(domain).host;
        observations[`${key}.served`] = t.served;
        if (!t.served) {
          problems.push(`${domain}: no certificate was served`);
          return;
        }
        const leftMs = t.notAfter ? Date.parse(t.notAfter) - now : null;
        const daysLeft = leftMs === null ? null : Math.floor(leftMs / 86_400_000);
        const trusted = t.verify === undefined ? null : /^0 \(ok\)/.test(t.verify);
        observations[`${key}.subject`] = t.subject ?? null;
        observations[`${key}.issuer`] = t.issuer ?? null;
        observations[`${key}.notAfter`] = t.notAfter ?? null;
        observations[`${key}.daysLeft`] = daysLeft;
        observations[`${key}.hostnameMatch`] = t.hostnameMatch ?? false;
        observations[`${key}.verify`] = t.verify ?? null;
        observations[`${key}.trusted`] = trusted;
        if (!t.hostnameMatch) problems.push(`${domain}: the certificate does not name this host`);
        if (leftMs === null || t.notAfter === undefined) problems.push(`${domain}: could not read the expiry date`);
        else if (leftMs < 0) problems.push(`${domain}: the certificate expired`);
        else if (leftMs < minRemainingMs(t.notBefore, t.notAfter)) problems.push(`${domain}: the certificate expires in ${Math.round(leftMs / 3_600_000)} hours`);
        if (trusted === false && !isLocalName(key)) problems.push(`${domain}: the certificate chain is not trusted (${t.verify})`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
