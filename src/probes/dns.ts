// DNS before TLS: each real domain's A/AAAA records must point at the server before the proxy asks
// an ACME CA for a certificate (failed attempts hit rate limits). Local names are skipped.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLocalName, splitDomain } from './tls.js';
import { fail, pass, skipped, type Observations, type Probe } from './types.js';

export function serverAddressesCommand(): string[] {
  return ['sh', '-c', 'hostname -I 2>/dev/null || ip -o addr show scope global | awk \'{print $4}\' | cut -d/ -f1'];
}

export function parseAddresses(text: string): string[] {
  return [...new Set(text.split(/\s+/).map((a) => a.trim()).filter((a) => isIP(a) !== 0))];
}

/** Which of the domain's addresses belong to the server. */
export function dnsVerdict(domainAddresses: readonly string[], serverAddresses: readonly string[]): { ok: boolean; matched: string[] } {
  const server = new Set(serverAddresses);
  const matched = domainAddresses.filter((a) => server.has(a));
  return { ok: domainAddresses.length > 0 && matched.length > 0, matched };
}

async function resolveAll(name: string, timeoutMs = 5_000): Promise<string[]> {
  if (isIP(name)) return [name];
  const timer = new Promise<string[]>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref());
  const found = lookup(name, { all: true }).then((r) => r.map((x) => x.address));
  return Promise.race([found, timer]);
}

export const dnsProbe: Probe = {
  id: 'dns',
  title: 'DNS points at the server',
  reads: "each real domain's A/AAAA records (resolved here) against the server's addresses",
  gate: true,
  neverRecords: [],
  plan: (ctx) => (ctx.config.domains.some((d) => !isLocalName(splitDomain(d).host)) ? [{ where: 'target', argv: serverAddressesCommand() }] : []),
  async run(ctx) {
    const domains = ctx.config.domains.map((d) => splitDomain(d).host).filter((h) => !isLocalName(h));
    if (domains.length === 0) return skipped(ctx.config.domains.length ? 'only local names (localhost) are declared' : 'no domains are declared in shipproof.yaml');
    const r = await ctx.run(serverAddressesCommand());
    const server = parseAddresses(r.stdout);
    if (ctx.target.kind === 'ssh') server.push(...(await resolveAll(ctx.target.host).catch(() => [] as string[])));
    const observations: Observations = { serverAddresses: [...new Set(server)] };
    const problems: string[] = [];
    for (const d of domains) {
      const addresses = await resolveAll(d).catch((e: unknown) => {
        problems.push(`${d} does not resolve (${e instanceof Error ? e.message : String(e)})`);
        return [] as string[];
      });
      observations[`${d}.addresses`] = addresses;
      if (addresses.length === 0) continue;
      const v = dnsVerdict(addresses, server);
      observations[`${d}.pointsAtServer`] = v.ok;
      if (!v.ok) problems.push(`${d} resolves to ${addresses.join(', ')}, not to the server (${[...new Set(server)].join(', ') || 'no address found'})`);
    }
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
