// One service of the merged tree read into the model: the fields shipproof uses, each with the
// place it was written. Environment and label values are classified from the text as written
// (before interpolation), so a value that came from .env is never mistaken for a literal.
import { parseDuration } from '../config/duration.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import {
  describeEnvValue,
  parsePortSpec,
  parseVolumeSpec,
  type ComposeService,
  type Dependency,
  type DependencyCondition,
  type Healthcheck,
  type VolumeType,
} from './model.js';
import { unknownServiceKey } from './service-keys.js';
import { isNull as isEmpty, shapeOf, text as scalarText, type PEntry, type PMap, type PNode } from './tree.js';

const CONDITIONS: readonly DependencyCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

const isMapNode = (node: PNode | undefined): node is PMap => node?.kind === 'map';
const isSeqNode = (node: PNode | undefined): boolean => node?.kind === 'seq';

/** Reads values of a tree, collecting "must be …" problems instead of throwing. */
export class Reader {
  readonly errors: ConfigError[] = [];

  loc(node: PNode | undefined): SourceLocation {
    return node?.loc ?? { file: '?', line: 1, column: 1 };
  }

  fail(node: PNode | undefined, message: string, hint?: string): undefined {
    this.errors.push(new ConfigError(message, { location: this.loc(node), hint }));
    return undefined;
  }

  /** `"where" must be <phrase>, got a list.` — the value itself is never echoed: it may be a secret. */
  expected(node: PNode | undefined, where: string, phrase: string): undefined {
    return this.fail(node, `"${where}" must be ${phrase}, got ${shapeOf(node)}.`);
  }

  entries(node: PNode | undefined): PEntry[] {
    return node?.kind === 'map' ? node.entries : [];
  }

  map(node: PNode | undefined, where: string, phrase: string): PEntry[] | undefined {
    return node?.kind === 'map' ? node.entries : this.expected(node, where, phrase);
  }

  items(node: PNode | undefined, where: string, phrase: string): PNode[] | undefined {
    return node?.kind === 'seq' ? node.items : this.expected(node, where, phrase);
  }

  string(node: PNode | undefined, where: string, phrase: string): string | undefined {
    return scalarText(node) ?? this.expected(node, where, phrase);
  }

