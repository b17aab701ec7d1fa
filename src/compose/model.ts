// What shipproof knows about a compose project, read without Docker. Every part carries the place
// it was written (file, line, column) so linters and errors can point at it. Environment values
// are never kept: only names, whether a value is written, and whether it looks like a secret.
import type { SourceLocation } from '../errors.js';
import { classifyKeyName, findPatternMatches } from '../redact/index.js';
import { isNonSecretValue } from './secret-values.js';

export interface ComposeProject {
  /** Absolute paths, in the order they were merged. */
  files: string[];
  /** Folder of the first file: compose resolves relative paths from here. */
  projectDir: string;
  /** Top-level `name:`, when set. */
  name?: string;
  /** The name Compose gives the project (COMPOSE_PROJECT_NAME, `name:`, or the folder), normalised. */
  projectName?: string;
  /** In the order they first appear. */
  services: ComposeService[];
  /** Top-level named volumes. */
  volumes: ComposeVolume[];
  /** Top-level networks (Compose's implicit `default` is not listed unless written). */
  networks: ComposeNetwork[];
  /** `${VAR}` / `$VAR` references anywhere in the files, one entry per variable name. */
  interpolation: InterpolationVariable[];
  /** Things worth knowing that are not errors (e.g. a feature Compose v1 cannot read). */
  warnings: { message: string; location: SourceLocation }[];
}

export interface ComposeService {
  name: string;
  /** The service's key under `services:`. */
  location: SourceLocation;
  /** Where each key of the service (image, ports, …) is written, by key. */
  fieldLocations: Partial<Record<string, SourceLocation>>;
  image?: string;
  build?: ComposeBuild;
  /** As written: a string is run by the image's shell form rules, a list is argv. */
  command?: string | string[];
  entrypoint?: string | string[];
  ports: PortMapping[];
  expose: { port: string; location: SourceLocation }[];
  volumes: VolumeMount[];
  environment: EnvironmentEntry[];
  envFiles: EnvFileRef[];
  healthcheck?: Healthcheck;
  labels: Label[];
  dependsOn: Dependency[];
  restart?: string;
  /** The networks the service joins, as written under its `networks:`. */
  networks: ServiceNetwork[];
  /** `network_mode:` (host, none, service:x, container:x), when set. */
  networkMode?: string;
  profiles: string[];
}

export interface ComposeBuild {
  /** As written, relative to the project folder. Default ".". */
  context: string;
  dockerfile?: string;
  target?: string;
  location: SourceLocation;
}

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  /** Container port (first of a range). */
  target: number;
  /** Last container port of a range. */
  targetEnd?: number;
  /** Host port; undefined when Docker picks one. An interpolated port holds its `:-` default, if any. */
  published?: number;
  publishedEnd?: number;
  protocol: Protocol;
  /** Host address the port binds to; undefined means all addresses. */
  hostIp?: string;
  /** True when part of the mapping came from `${…}`, so the numbers are a guess. */
  interpolated: boolean;
  location: SourceLocation;
}

export type VolumeType = 'named' | 'anonymous' | 'bind' | 'tmpfs' | 'other';

export interface VolumeMount {
  type: VolumeType;
  /** Volume name (named) or host path as written (bind); undefined for anonymous and tmpfs. */
  source?: string;
  target: string;
  readOnly: boolean;
  location: SourceLocation;
}

export interface EnvironmentEntry {
  name: string;
  /** A value is written in the compose file (literal or `${…}`); false for a bare name passed through. */
  hasValue: boolean;
  /** The written value holds text beyond `${…}` references. */
  hasLiteralValue: boolean;
  /** A literal value that looks like a secret: a secret-sounding name, or credentials inside a URL. */
  looksLikeSecret: boolean;
  location: SourceLocation;
}

export interface EnvFileRef {
  /** As written, relative to the project folder. */
  path: string;
  /** Compose fails when a required file is missing. Default true. */
  required: boolean;
  location: SourceLocation;
}

export interface Healthcheck {
  /** e.g. ["CMD", "pg_isready"] or ["CMD-SHELL", "curl -f http://localhost/"]; a string is stored as CMD-SHELL. */
  test?: string[];
  /** `disable: true` or `test: ["NONE"]`. */
  disabled: boolean;
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
  retries?: number;
  location: SourceLocation;
}

export interface Label {
  name: string;
  value: string;
  location: SourceLocation;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  service: string;
  condition: DependencyCondition;
  /** Compose: restart this service when the dependency is updated. */
  restart: boolean;
  /** Compose: a missing optional dependency is only a warning. Default true. */
  required: boolean;
  location: SourceLocation;
}

