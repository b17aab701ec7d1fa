// What role a service plays, as far as the compose file tells: database or cache, reverse proxy,
// one-shot job. Guesses are from the image name and labels; lint settings can name the proxy.
import type { Engine } from '../config/schema.js';
import type { ComposeProject, ComposeService, PortMapping } from '../compose/model.js';
import type { LintSection } from './schema.js';

export const ROLE_LABEL = 'shipproof.role';

/** Backup engine classes that are a database or a cache: they serve only the stack, never the internet. */
const DATA_ENGINES: ReadonlySet<Engine> = new Set(['postgres', 'mariadb', 'mongodb', 'redis']);

const PROXY_IMAGES = new Set([
  'caddy',
  'caddy-docker-proxy',
  'traefik',
  'nginx',
  'nginx-proxy',
  'nginx-proxy-manager',
  'openresty',
  'haproxy',
  'envoy',
  'swag',
]);

export function isDataEngine(engine: Engine | undefined): boolean {
  return engine !== undefined && DATA_ENGINES.has(engine);
}

/** The last part of an image's repository, lowercased: "docker.io/library/caddy:2.8" → "caddy". */
export function imageBaseName(image: string): string {
  const withoutDigest = image.split('@')[0] as string;
  const last = withoutDigest.split('/').pop() as string;
  return (last.split(':')[0] as string).toLowerCase();
}

/** `image` is the service's image with variables filled in. */
export function isProxy(service: ComposeService, settings: LintSection, image: string | undefined): boolean {
  if (settings.proxy !== undefined) return settings.proxy.includes(service.name);
  const role = service.labels.find((l) => l.name === ROLE_LABEL)?.value;
  if (role !== undefined) return role === 'proxy';
  return image !== undefined && PROXY_IMAGES.has(imageBaseName(image));
}

/**
 * A job that runs and exits (migrations, seeding): labelled shipproof.role=job, or awaited by
 * another service with `condition: service_completed_successfully`.
 */
export function isOneShot(service: ComposeService, model: ComposeProject): boolean {
  const role = service.labels.find((l) => l.name === ROLE_LABEL)?.value;
  if (role === 'job' || role === 'oneshot') return true;
  return model.services.some((s) => s.dependsOn.some((d) => d.service === service.name && d.condition === 'service_completed_successfully'));
}

/** Bound to this machine only (127.0.0.1, ::1, localhost): not reachable from outside. */
export function isLoopback(port: PortMapping): boolean {
  const ip = port.hostIp?.replace(/^\[|\]$/g, '');
  return ip !== undefined && (ip === 'localhost' || ip === '::1' || /^127\./.test(ip));
}

/** "5432", "8080→80", "127.0.0.1:5432→5432/udp" for messages. */
export function describePort(port: PortMapping): string {
  const target = port.targetEnd === undefined ? `${port.target}` : `${port.target}-${port.targetEnd}`;
  const published = port.published === undefined ? 'a random port' : port.publishedEnd === undefined ? `${port.published}` : `${port.published}-${port.publishedEnd}`;
  const proto = port.protocol === 'tcp' ? '' : `/${port.protocol}`;
  const host = port.hostIp === undefined ? '' : `${port.hostIp}:`;
  return `${host}${published} → ${target}${proto}`;
}

/** Whether a mapping covers a port, container side or host side. */
export function coversPort(port: PortMapping, n: number): boolean {
  const inRange = (from: number | undefined, to: number | undefined) => from !== undefined && n >= from && n <= (to ?? from);
  return inRange(port.target, port.targetEnd) || inRange(port.published, port.publishedEnd);
}