  strings(node: PNode | undefined, where: string, phrase: string): string[] | undefined {
    const items = this.items(node, where, phrase);
    if (items === undefined) return undefined;
    const out: string[] = [];
    for (const [i, item] of items.entries()) {
      const t = this.string(item, `${where}[${i}]`, 'a string');
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  stringOrList(node: PNode | undefined, where: string, phrase: string): string | string[] | undefined {
    return node?.kind === 'seq' ? this.strings(node, where, phrase) : this.string(node, where, phrase);
  }

  bool(node: PNode | undefined, where: string): boolean | undefined {
    if (node?.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    // Compose accepts the strings "true"/"false" too (e.g. after interpolation).
    if (node?.kind === 'scalar' && (node.value === 'true' || node.value === 'false')) return node.value === 'true';
    return this.expected(node, where, 'true or false');
  }

  durationMs(node: PNode | undefined, where: string): number | undefined {
    const t = this.string(node, where, 'a duration like "10s" or "1m30s"');
    if (t === undefined) return undefined;
    return parseDuration(t) ?? this.expected(node, where, 'a duration like "10s" or "1m30s"');
  }
}

/** As written before interpolation: environment values are classified, never kept. */
function writtenText(node: PNode | undefined): string | undefined {
  return node?.kind === 'scalar' && node.written !== undefined ? node.written : scalarText(node);
}

type FieldEntry = PEntry;

export interface RawService {
  name: string;
  location: SourceLocation;
  node: PNode;
}

export function buildService(raw: RawService, r: Reader): ComposeService {
  const service: ComposeService = {
    name: raw.name,
    location: raw.location,
    fieldLocations: {},
    ports: [],
    expose: [],
    volumes: [],
    environment: [],
    envFiles: [],
    labels: [],
    dependsOn: [],
    networks: [],
    profiles: [],
  };
  for (const entry of r.map(raw.node, `services.${raw.name}`, 'a mapping of service settings') ?? []) {
    const unknown = unknownServiceKey(raw.name, entry.key, entry.keyLoc);
    if (unknown !== undefined) {
      r.errors.push(unknown);
      continue;
    }
    service.fieldLocations[entry.key] = entry.keyLoc;
    if (isEmpty(entry.value)) continue;
    readField(r, service, entry.key, entry);
  }
  return service;
}

function readField(r: Reader, service: ComposeService, field: string, entry: FieldEntry): void {
  const node = entry.value;
  const where = `services.${service.name}.${field}`;
  switch (field) {
    case 'image':
      service.image = r.string(node, where, 'an image name like postgres:16');
      return;
    case 'build':
      service.build = readBuild(r, node, where);
      return;
    case 'command':
    case 'entrypoint':
      service[field] = r.stringOrList(node, where, 'a string or a list of strings');
      return;
    case 'ports':
      for (const [i, item] of (r.items(node, where, 'a list of port mappings') ?? []).entries()) {
        const port = readPort(r, item, `${where}[${i}]`);
        if (port !== undefined) service.ports.push(port);
      }
      return;
    case 'expose':
      for (const [i, item] of (r.items(node, where, 'a list of ports') ?? []).entries()) {
        const port = r.string(item, `${where}[${i}]`, 'a port');
        if (port !== undefined) service.expose.push({ port, location: r.loc(item) });
      }
      return;
    case 'volumes':
      for (const [i, item] of (r.items(node, where, 'a list of volume mounts') ?? []).entries()) {
        const mount = readVolume(r, item, `${where}[${i}]`);
        if (mount !== undefined) service.volumes.push(mount);
      }
      return;
    case 'environment':
      service.environment = readEnvironment(r, node, where);
      return;
    case 'env_file':
      service.envFiles = readEnvFiles(r, node, where);
      return;
    case 'healthcheck':
      service.healthcheck = readHealthcheck(r, node, where);
      return;
    case 'labels':
      service.labels = readKeyValues(r, node, where).map(({ name, value, location }) => ({ name, value: value ?? '', location }));
      return;
    case 'depends_on':
      service.dependsOn = readDependsOn(r, node, where);
      return;
    case 'restart':
      service.restart = r.string(node, where, 'a restart policy like unless-stopped');
      return;
    case 'networks':
      service.networks = readServiceNetworks(r, node, where);
      return;
    case 'network_mode':
      service.networkMode = r.string(node, where, 'a network mode like host, none or service:<name>');
      return;
    case 'profiles':
      service.profiles = r.strings(node, where, 'a list of profile names') ?? [];
      return;
    default:
      return;
  }
}

/** `networks: [a, b]`, or a mapping whose values may give `aliases:`. */
function readServiceNetworks(r: Reader, node: PNode | undefined, where: string): ComposeService['networks'] {
  if (!isMapNode(node)) {
    return (r.items(node, where, 'a list or mapping of networks') ?? []).flatMap((item, i) => {
      const name = r.string(item, `${where}[${i}]`, 'a network name');
      return name === undefined ? [] : [{ name, aliases: [], location: r.loc(item) }];
    });
  }
  return r.entries(node).map(({ key, keyLoc, value }) => {
    const aliases = isMapNode(value) ? value.entries.find((e) => e.key === 'aliases') : undefined;
    return { name: key, aliases: aliases === undefined ? [] : (r.strings(aliases.value, `${where}.${key}.aliases`, 'a list of aliases') ?? []), location: keyLoc };
  });
}

function readBuild(r: Reader, node: PNode | undefined, where: string): ComposeService['build'] {
  const location = r.loc(node);
  if (!isMapNode(node)) {
    const context = r.string(node, where, 'a folder or a mapping with context:');
    return context === undefined ? undefined : { context, location };
  }
  const build: NonNullable<ComposeService['build']> = { context: '.', location };
  for (const { key, value } of r.entries(node)) {
    if (key !== 'context' && key !== 'dockerfile' && key !== 'target') continue;
    const text = r.string(value, `${where}.${key}`, 'a string');
    if (text !== undefined) build[key] = text;
  }
  return build;
}

function readPort(r: Reader, node: PNode | undefined, where: string): ComposeService['ports'][number] | undefined {
  const location = r.loc(node);
  if (!isMapNode(node)) {
    const text = r.string(node, where, 'a port mapping like "8080:80"');
    if (text === undefined) return undefined;
    const spec = parsePortSpec(text);
    if (typeof spec === 'string') {
      return r.fail(node, `"${where}" is not a valid port mapping: ${spec}.`, 'Write it as "8080:80", "127.0.0.1:8080:80" or "53:53/udp".');
    }
    return { ...spec, location };
  }
  // Long syntax: target, published, host_ip, protocol.
  const fields = new Map(r.entries(node).map((e) => [e.key, e.value]));
  const get = (key: string, phrase: string) => (fields.has(key) ? r.string(fields.get(key), `${where}.${key}`, phrase) : undefined);
  const target = get('target', 'a container port');
  if (target === undefined) {
    if (!fields.has('target')) r.fail(node, `"${where}" has no target: (the container port).`);
    return undefined;
  }
  const published = get('published', 'a host port or range');
  const hostIp = get('host_ip', 'an IP address');
  const protocol = get('protocol', 'tcp, udp or sctp');
  const spec = parsePortSpec(`${published === undefined ? '' : `${published}:`}${target}${protocol === undefined ? '' : `/${protocol}`}`);
  if (typeof spec === 'string') return r.fail(node, `"${where}" is not a valid port mapping: ${spec}.`);
  return { ...spec, ...(hostIp === undefined ? {} : { hostIp }), location };
}

const LONG_VOLUME_TYPES: Record<string, VolumeType> = { volume: 'named', bind: 'bind', tmpfs: 'tmpfs' };

function readVolume(r: Reader, node: PNode | undefined, where: string): ComposeService['volumes'][number] | undefined {
  const location = r.loc(node);
  if (!isMapNode(node)) {
    const text = r.string(node, where, 'a mount like "data:/var/lib/data" or "./conf:/etc/conf:ro"');
    if (text === undefined) return undefined;
    const spec = parseVolumeSpec(text);
    if (typeof spec === 'string') {
      const fromVariable = node?.kind === 'scalar' && node.written !== undefined;
      return r.fail(
        node,
        `"${where}" is not a valid volume mount: ${spec}.`,
        fromVariable && spec === 'one of its parts is empty'
          ? 'A variable in it is empty or unset. Compose v2 (and the spec) reject an empty part; v1 read an empty source as the project folder.'
          : 'Write it as "name:/path", "./dir:/path" or "./file:/path:ro".',
      );
    }
    return { ...spec, location };
  }
  const fields = new Map(r.entries(node).map((e) => [e.key, e.value]));
  const type = fields.has('type') ? r.string(fields.get('type'), `${where}.type`, 'volume, bind or tmpfs') : 'volume';
  const target = fields.has('target') ? r.string(fields.get('target'), `${where}.target`, 'a container path') : undefined;
  if (type === undefined || target === undefined) {
    if (!fields.has('target')) r.fail(node, `"${where}" has no target: (the path inside the container).`);
    return undefined;
  }
  const source = fields.has('source') ? r.string(fields.get('source'), `${where}.source`, 'a volume name or host path') : undefined;
  const readOnly = fields.has('read_only') ? (r.bool(fields.get('read_only'), `${where}.read_only`) ?? false) : false;
  let kind = LONG_VOLUME_TYPES[type] ?? 'other';
  if (kind === 'named' && source === undefined) kind = 'anonymous';
  return { type: kind, ...(source === undefined ? {} : { source }), target, readOnly, location };
}

/** `KEY: value` mappings and `["KEY=value", "KEY"]` lists alike; `value` undefined for a bare key. */
function readKeyValues(r: Reader, node: PNode | undefined, where: string, asWritten = false): { name: string; value?: string; location: SourceLocation }[] {
  if (isMapNode(node)) {
    return r.entries(node).map(({ key, keyLoc, value }) => {
      const checked = isEmpty(value) ? undefined : r.string(value, `${where}.${key}`, 'a string, number or boolean');
      const text = checked !== undefined && asWritten ? (writtenText(value) ?? checked) : checked;
      return { name: key, ...(text === undefined ? {} : { value: text }), location: keyLoc };
    });
  }
  const out: { name: string; value?: string; location: SourceLocation }[] = [];
  for (const [i, item] of (r.items(node, where, 'a mapping or a list of KEY=value') ?? []).entries()) {
    const checked = r.string(item, `${where}[${i}]`, 'a KEY=value string');
    if (checked === undefined) continue;
    const text = asWritten ? (writtenText(item) ?? checked) : checked;
    const eq = text.indexOf('=');
    out.push({ name: eq < 0 ? text : text.slice(0, eq), ...(eq < 0 ? {} : { value: text.slice(eq + 1) }), location: r.loc(item) });
  }
  return out;
}

function readEnvironment(r: Reader, node: PNode | undefined, where: string): ComposeService['environment'] {
  // Values are classified here and dropped: the model never holds them.
  return readKeyValues(r, node, where, true).map(({ name, value, location }) => ({ name, ...describeEnvValue(name, value), location }));
}

function readEnvFiles(r: Reader, node: PNode | undefined, where: string): ComposeService['envFiles'] {
  const items = isSeqNode(node) ? (r.items(node, where, 'a list of env files') ?? []) : [node];
  const out: ComposeService['envFiles'] = [];
  for (const [i, item] of items.entries()) {
    const at = isSeqNode(node) ? `${where}[${i}]` : where;
    if (!isMapNode(item)) {
      const file = r.string(item, at, 'an env file path');
      if (file !== undefined) out.push({ path: file, required: true, location: r.loc(item) });
      continue;
    }
    const fields = new Map(r.entries(item).map((e) => [e.key, e.value]));
    const file = fields.has('path') ? r.string(fields.get('path'), `${at}.path`, 'an env file path') : r.fail(item, `"${at}" has no path:.`);
    const required = fields.has('required') ? (r.bool(fields.get('required'), `${at}.required`) ?? true) : true;
    if (file !== undefined) out.push({ path: file, required, location: r.loc(item) });
  }
  return out;
}

function readHealthcheck(r: Reader, node: PNode | undefined, where: string): Healthcheck | undefined {
  const entries = r.map(node, where, 'a mapping with test:, interval:, …');
  if (entries === undefined) return undefined;
  const check: Healthcheck = { disabled: false, location: r.loc(node) };
  const durations = { interval: 'intervalMs', timeout: 'timeoutMs', start_period: 'startPeriodMs', start_interval: 'startIntervalMs' } as const;
  for (const { key, value } of entries) {
    const at = `${where}.${key}`;
    if (key === 'test') {
      const test = r.stringOrList(value, at, 'a command string or a list like ["CMD", "pg_isready"]');
      if (test !== undefined) check.test = typeof test === 'string' ? ['CMD-SHELL', test] : test;
    } else if (key === 'disable') {
      check.disabled = r.bool(value, at) ?? false;
    } else if (key === 'retries') {
      const retries = r.string(value, at, 'a whole number');
      if (retries !== undefined && /^\d+$/.test(retries)) check.retries = Number(retries);
      else if (retries !== undefined) r.expected(value, at, 'a whole number');
    } else if (key in durations) {
      const ms = r.durationMs(value, at);
      if (ms !== undefined) check[durations[key as keyof typeof durations]] = ms;
    }
  }
  if (check.test?.[0] === 'NONE') check.disabled = true;
  return check;
}

function readDependsOn(r: Reader, node: PNode | undefined, where: string): Dependency[] {
  if (!isMapNode(node)) {
    return (r.items(node, where, 'a list or mapping of services') ?? []).flatMap((item, i) => {
      const service = r.string(item, `${where}[${i}]`, 'a service name');
      return service === undefined ? [] : [{ service, condition: 'service_started' as const, restart: false, required: true, location: r.loc(item) }];
    });
  }
  return r.entries(node).map(({ key: service, keyLoc, value }) => {
    const dependency: Dependency = { service, condition: 'service_started', restart: false, required: true, location: keyLoc };
    for (const { key, value: v } of isEmpty(value) ? [] : (r.map(value, `${where}.${service}`, 'a mapping with condition:') ?? [])) {
      const at = `${where}.${service}.${key}`;
      if (key === 'condition') {
        const condition = r.string(v, at, CONDITIONS.join(', '));
        if (condition !== undefined && (CONDITIONS as readonly string[]).includes(condition)) dependency.condition = condition as DependencyCondition;
        else if (condition !== undefined) r.fail(v, `"${at}" must be one of ${CONDITIONS.join(', ')}, got "${condition}".`);
      } else if (key === 'restart' || key === 'required') {
        dependency[key] = r.bool(v, at) ?? dependency[key];
      }
    }
    return dependency;
  });
}

