// Reading and rewriting Caddy's JSON config, pure. The cut-over pins the reverse_proxy upstreams
// that name a compose service (resolved by Docker DNS, which lists a new container before it is
// healthy) to explicit container addresses, and later gives the user's own config back.

export interface CaddyInvocation {
  /** The config file the proxy container was started with, inside the container. */
  configPath: string;
  adapter: string;
}

/** `caddy run --config /etc/caddy/Caddyfile --adapter caddyfile` (the official image's command) and its variants. */
export function caddyInvocation(cmd: readonly string[]): CaddyInvocation {
  const value = (flag: string): string | undefined => {
    for (let i = 0; i < cmd.length; i++) {
      const a = cmd[i]!;
      if (a === flag) return cmd[i + 1];
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    }
    return undefined;
  };
  const configPath = value('--config') ?? '/etc/caddy/Caddyfile';
  const adapter = value('--adapter') ?? (configPath.endsWith('.json') ? 'json' : 'caddyfile');
  return { configPath, adapter };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function splitDial(dial: string): { host: string; port: string } | undefined {
  const m = /^(?:[a-z]+\/)?\[?([^\]\s]+?)\]?:(\d+)$/.exec(dial);
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}

function eachReverseProxy(node: Json, visit: (handler: { [k: string]: Json }) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) eachReverseProxy(n, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  if (node.handler === 'reverse_proxy') visit(node);
  for (const v of Object.values(node)) eachReverseProxy(v, visit);
}

/** Hosts the running config's reverse_proxy handlers dial by name, with their ports. */
export function dialedHosts(config: unknown): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  eachReverseProxy(config as Json, (h) => {
    for (const u of Array.isArray(h.upstreams) ? h.upstreams : []) {
      const dial = u !== null && typeof u === 'object' && !Array.isArray(u) ? u.dial : undefined;
      const parts = typeof dial === 'string' ? splitDial(dial) : undefined;
      if (!parts) continue;
      const set = out.get(parts.host) ?? new Set<number>();
      set.add(Number(parts.port));
      out.set(parts.host, set);
    }
  });
  return out;
}

/**
 * A copy of `config` in which every upstream dialing `host:<port>` becomes one upstream per
 * address (same port, same other settings). `replaced` counts the upstreams rewritten.
 */
export function pinUpstreams(config: unknown, host: string, addresses: readonly string[]): { config: unknown; replaced: number } {
  const copy = structuredClone(config) as Json;
  let replaced = 0;
  eachReverseProxy(copy, (h) => {
    if (!Array.isArray(h.upstreams)) return;
    const next: Json[] = [];
    for (const u of h.upstreams) {
      const dial = u !== null && typeof u === 'object' && !Array.isArray(u) ? u.dial : undefined;
      const parts = typeof dial === 'string' ? splitDial(dial) : undefined;
      if (!parts || parts.host !== host) {
        next.push(u);
        continue;
      }
      replaced++;
      for (const a of addresses) next.push({ ...(u as { [k: string]: Json }), dial: `${a}:${parts.port}` });
    }
    h.upstreams = next;
  });
  return { config: copy, replaced };
}

/**
 * The port at which a Caddyfile proxies to `service` (`reverse_proxy web:8080`), read without
 * Caddy, for plans made before connecting. The running config is checked again at cut-over.
 */
export function caddyfilePortFor(text: string, service: string): number | undefined {
  const name = service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const token = new RegExp(`(?:^|\\s)(?:https?://)?${name}:(\\d+)(?=\\s|$|\\{)`);
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const t = raw.replace(/#.*$/, '').trim();
    const proxyLine = /^reverse_proxy(\s|$)/.test(t);
    if (proxyLine || (inBlock && /^to\s/.test(t))) {
      const m = token.exec(t);
      if (m) return Number(m[1]);
    }
    if (proxyLine && t.endsWith('{')) inBlock = true;
    else if (inBlock && t === '}') inBlock = false;
  }
  return undefined;
}

