// Reads compose files into a ComposeProject without Docker: YAML with positions, the fields
// shipproof needs, and the place each was written.
//
// Merging several files (`-f a.yaml -f b.yaml`) is simplified: a later file replaces a service's
// keys one by one, and a replaced key is replaced whole — ports, volumes, environment and other
// lists are not combined entry by entry as `docker compose` does. Interpolation references are
// collected from every file, including values a later file overrides.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type Scalar } from 'yaml';
import { parseDuration } from '../config/duration.js';
import { displayPath } from '../config/load.js';
import { nodePosition, parseYaml, throwIfErrors } from '../config/yaml-positions.js';
import type { AliasTable } from '../config/yaml-bounds.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import {
  describeEnvValue,
  findInterpolations,
  parsePortSpec,
  parseVolumeSpec,
  refHasDefault,
  refIsRequired,
  type ComposeProject,
  type ComposeService,
  type ComposeVolume,
  type Dependency,
  type DependencyCondition,
  type Healthcheck,
  type InterpolationVariable,
  type VolumeType,
} from './model.js';

export interface LoadComposeOptions {
  /** Paths in locations are shown relative to this folder. Default: process.cwd(). */
  cwd?: string;
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONDITIONS: readonly DependencyCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

/** Reads and merges compose files, in order. Throws ConfigError (with `more`) for every problem found. */
export async function loadCompose(files: string[], opts: LoadComposeOptions = {}): Promise<ComposeProject> {
  const cwd = opts.cwd ?? process.cwd();
  if (files.length === 0) throw new Error('loadCompose: no files given');
  const absolute = files.map((f) => path.resolve(cwd, f));
  const readers = await Promise.all(
    absolute.map(async (file) => new FileReader(displayPath(cwd, file), await readComposeText(file, cwd))),
  );

  const merged = new MergedFiles();
  for (const reader of readers) merged.add(reader);

  const project: ComposeProject = {
    files: absolute,
    projectDir: path.dirname(absolute[0] as string),
    ...(merged.name === undefined ? {} : { name: merged.name }),
    services: [...merged.services.values()].map((raw) => buildService(raw)),
    volumes: [...merged.volumes.values()],
    interpolation: collectInterpolation(readers),
    warnings: readers.flatMap((r) => r.warnings),
  };
  throwIfErrors([...readers.flatMap((r) => r.errors), ...crossCheck(project, readers)]);
  return project;
}

async function readComposeText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const shown = displayPath(cwd, file);
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `Compose file ${shown} does not exist.` : `Cannot read compose file ${shown} (${code}).`,
      { location: { file: shown }, cause: error },
    );
  }
}

interface Entry {
  key: string;
  keyNode: Node;
  value: unknown;
}

/** One compose file: its document, and the problems found while reading it. */
class FileReader {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  private readonly aliases: AliasTable;
  readonly errors: ConfigError[] = [];
  readonly warnings: { message: string; location: SourceLocation }[] = [];

  constructor(
    readonly file: string,
    text: string,
  ) {
    ({ doc: this.doc, lineCounter: this.lineCounter, aliases: this.aliases } = parseYaml(text, file));
  }

  loc(node: unknown): SourceLocation {
    const range = (node as { range?: readonly number[] } | null)?.range;
    return range === undefined ? { file: this.file, line: 1, column: 1 } : { file: this.file, ...nodePosition({ range }, this.lineCounter) };
  }

  fail(node: unknown, message: string, hint?: string): undefined {
    this.errors.push(new ConfigError(message, { location: this.loc(node), hint }));
    return undefined;
  }

  /** `"where" must be <phrase>, got a list.` — the value itself is never echoed: it may be a secret. */
  expected(node: unknown, where: string, phrase: string): undefined {
    return this.fail(node, `"${where}" must be ${phrase}, got ${shapeOf(this.deref(node))}.`);
  }

  deref(node: unknown): unknown {
    return isAlias(node) ? this.aliases.resolve(node) : node;
  }

