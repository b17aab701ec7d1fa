// Pure builders for the host and docker commands behind backups and rehearsals. Argv arrays
// only; paths and names travel as positional parameters or argv elements, never spliced into a
// script. Unit-tested by exact comparison (test/unit/backup-commands.test.ts).
import { shellJoin } from '../shell/quote.js';

/** The marker line a pipeline prints on stderr with each stage's exit code. */
export const STAGES_MARKER = 'SHIPPROOF-STAGES ';

/** Creates the backups folder (and parents) and makes it private; fails when it is not writable. */
export function prepareBackupsDirCommand(dir: string): string[] {
  return ['sh', '-c', 'umask 077 && mkdir -p -- "$1" && chmod 700 -- "$1" && test -w "$1"', 'shipproof-backups-dir', dir];
}

export interface PipelineOptions {
  /** Decompress this file (gzip) into the first stage's stdin. */
  feedFrom?: string;
  /** Decompress stdin (gzip) into the first stage's stdin. */
  feedStdin?: boolean;
  /** gzip the last stage's output at this level. */
  gzipLevel?: number;
  /** Also write the (compressed) output to this file, mode 0600, and sync it. */
  teeTo?: string;
}

/**
 * One bash pipeline with every stage's exit code checked: `pipefail`, and the codes printed on
 * stderr as `SHIPPROOF-STAGES <code> <code> …` so the caller can say which stage failed. The
 * stages are argv arrays joined by shellJoin; file paths are positional parameters.
 */
export function pipelineCommand(stages: readonly (readonly string[])[], o: PipelineOptions = {}): string[] {
  if (stages.length === 0) throw new Error('pipelineCommand: no stages');
  if (o.feedFrom !== undefined && o.feedStdin) throw new Error('pipelineCommand: feedFrom and feedStdin together');
  const args: string[] = [];
  const parts: string[] = [];
  if (o.feedFrom !== undefined) {
    args.push(o.feedFrom);
    parts.push(`gzip -dc -- "$${args.length}"`);
  } else if (o.feedStdin) {
    parts.push('gzip -dc');
  }
  parts.push(...stages.map((s) => shellJoin(s)));
  if (o.gzipLevel !== undefined) {
    if (!Number.isInteger(o.gzipLevel) || o.gzipLevel < 1 || o.gzipLevel > 9) throw new RangeError(`gzip level ${o.gzipLevel}`);
    parts.push(`gzip -c -n -${o.gzipLevel}`);
  }
  let tail = '';
  if (o.teeTo !== undefined) {
    args.push(o.teeTo);
    parts.push(`tee -- "$${args.length}"`);
    tail = `; sync -- "$${args.length}" 2>/dev/null || sync`;
  }
  const script = [
    'set -u',
    'umask 077',
    parts.join(' | '),
    's=("${PIPESTATUS[@]}")',
    `printf '${STAGES_MARKER}%s\\n' "\${s[*]}" >&2`,
    'for c in "${s[@]}"; do [ "$c" -eq 0 ] || exit "$c"; done' + tail,
  ].join('\n');
  return ['bash', '-c', script, 'shipproof-pipeline', ...args];
}

/** Names of a pipeline's stages, in order, for error messages. */
export function pipelineStageNames(stageNames: readonly string[], o: PipelineOptions = {}): string[] {
  return [
    ...(o.feedFrom !== undefined || o.feedStdin ? ['gunzip'] : []),
    ...stageNames,
    ...(o.gzipLevel !== undefined ? ['gzip'] : []),
    ...(o.teeTo !== undefined ? ['write'] : []),
  ];
}

/** The exit codes from a `SHIPPROOF-STAGES` marker line, or undefined. */
export function parseStagesMarker(line: string): number[] | undefined {
  if (!line.startsWith(STAGES_MARKER)) return undefined;
  const codes = line.slice(STAGES_MARKER.length).trim().split(/\s+/).map(Number);
  return codes.every((c) => Number.isInteger(c)) ? codes : undefined;
}

/** sha256 of a file on the host, as `sha256sum` prints it. */
export function sha256Command(path: string): string[] {
  return ['sha256sum', '--', path];
}

export function parseSha256Output(stdout: string): string | undefined {
  const m = /^([0-9a-f]{64})\s/.exec(stdout.trim() + ' ');
  return m?.[1];
}

/** Moves a finished `.partial` into place; refuses to replace an existing file. */
export function finalizeCommand(partial: string, final: string): string[] {
  return ['sh', '-c', 'set -e; test ! -e "$2" || { echo "$2 exists already" >&2; exit 17; }; chmod 600 -- "$1"; mv -- "$1" "$2"; sync -- "$2" 2>/dev/null || sync', 'shipproof-finalize', partial, final];
}

/** Removes files (ignoring missing ones) inside `dir`. */
export function removeFilesCommand(dir: string, names: readonly string[]): string[] {
  if (names.some((n) => n === '' || n.includes('/') || n === '.' || n === '..')) throw new Error('removeFilesCommand: names must be plain file names');
  return ['sh', '-c', 'cd -- "$1" && shift && rm -f -- "$@"', 'shipproof-remove', dir, ...names];
}

/** Marker printed when the backups folder does not exist. */
export const NO_DIR_MARKER = 'SHIPPROOF-NO-DIR';

/**
 * Lists a backups folder in one round trip: `F <bytes> <name>` for every file, then
 * `J <name> <json>` for every JSON record shipproof keeps there (each on one line).
 */
