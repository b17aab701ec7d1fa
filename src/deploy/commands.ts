// Pure builders for every command a deploy runs on the server. Argv arrays only, unit-tested by
// exact comparison; paths travel as positional parameters, never spliced into scripts.

/** Unpacks a tar stream from stdin into a fresh folder (replaced whole if a partial one exists). */
export function unpackReleaseCommand(dir: string): string[] {
  return [
    'sh',
    '-c',
    'set -e; rm -rf -- "$1.partial"; mkdir -p -- "$1.partial"; tar -x -f - -C "$1.partial"; rm -rf -- "$1"; mv -- "$1.partial" "$1"',
    'shipproof-unpack',
    dir,
  ];
}

/** sha256 of files below a folder, one "<hash>  ./<rel>" line each, sorted. */
export function releaseChecksumsCommand(dir: string): string[] {
  return ['sh', '-c', 'cd -- "$1" && find . -type f ! -path "./.shipproof/*" -print0 | sort -z | xargs -0 -r sha256sum', 'shipproof-sums', dir];
}

/** Creates folders (mode 0700 for shipproof's own, as they hold state). */
export function mkdirsCommand(dirs: readonly string[], mode = 0o755): string[] {
  return ['mkdir', '-p', '-m', mode.toString(8), '--', ...dirs];
}

/** Points `link` at `target` atomically (a new symlink renamed over the old one). */
export function switchLinkCommand(target: string, link: string): string[] {
  return ['sh', '-c', 'set -e; ln -sfn -- "$1" "$2.next"; mv -fT -- "$2.next" "$2"', 'shipproof-switch', target, link];
}

/** Makes a symlink inside a release to a file kept outside releases (env files). */
export function linkFileCommand(target: string, link: string): string[] {
  return ['sh', '-c', 'set -e; mkdir -p -- "$(dirname -- "$2")"; ln -sfn -- "$1" "$2"', 'shipproof-link', target, link];
}

export function readLinkCommand(link: string): string[] {
  return ['sh', '-c', 'readlink -- "$1" || true', 'shipproof-readlink', link];
}

/** Prints a file, or nothing when it does not exist. */
export function readFileCommand(path: string): string[] {
  return ['sh', '-c', 'if [ -f "$1" ]; then cat -- "$1"; fi', 'shipproof-read', path];
}

/** Takes the lock: mkdir is atomic, so exactly one of two racing deploys succeeds. Exit 0 taken, 17 held. */
export function acquireLockCommand(lockDir: string): string[] {
  return ['sh', '-c', 'mkdir -p -- "$(dirname -- "$1")"; if mkdir -m 700 -- "$1" 2>/dev/null; then exit 0; else exit 17; fi', 'shipproof-lock', lockDir];
}

export function releaseLockCommand(lockDir: string): string[] {
  return ['rm', '-rf', '--', lockDir];
}

export function removeReleasesCommand(dirs: readonly string[]): string[] {
  return ['rm', '-rf', '--', ...dirs];
}

/** Tags an image under a second name (keeps each release's built images for rollback). */
export function tagImageCommand(source: string, target: string): string[] {
  return ['docker', 'image', 'tag', source, target];
}

export function removeImageTagCommand(ref: string): string[] {
  return ['docker', 'image', 'rm', '--no-prune', ref];
}

/** Tail of a container's logs, for a failed gate's explanation (shown redacted, never stored). */
export function containerLogsCommand(container: string, lines = 20): string[] {
  return ['docker', 'logs', '--tail', String(lines), container];
}

/** The health-check log docker keeps for a container. */
export function healthLogCommand(container: string): string[] {
  return ['docker', 'inspect', '--format', '{{json .State.Health}}', container];
}

/** Copies a file with mode 0600, replacing whatever (a file or an old symlink) is at `to`. */
export function copyPrivateFileCommand(from: string, to: string): string[] {
  return ['sh', '-c', 'set -e; mkdir -p -- "$(dirname -- "$2")"; rm -f -- "$2.next"; cp -- "$1" "$2.next"; chmod 600 -- "$2.next"; mv -f -- "$2.next" "$2"', 'shipproof-copy', from, to];
}

/**
 * Places bind-mounted bundle files and folders at their content-addressed paths: pairs of
 * (source in the release, content-addressed destination); an existing destination is left alone
 * (same content by construction), a new one is copied beside it and renamed into place.
 */
export function materializeMountsCommand(pairs: readonly (readonly [string, string])[]): string[] {
  return [
    'sh',
    '-c',
    'set -e; while [ "$#" -gt 1 ]; do if [ ! -e "$2" ]; then mkdir -p -- "$(dirname -- "$2")"; rm -rf -- "$2.partial"; cp -a -- "$1" "$2.partial"; mv -- "$2.partial" "$2"; fi; shift 2; done',
    'shipproof-mounts',
    ...pairs.flat(),
  ];
}

/** Content-addressed mounts no kept release uses any more (names listed by `ls` of the folder, then removed by name). */
export function listMountsCommand(dir: string): string[] {
  return ['sh', '-c', 'if [ -d "$1" ]; then ls -1 -- "$1"; fi', 'shipproof-ls', dir];
}
