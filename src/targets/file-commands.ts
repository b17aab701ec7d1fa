// Pure builders for the shell commands behind put/get. Argv arrays, unit-tested by exact comparison.

/** Mode as the octal string chmod expects, e.g. 0o600 -> "600". */
export function modeString(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`invalid file mode ${mode}`);
  return mode.toString(8).padStart(3, '0');
}

/**
 * Writes stdin to `<path>.partial` (created 0600 by umask), syncs it, sets the final mode and
 * renames it into place, so a reader never sees a half-written file under the final name.
 * The path and mode travel as positional parameters, never spliced into the script.
 */
export function putFileCommand(path: string, mode: number, mkdirs: boolean): string[] {
  const script = [
    'set -e',
    'umask 077',
    ...(mkdirs ? ['mkdir -p -- "$(dirname -- "$1")"'] : []),
    'cat > "$1.partial"',
    'sync -- "$1.partial" 2>/dev/null || sync',
    'chmod "$2" "$1.partial"',
    'mv -f -- "$1.partial" "$1"',
  ].join('; ');
  return ['sh', '-c', script, 'shipproof-put', path, modeString(mode)];
}

/** Removes a partial upload left by a failed put. */
export function removePartialCommand(path: string): string[] {
  return ['rm', '-f', '--', `${path}.partial`];
}

/** Streams a file to stdout. */
export function getFileCommand(path: string): string[] {
  return ['cat', '--', path];
}
