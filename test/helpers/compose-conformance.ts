// One comparable shape for a compose project, built either from shipproof's model or from the
// output of `docker-compose config` (v1 1.29): services with their image, build, ports, volumes,
// env files and networks, and the top-level volumes and networks. Paths are made relative to the
// project folder so the two sides compare.
import path from 'node:path';
import { parse } from 'yaml';
import type { ComposeProject } from '../../src/compose/model.js';

export interface ServiceShape {
  image?: string;
  build: boolean;
  ports: string[];
  volumes: string[];
  envFiles: string[];
  networks: string[];
}

export type ProjectShape =
  | { valid: true; services: Record<string, ServiceShape>; volumes: string[]; networks: string[] }
  | { valid: false; error: string };

/** Prefix planted into env files so v1's merged `environment` tells which files it read. */
export const ENV_MARK = 'SHIPPROOF_CONFORMANCE_ENV_FILE_';

/**
 * A local path as "./x" (inside `dir`), "../x" (beside it) or absolute (anywhere else, such as
 * /var/run/docker.sock). `~` means `home`. Both sides pass through this, so they compare.
 */
export function relPath(dir: string, p: string, home = dir): string {
  const expanded = p.replace(/^~(?=\/|$)/, home);
  const abs = path.resolve(dir, expanded);
  if (abs !== path.dirname(dir) && !abs.startsWith(`${path.dirname(dir)}${path.sep}`)) return abs;
  const rel = path.relative(dir, abs);
  return rel === '' ? '.' : rel.startsWith('..') ? rel : `./${rel}`;
}

/** "/var/www/html/" and "/var/www/html" are one mount point. */
const target = (t: string) => (t.length > 1 ? t.replace(/\/+$/, '') : t);

const sorted = (xs: Iterable<string>) => [...xs].sort();

export function shapeFromModel(p: ComposeProject): ProjectShape {
  const services: Record<string, ServiceShape> = {};
  for (const s of p.services) {
    services[s.name] = {
      ...(s.image === undefined ? {} : { image: s.image }),
      build: s.build !== undefined,
      ports: sorted(
        s.ports.map((x) => {
          const range = (a: number | undefined, b: number | undefined) => (a === undefined ? '' : b === undefined ? `${a}` : `${a}-${b}`);
          const published = range(x.published, x.publishedEnd);
          return `${x.hostIp === undefined ? '' : `${x.hostIp}:`}${published === '' ? '' : `${published}:`}${range(x.target, x.targetEnd)}/${x.protocol}`;
        }),
      ),
      volumes: sorted(
        s.volumes.flatMap((v) => {
          if (v.type === 'tmpfs' || v.type === 'other') return [];
          if (v.type === 'anonymous') return [target(v.target)];
          const src = v.type === 'bind' ? relPath(p.projectDir, v.source as string) : (v.source as string);
          return [`${src}:${target(v.target)}${v.readOnly ? ':ro' : ''}`];
        }),
      ),
      envFiles: sorted(new Set(s.envFiles.map((f) => relPath(p.projectDir, f.path)))),
      networks: sorted(s.networks.map((n) => networkRef(n.name, n.aliases))),
    };
  }
  return {
    valid: true,
    services,
    volumes: sorted(p.volumes.map((v) => v.name)),
    // As v1 prints them: an external network's name defaults to its key.
    networks: sorted(p.networks.map((n) => networkShape(n.name, n.external, n.externalName ?? (n.external ? n.name : undefined), n.driver))),
  };
}

/** `docker-compose config` output (v1 1.29), read in `dir` (the temporary copy it ran in). */
export function shapeFromV1(yaml: string, dir: string, envMarks: ReadonlyMap<string, string>): ProjectShape {
  const doc = parse(yaml) as Record<string, unknown>;
  const services: Record<string, ServiceShape> = {};
  for (const [name, raw] of Object.entries((doc.services ?? {}) as Record<string, Record<string, unknown>>)) {
    const env = (raw.environment ?? {}) as Record<string, unknown>;
    services[name] = {
      ...(typeof raw.image === 'string' ? { image: raw.image } : {}),
      build: raw.build !== undefined,
      ports: sorted(((raw.ports ?? []) as unknown[]).map((x) => v1Port(x))),
      volumes: sorted(
        ((raw.volumes ?? []) as unknown[]).flatMap((v) => {
          if (typeof v !== 'string') {
            const o = v as { type?: string; source?: string; target: string; read_only?: boolean };
            if (o.type === 'tmpfs') return [];
            const src = o.type === 'bind' ? relPath(dir, o.source as string) : o.source;
            return [src === undefined ? target(o.target) : `${src}:${target(o.target)}${o.read_only ? ':ro' : ''}`];
          }
          const parts = v.split(':');
          if (parts.length === 1) return [target(v)];
          const mode = parts.length > 2 ? parts.pop() : undefined;
          const [src, dest] = parts as [string, string];
          const source = src.startsWith('/') || src.startsWith('.') ? relPath(dir, src) : src;
          return [`${source}:${target(dest)}${mode?.split(',').includes('ro') ? ':ro' : ''}`];
        }),
      ),
      envFiles: sorted(Object.keys(env).filter((k) => k.startsWith(ENV_MARK)).map((k) => envMarks.get(k) ?? k)),
      networks: sorted(
        raw.networks === undefined
          ? []
          : Array.isArray(raw.networks)
            ? (raw.networks as string[])
            : Object.entries(raw.networks as Record<string, { aliases?: string[] } | null>).map(([n, v]) => networkRef(n, v?.aliases ?? [])),
      ),
    };
  }
  const networks = Object.entries((doc.networks ?? {}) as Record<string, { external?: boolean; name?: string; driver?: string } | null>).map(([n, v]) =>
    networkShape(n, v?.external === true, v?.name, v?.driver),
  );
  return { valid: true, services, volumes: sorted(Object.keys((doc.volumes ?? {}) as object)), networks: sorted(networks) };
}

/** "back" or "back aliases=db,database": a service's network, comparable across both sides. */
function networkRef(name: string, aliases: readonly string[]): string {
  return aliases.length === 0 ? name : `${name} aliases=${[...aliases].sort().join(',')}`;
}

/** "front driver=bridge", "proxy external name=traefik_proxy": a top-level network. */
function networkShape(key: string, external: boolean, name: string | undefined, driver: string | undefined): string {
  return [key, ...(external ? ['external'] : []), ...(name === undefined ? [] : [`name=${name}`]), ...(driver === undefined ? [] : [`driver=${driver}`])].join(' ');
}

function v1Port(x: unknown): string {
  if (typeof x === 'string') {
    const withProto = /\/(tcp|udp|sctp)$/.test(x) ? x : `${x}/tcp`;
    return withProto;
  }
  const o = x as { target: number; published?: number | string; host_ip?: string; protocol?: string };
  return `${o.host_ip ? `${o.host_ip}:` : ''}${o.published === undefined ? '' : `${o.published}:`}${o.target}/${o.protocol ?? 'tcp'}`;
}