export function listBackupsCommand(dir: string): string[] {
  return [
    'sh',
    '-c',
    [
      `cd -- "$1" 2>/dev/null || { echo ${NO_DIR_MARKER}; exit 0; }`,
      'for f in *; do [ -f "$f" ] || continue; printf \'F\\t%s\\t%s\\n\' "$(stat -c %s -- "$f")" "$f"; done',
      'for f in *.json; do [ -f "$f" ] || continue; printf \'J\\t%s\\t\' "$f"; tr -d \'\\n\' < "$f"; printf \'\\n\'; done',
    ].join('\n'),
    'shipproof-list',
    dir,
  ];
}

// ---- docker ----

export function dockerExecCommand(container: string, argv: readonly string[], o: { interactive?: boolean } = {}): string[] {
  return ['docker', 'exec', ...(o.interactive ? ['-i'] : []), container, ...argv];
}

export interface VolumeMountSpec {
  /** Docker volume name, or with `bind` an absolute folder on the host. */
  volume: string;
  target: string;
  readOnly?: boolean;
  /** A bind mount of a host folder (the `files` engine) instead of a named volume. */
  bind?: boolean;
}

export interface HelperRunOptions {
  image: string;
  argv: readonly string[];
  /** Keep stdin open (the command reads from it). */
  interactive?: boolean;
  name?: string;
  labels?: Record<string, string>;
  /** A network name, or "none". Default "none". */
  network?: string;
  mounts?: readonly VolumeMountSpec[];
  env?: readonly string[];
  user?: string;
  entrypoint?: string;
}

/** A one-shot helper container, removed when it exits. */
export function helperRunCommand(o: HelperRunOptions): string[] {
  return ['docker', 'run', '--rm', ...runFlags(o), o.image, ...o.argv];
}

export interface ServerRunOptions extends Omit<HelperRunOptions, 'argv' | 'interactive'> {
  name: string;
  argv?: readonly string[];
}

/** A detached scratch server (removed by the caller). */
export function serverRunCommand(o: ServerRunOptions): string[] {
  return ['docker', 'run', '--detach', ...runFlags(o), o.image, ...(o.argv ?? [])];
}

function runFlags(o: Omit<HelperRunOptions, 'argv' | 'image'>): string[] {
  const flags: string[] = [];
  if (o.interactive) flags.push('-i');
  if (o.name !== undefined) flags.push('--name', o.name);
  for (const [k, v] of Object.entries(o.labels ?? {})) flags.push('--label', `${k}=${v}`);
  flags.push('--network', o.network ?? 'none');
  for (const m of o.mounts ?? []) {
    if (m.volume.includes(',') || m.target.includes(',')) throw new Error('volume mounts with "," are not supported');
    flags.push('--mount', `type=${m.bind ? 'bind' : 'volume'},source=${m.volume},target=${m.target}${m.readOnly ? ',readonly' : ''}`);
  }
  for (const e of o.env ?? []) flags.push('--env', e);
  if (o.user !== undefined) flags.push('--user', o.user);
  if (o.entrypoint !== undefined) flags.push('--entrypoint', o.entrypoint);
  return flags;
}

export function labelFlags(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

export function networkCreateCommand(name: string, labels: Record<string, string>): string[] {
  return ['docker', 'network', 'create', '--internal', ...labelFlags(labels), name];
}

export function volumeCreateCommand(name: string, labels: Record<string, string>): string[] {
  return ['docker', 'volume', 'create', ...labelFlags(labels), name];
}

/** Removes containers and their anonymous volumes. */
export function removeContainersCommand(ids: readonly string[]): string[] {
  return ['docker', 'rm', '--force', '--volumes', ...ids];
}

export function removeNetworksCommand(names: readonly string[]): string[] {
  return ['docker', 'network', 'rm', ...names];
}

export function removeVolumesCommand(names: readonly string[]): string[] {
  return ['docker', 'volume', 'rm', '--force', ...names];
}

/** Containers, volumes and networks carrying a label (`key` or `key=value`), one per line: `<kind> <id-or-name>`. */
export function labelledResourcesCommand(label: string): string[] {
  return [
    'sh',
    '-c',
    [
      'docker ps --all --quiet --no-trunc --filter "label=$1" | sed "s/^/container /"',
      'docker volume ls --quiet --filter "label=$1" | sed "s/^/volume /"',
      'docker network ls --quiet --no-trunc --filter "label=$1" | sed "s/^/network /"',
    ].join('\n'),
    'shipproof-labelled',
    label,
  ];
}

export function containerMountsCommand(container: string): string[] {
  return ['docker', 'container', 'inspect', '--format', '{{json .Mounts}}', container];
}

/** Without a timeout, each container's own stop timeout applies (compose's stop_grace_period). */
export function stopContainersCommand(ids: readonly string[], timeoutSeconds?: number): string[] {
  return ['docker', 'stop', ...(timeoutSeconds === undefined ? [] : ['--time', String(timeoutSeconds)]), ...ids];
}

export function startContainersCommand(ids: readonly string[]): string[] {
  return ['docker', 'start', ...ids];
}

/** Volume sizes for the audit, from the engine's own accounting. */
export function volumeSizesCommand(): string[] {
  return ['docker', 'system', 'df', '--verbose', '--format', '{{json .Volumes}}'];
}