/** An entry of the top-level `volumes:` or `networks:`. */
export interface ComposeResource {
  /** The key under `volumes:` / `networks:`. */
  name: string;
  external: boolean;
  /** `name:` inside the entry (or `external: { name: }`), when the real Docker name differs. */
  externalName?: string;
  driver?: string;
  location: SourceLocation;
}

export type ComposeVolume = ComposeResource;
export type ComposeNetwork = ComposeResource;

export interface ServiceNetwork {
  /** The key of a top-level network, or `default`. */
  name: string;
  aliases: string[];
  location: SourceLocation;
}

export interface InterpolationVariable {
  name: string;
  /** Every reference gives a default (`${X:-d}` or `${X-d}`), so the variable may stay unset. */
  hasDefault: boolean;
  /** Some reference demands a value (`${X:?msg}` or `${X?msg}`). */
  required: boolean;
  locations: SourceLocation[];
}

// ---- parsers for compose's short syntaxes (pure, no YAML) ----

export type InterpolationOperator = '' | ':-' | '-' | ':?' | '?' | ':+' | '+';

export interface InterpolationRef {
  name: string;
  operator: InterpolationOperator;
  /** Offset of the `$` in the scanned text. */
  index: number;
  /** Offset just past the reference. */
  end: number;
  /** The text after the operator (`${X:-this}`), still uninterpolated. */
  argument?: string;
}

const NAME_START = /[A-Za-z_]/;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const OPERATOR = /:?[-?+]/y;

/** Every `${VAR…}` and `$VAR` in `text`, nested ones in defaults included; `$$` is a literal `$`. */
export function findInterpolations(text: string): InterpolationRef[] {
  return scanInterpolations(text, 0, true);
}