  /** Keys of a mapping, with `<<` merge keys expanded (explicit keys win, as in YAML). */
  entries(node: unknown): Entry[] {
    const map = this.deref(node);
    if (!isMap(map)) return [];
    const own: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of map.items) {
      if (isScalar(pair.key) && (pair.key.source === '<<' || pair.key.value === '<<')) {
        const sources = this.deref(pair.value);
        for (const source of isSeq(sources) ? sources.items : [sources]) merged.push(...this.entries(source));
        continue;
      }
      own.push({ key: scalarText(pair.key) ?? '', keyNode: pair.key as Node, value: pair.value });
    }
    const seen = new Set(own.map((e) => e.key));
    for (const entry of merged) {
      if (!seen.has(entry.key)) own.push(entry);
      seen.add(entry.key);
    }
    return own;
  }

  map(node: unknown, where: string, phrase: string): Entry[] | undefined {
    return isMap(this.deref(node)) ? this.entries(node) : this.expected(node, where, phrase);
  }

  items(node: unknown, where: string, phrase: string): unknown[] | undefined {
    const seq = this.deref(node);
    return isSeq(seq) ? seq.items.map((item) => this.deref(item)) : this.expected(node, where, phrase);
  }

  string(node: unknown, where: string, phrase: string): string | undefined {
    const text = scalarText(this.deref(node));
    return text ?? this.expected(node, where, phrase);
  }

  strings(node: unknown, where: string, phrase: string): string[] | undefined {
    const items = this.items(node, where, phrase);
    if (items === undefined) return undefined;
    const out: string[] = [];
    for (const [i, item] of items.entries()) {
      const text = this.string(item, `${where}[${i}]`, 'a string');
      if (text !== undefined) out.push(text);
    }
    return out;
  }

  stringOrList(node: unknown, where: string, phrase: string): string | string[] | undefined {
    return isSeq(this.deref(node)) ? this.strings(node, where, phrase) : this.string(node, where, phrase);
  }

  bool(node: unknown, where: string): boolean | undefined {
    const value = this.deref(node);
    return isScalar(value) && typeof value.value === 'boolean' ? value.value : this.expected(node, where, 'true or false');
  }

  durationMs(node: unknown, where: string): number | undefined {
    const text = this.string(node, where, 'a duration like "10s" or "1m30s"');
    if (text === undefined) return undefined;
    return parseDuration(text) ?? this.expected(node, where, 'a duration like "10s" or "1m30s"');
  }
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function shapeOf(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isEmpty(node)) return 'nothing';
  const value = (node as Scalar).value;
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : `${String(value)}`;
}

interface FieldEntry extends Entry {
  reader: FileReader;
}

interface RawService {
  name: string;
  location: SourceLocation;
  fields: Map<string, FieldEntry>;
}

/** The files folded into one: services field by field, volumes by name, later files winning. */
class MergedFiles {
  name: string | undefined;
  readonly services = new Map<string, RawService>();
  readonly volumes = new Map<string, ComposeVolume>();

  add(reader: FileReader): void {
    const root = reader.deref(reader.doc.contents);
    if (isEmpty(root)) return;
    const top = reader.map(root, path.basename(reader.file), 'a mapping with services:');
    for (const entry of top ?? []) {
      if (entry.key === 'services') this.addServices(reader, entry.value);
      else if (entry.key === 'volumes') this.addVolumes(reader, entry.value);
      else if (entry.key === 'name') this.name = reader.string(entry.value, 'name', 'a project name') ?? this.name;
      else if (entry.key === 'include') {
        reader.warnings.push({
          message: '`include:` is not followed by shipproof; list those files under `compose:` in shipproof.yaml instead.',
          location: reader.loc(entry.keyNode),
        });
      }
    }
  }

  private addServices(reader: FileReader, node: unknown): void {
    if (isEmpty(node)) return;
    for (const { key: name, keyNode, value } of reader.map(node, 'services', 'a mapping of service names to services') ?? []) {
      if (!SERVICE_NAME.test(name)) {
        reader.fail(keyNode, `The service name "${name}" is not valid.`, 'Use letters, digits, ".", "-" and "_", starting with a letter or digit.');
      }
      let raw = this.services.get(name);
      if (raw === undefined) {
        raw = { name, location: reader.loc(keyNode), fields: new Map() };
        this.services.set(name, raw);
      }
      if (isEmpty(value)) continue;
      for (const field of reader.map(value, `services.${name}`, 'a mapping of service settings') ?? []) {
        raw.fields.set(field.key, { ...field, reader });
      }
    }
  }