type ServerMap = Record<string, { [k: string]: Json }>;
const serversOf = (config: unknown): ServerMap => ((config as { apps?: { http?: { servers?: ServerMap } } } | null)?.apps?.http?.servers ?? {});

/** The ports at which each HTTP server (by name) dials `host`. */
function portsDialedByServer(config: unknown, host: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [name, server] of Object.entries(serversOf(config))) {
    const ports = new Set<string>();
    eachReverseProxy(server, (h) => {
      for (const u of Array.isArray(h.upstreams) ? h.upstreams : []) {
        const dial = u !== null && typeof u === 'object' && !Array.isArray(u) ? u.dial : undefined;
        const parts = typeof dial === 'string' ? splitDial(dial) : undefined;
        if (parts?.host === host) ports.add(parts.port);
      }
    });
    if (ports.size) out.set(name, ports);
  }
  return out;
}

/**
 * The switch: `host` pinned to the new addresses, plus a route no request matches (an empty path
 * list) that still names the old addresses. Requests already on their way to an old container
 * finish on the replaced config; while the running config names an upstream Caddy keeps counting
 * its requests in flight (admin API /reverse_proxy/upstreams), so the drain can see them end.
 */
export function switchUpstreams(config: unknown, host: string, fresh: readonly string[], old: readonly string[]): { config: unknown; replaced: number } {
  const ports = portsDialedByServer(config, host);
  const pinned = pinUpstreams(config, host, fresh);
  const servers = serversOf(pinned.config);
  for (const [name, set] of ports) {
    const server = servers[name]!;
    const routes = Array.isArray(server.routes) ? server.routes : [];
    for (const port of set) routes.push({ match: [{ path: [] }], handle: [{ handler: 'reverse_proxy', upstreams: old.map((a) => ({ dial: `${a}:${port}` })) }] });
    server.routes = routes;
  }
  return pinned;
}

/**
 * A copy of `config` whose HTTP servers, when a later reload replaces them, let requests in
 * flight finish for at most `ms` (Caddy's default waits forever). A grace period the user set is kept.
 */
export function withGracePeriod(config: unknown, ms: number): unknown {
  const copy = structuredClone(config) as { apps?: { http?: { grace_period?: unknown } } };
  if (copy?.apps?.http && copy.apps.http.grace_period === undefined) copy.apps.http.grace_period = `${Math.max(1, Math.ceil(ms / 1000))}s`;
  return copy;
}

/** Where the proxy's admin API listens (inside its container); undefined when it is off or on a socket. */
export function adminEndpoint(config: unknown): { host: string; port: number } | undefined {
  const admin = (config as { admin?: { disabled?: unknown; listen?: unknown } } | null)?.admin;
  if (admin?.disabled === true) return undefined;
  const listen = typeof admin?.listen === 'string' ? admin.listen : 'localhost:2019';
  const m = /^(?:tcp\/)?\[?([^\]\s/]*?)\]?:(\d+)$/.exec(listen);
  if (!m) return undefined;
  const host = m[1] === '' || m[1] === 'localhost' || m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]!;
  return { host, port: Number(m[2]) };
}

/**
 * Requests in flight to any of `dials` (host:port) from the admin API's /reverse_proxy/upstreams
 * answer (with or without HTTP headers before it); undefined when it cannot be read. An address
 * the proxy no longer lists has none.
 */
export function requestsInFlight(answer: string, dials: readonly string[]): number | undefined {
  const at = answer.indexOf('\r\n\r\n');
  const body = (at >= 0 ? answer.slice(at + 4) : answer).trim();
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  let n = 0;
  for (const u of list as { address?: unknown; num_requests?: unknown }[]) {
    if (typeof u?.address === 'string' && dials.includes(u.address) && typeof u.num_requests === 'number') n += u.num_requests;
  }
  return n;
}