function scanInterpolations(text: string, offset: number, nested: boolean): InterpolationRef[] {
  const refs: InterpolationRef[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') {
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next !== '{') {
      NAME.lastIndex = i + 1;
      const bare = next !== undefined && NAME_START.test(next) ? NAME.exec(text) : null;
      if (bare !== null) refs.push({ name: bare[0], operator: '', index: offset + i, end: offset + NAME.lastIndex });
      i = bare === null ? i + 1 : NAME.lastIndex;
      continue;
    }
    NAME.lastIndex = i + 2;
    const name = NAME.exec(text);
    const close = matchingBrace(text, i + 1);
    if (name === null || close < 0) {
      i += 2;
      continue;
    }
    OPERATOR.lastIndex = NAME.lastIndex;
    const operator = (OPERATOR.exec(text)?.[0] ?? '') as InterpolationOperator;
    const argStart = NAME.lastIndex + operator.length;
    if (operator === '' && argStart !== close) {
      i += 2; // `${A B}` is not an interpolation compose accepts; leave it alone.
      continue;
    }
    const argument = operator === '' ? undefined : text.slice(argStart, close);
    refs.push({ name: name[0], operator, index: offset + i, end: offset + close + 1, ...(argument === undefined ? {} : { argument }) });
    if (nested && argument !== undefined) refs.push(...scanInterpolations(argument, offset + argStart, true));
    i = close + 1;
  }
  return refs;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${`; -1 when unclosed. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

export function refHasDefault(ref: InterpolationRef): boolean {
  return ref.operator !== '' && ref.operator !== ':?' && ref.operator !== '?';
}

export function refIsRequired(ref: InterpolationRef): boolean {
  return ref.operator === ':?' || ref.operator === '?';
}

/** `text` with each outermost reference replaced by `replace(ref)`, and `$$` unescaped. */
export function replaceInterpolations(text: string, replace: (ref: InterpolationRef) => string): string {
  let out = '';
  let last = 0;
  for (const ref of scanInterpolations(text, 0, false)) {
    out += text.slice(last, ref.index).replace(/\$\$/g, '$') + replace(ref);
    last = ref.end;
  }
  return out + text.slice(last).replace(/\$\$/g, '$');
}

/**
 * Replaces each reference by its `:-` default, as if no variable were set; `unresolved` says some
 * reference had none. Used only to read ports and volume kinds, never for values.
 */
export function substituteDefaults(text: string): { text: string; unresolved: boolean } {
  let unresolved = false;
  const out = replaceInterpolations(text, (ref) => {
    if (ref.operator === ':-' || ref.operator === '-') {
      const inner = substituteDefaults(ref.argument ?? '');
      unresolved ||= inner.unresolved;
      return inner.text;
    }
    if (ref.operator !== ':+' && ref.operator !== '+') unresolved = true;
    return '';
  });
  return { text: out, unresolved };
}

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

export type PortSpec = Omit<PortMapping, 'location'>;

/**
 * Reads compose's short port syntax: "3000", "8080:80", "127.0.0.1:8080:80", "[::1]:53:53/udp",
 * "9090-9091:8080-8081". A string result says what is wrong.
 */
export function parsePortSpec(raw: string): PortSpec | string {
  const { text, unresolved } = substituteDefaults(raw.trim());
  const slash = text.lastIndexOf('/');
  const protocol = slash < 0 ? 'tcp' : text.slice(slash + 1).toLowerCase();
  if (!PROTOCOLS.includes(protocol as Protocol)) return `the protocol "${protocol}" is not tcp, udp or sctp`;
  let rest = slash < 0 ? text : text.slice(0, slash);

  let hostIp: string | undefined;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (bracketed !== null) {
    hostIp = bracketed[1];
    rest = bracketed[2] as string;
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length > 3) {
    // An unbracketed IPv6 address: the last two parts are the ports.
    hostIp = parts.slice(0, -2).join(':');
    parts.splice(0, parts.length - 2);
  } else if (hostIp === undefined && parts.length === 3) {
    hostIp = parts.shift();
  }
  if (hostIp === undefined && parts.length === 3) return 'it has too many parts';
  const targetText = parts.pop() as string;
  const publishedText = parts.pop();
  if (parts.length > 0) return 'it has too many parts';

  const target = parseRange(targetText);
  if (target === undefined) {
    return unresolved ? 'the container port comes from a variable without a default' : `"${targetText}" is not a port or range`;
  }
  const published = publishedText === undefined || publishedText === '' ? undefined : parseRange(publishedText);
  if (publishedText !== undefined && publishedText !== '' && published === undefined && !unresolved) {
    return `"${publishedText}" is not a port or range`;
  }
  return {
    target: target[0],
    ...(target[1] === target[0] ? {} : { targetEnd: target[1] }),
    ...(published === undefined ? {} : { published: published[0] }),
    ...(published === undefined || published[1] === published[0] ? {} : { publishedEnd: published[1] }),
    protocol: protocol as Protocol,
    ...(hostIp === undefined || hostIp === '' ? {} : { hostIp }),
    interpolated: raw.includes('$'),
  };
}

function parseRange(text: string): [number, number] | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  return first >= 1 && last <= 65535 && first <= last ? [first, last] : undefined;
}

export type VolumeSpec = Omit<VolumeMount, 'location'>;

/** Reads compose's short volume syntax: "data:/var/lib/x", "./conf:/etc/x:ro", "/cache". */
export function parseVolumeSpec(raw: string): VolumeSpec | string {
  const parts = splitOutsideBraces(raw, ':');
  if (parts.length > 3) return 'it has too many ":"-separated parts';
  if (parts.some((part) => part === '')) return 'one of its parts is empty';
  if (parts.length === 1) return { type: 'anonymous', target: raw, readOnly: false };
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!target.startsWith('/') && !target.startsWith('$')) return `the container path "${target}" is not absolute`;
  const readOnly = mode?.split(',').includes('ro') ?? false;
  // Compose's rule: a source that looks like a path is a bind mount, anything else names a volume.
  const resolved = substituteDefaults(source).text;
  const isPath = /^[./~]/.test(resolved) || source.startsWith('$');
  return { type: isPath ? 'bind' : 'named', source, target, readOnly };
}

/** Splits on `separator`, except inside `${…}` (whose `:-` would otherwise split). */
function splitOutsideBraces(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') depth++;
    else if (text[i] === '}' && depth > 0) depth--;
    else if (text[i] === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Classifies an environment value without keeping it. `value` undefined means a bare name.
 * The literal part is what remains after `${…}` references are removed.
 */
export function describeEnvValue(
  name: string,
  value: string | undefined,
): Pick<EnvironmentEntry, 'hasValue' | 'hasLiteralValue' | 'looksLikeSecret'> {
  if (value === undefined) return { hasValue: false, hasLiteralValue: false, looksLikeSecret: false };
  const literal = replaceInterpolations(value, () => '');
  const hasLiteralValue = literal.trim() !== '';
  // A secret-sounding name with any literal value, or a value shaped like a credential (a password
  // inside a URL, a token), by the same rules the redactor uses.
  // A path to a secret file or an auth mechanism's name sits where secrets sit but is not one.
  const looksLikeSecret = hasLiteralValue && !isNonSecretValue(literal) && (classifyKeyName(name).secret || findPatternMatches(literal).length > 0);
  return { hasValue: true, hasLiteralValue, looksLikeSecret };
}