  private addVolumes(reader: FileReader, node: unknown): void {
    if (isEmpty(node)) return;
    for (const { key: name, keyNode, value } of reader.map(node, 'volumes', 'a mapping of volume names') ?? []) {
      const volume: ComposeVolume = { name, external: false, location: reader.loc(keyNode) };
      for (const { key, value: v } of isEmpty(value) ? [] : (reader.map(value, `volumes.${name}`, 'a mapping') ?? [])) {
        const where = `volumes.${name}.${key}`;
        if (key === 'external') {
          // `external: { name: x }` is the old spelling of `external: true` plus `name: x`.
          const legacy = isMap(reader.deref(v)) ? reader.entries(v).find((e) => e.key === 'name') : undefined;
          volume.external = legacy !== undefined || (reader.bool(v, where) ?? false);
          const legacyName = legacy === undefined ? undefined : reader.string(legacy.value, `${where}.name`, 'a volume name');
          if (legacyName !== undefined) volume.externalName = legacyName;
        } else if (key === 'name') {
          const text = reader.string(v, where, 'a volume name');
          if (text !== undefined) volume.externalName = text;
        } else if (key === 'driver') {
          const text = reader.string(v, where, 'a driver name');
          if (text !== undefined) volume.driver = text;
        }
      }
      this.volumes.set(name, volume);
    }
  }
}

function buildService(raw: RawService): ComposeService {
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
  for (const [field, entry] of raw.fields) {
    service.fieldLocations[field] = entry.reader.loc(entry.keyNode);
    if (isEmpty(entry.reader.deref(entry.value))) continue;
    readField(service, field, entry);
  }
  return service;
}

function readField(service: ComposeService, field: string, entry: FieldEntry): void {
  const r = entry.reader;
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
      service.networks = isMap(r.deref(node)) ? r.entries(node).map((e) => e.key) : (r.strings(node, where, 'a list or mapping of networks') ?? []);
      return;
    case 'profiles':
      service.profiles = r.strings(node, where, 'a list of profile names') ?? [];
      return;
    case 'extends':
      r.warnings.push({
        message: `\`extends:\` of service "${service.name}" is not followed by shipproof; its inherited settings are not checked.`,
        location: r.loc(entry.keyNode),
      });
      return;
    default:
      return;
  }
}

function readBuild(r: FileReader, node: unknown, where: string): ComposeService['build'] {
  const location = r.loc(node);
  if (!isMap(r.deref(node))) {
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

function readPort(r: FileReader, node: unknown, where: string): ComposeService['ports'][number] | undefined {
  const location = r.loc(node);
  if (!isMap(r.deref(node))) {
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

function readVolume(r: FileReader, node: unknown, where: string): ComposeService['volumes'][number] | undefined {
  const location = r.loc(node);
  if (!isMap(r.deref(node))) {
    const text = r.string(node, where, 'a mount like "data:/var/lib/data" or "./conf:/etc/conf:ro"');
    if (text === undefined) return undefined;
    const spec = parseVolumeSpec(text);
    if (typeof spec === 'string') {
      return r.fail(node, `"${where}" is not a valid volume mount: ${spec}.`, 'Write it as "name:/path", "./dir:/path" or "./file:/path:ro".');
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
function readKeyValues(r: FileReader, node: unknown, where: string): { name: string; value?: string; location: SourceLocation }[] {
  if (isMap(r.deref(node))) {
    return r.entries(node).map(({ key, keyNode, value }) => {
      const v = r.deref(value);
      const text = isEmpty(v) ? undefined : r.string(v, `${where}.${key}`, 'a string, number or boolean');
      return { name: key, ...(text === undefined ? {} : { value: text }), location: r.loc(keyNode) };
    });
  }
  const out: { name: string; value?: string; location: SourceLocation }[] = [];
  for (const [i, item] of (r.items(node, where, 'a mapping or a list of KEY=value') ?? []).entries()) {
    const text = r.string(item, `${where}[${i}]`, 'a KEY=value string');
    if (text === undefined) continue;
    const eq = text.indexOf('=');
    out.push({ name: eq < 0 ? text : text.slice(0, eq), ...(eq < 0 ? {} : { value: text.slice(eq + 1) }), location: r.loc(item) });
  }
  return out;
}

function readEnvironment(r: FileReader, node: unknown, where: string): ComposeService['environment'] {
  // Values are classified here and dropped: the model never holds them.
  return readKeyValues(r, node, where).map(({ name, value, location }) => ({ name, ...describeEnvValue(name, value), location }));
}

function readEnvFiles(r: FileReader, node: unknown, where: string): ComposeService['envFiles'] {
  const items = isSeq(r.deref(node)) ? (r.items(node, where, 'a list of env files') ?? []) : [r.deref(node)];
  const out: ComposeService['envFiles'] = [];
  for (const [i, item] of items.entries()) {
    const at = isSeq(r.deref(node)) ? `${where}[${i}]` : where;
    if (!isMap(item)) {
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

function readHealthcheck(r: FileReader, node: unknown, where: string): Healthcheck | undefined {
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

function readDependsOn(r: FileReader, node: unknown, where: string): Dependency[] {
  if (!isMap(r.deref(node))) {
    return (r.items(node, where, 'a list or mapping of services') ?? []).flatMap((item, i) => {
      const service = r.string(item, `${where}[${i}]`, 'a service name');
      return service === undefined ? [] : [{ service, condition: 'service_started' as const, restart: false, required: true, location: r.loc(item) }];
    });
  }
  return r.entries(node).map(({ key: service, keyNode, value }) => {
    const dependency: Dependency = { service, condition: 'service_started', restart: false, required: true, location: r.loc(keyNode) };
    for (const { key, value: v } of isEmpty(r.deref(value)) ? [] : (r.map(value, `${where}.${service}`, 'a mapping with condition:') ?? [])) {
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

/** One entry per variable; locations point at the `$` when the scalar is written on one line. */
function collectInterpolation(readers: readonly FileReader[]): InterpolationVariable[] {
  const byName = new Map<string, InterpolationVariable>();
  for (const reader of readers) {
    visit(reader.doc, {
      Scalar(key, node) {
        if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
        for (const ref of findInterpolations(node.value)) {
          const variable = byName.get(ref.name) ?? { name: ref.name, hasDefault: true, required: false, locations: [] };
          variable.hasDefault &&= refHasDefault(ref);
          variable.required ||= refIsRequired(ref);
          variable.locations.push(refLocation(reader, node, ref.index));
          byName.set(ref.name, variable);
        }
      },
    });
  }
  return [...byName.values()];
}

function refLocation(reader: FileReader, node: Scalar, index: number): SourceLocation {
  const start = node.range?.[0] ?? 0;
  // Plain and single-quoted scalars on one line map character for character onto the source.
  const shift = node.type === 'PLAIN' ? 0 : node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : undefined;
  const line = reader.lineCounter.linePos(start).line;
  if (shift !== undefined && reader.lineCounter.linePos(start + shift + index).line === line) {
    return { file: reader.file, ...nodePosition({ range: [start + shift + index] }, reader.lineCounter) };
  }
  return reader.loc(node);
}

/** Problems `docker compose` itself would reject: undeclared volumes, unknown dependencies, no services. */
function crossCheck(project: ComposeProject, readers: readonly FileReader[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const first = readers[0] as FileReader;
  if (project.services.length === 0) {
    errors.push(
      new ConfigError(`${path.basename(first.file)} defines no services.`, {
        location: first.loc(first.doc.contents),
        hint: 'A compose file needs a services: mapping with at least one service.',
      }),
    );
  }
  const volumeNames = new Set(project.volumes.map((v) => v.name));
  const serviceNames = new Set(project.services.map((s) => s.name));
  for (const service of project.services) {
    for (const mount of service.volumes) {
      if (mount.type === 'named' && mount.source !== undefined && !mount.source.includes('$') && !volumeNames.has(mount.source)) {
        errors.push(
          new ConfigError(`Service "${service.name}" mounts the volume "${mount.source}", which is not declared under the top-level volumes:.`, {
            location: mount.location,
            hint: `Add "volumes: { ${mount.source}: {} }" at the top level, or write "./${mount.source}" for a folder next to the compose file.`,
          }),
        );
      }
    }
    for (const dependency of service.dependsOn) {
      if (!serviceNames.has(dependency.service)) {
        errors.push(
          new ConfigError(`Service "${service.name}" depends on "${dependency.service}", which is not a service.`, {
            location: dependency.location,
            hint: `Services: ${[...serviceNames].join(', ')}.`,
          }),
        );
      }
    }
  }
  return errors;
}
