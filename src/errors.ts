// The one errors module. Every error a user can see is a ShipproofError with one clear sentence,
// an optional location (file:line:column) when input is at fault, an optional hint, and an exit code.
// The top-level handler (src/cli/handle-error.ts) maps them to output and process exit codes.

export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface ShipproofErrorOptions {
  hint?: string;
  location?: SourceLocation;
  cause?: unknown;
  exitCode?: number;
}

export class ShipproofError extends Error {
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly exitCode: number;
  /** A stable machine-readable code, e.g. "config_invalid". */
  readonly code: string = 'error';

  constructor(message: string, options: ShipproofErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.location = options.location;
    this.exitCode = options.exitCode ?? ExitCode.checkFailed;
  }
}

/** Bad command-line usage. Exit 2. */
export class UsageError extends ShipproofError {
  override readonly code = 'usage';
  constructor(message: string, options: Omit<ShipproofErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
  }
}

/** Input (a config or compose file) is at fault. Exit 2, with file:line:column. */
export class ConfigError extends ShipproofError {
  override readonly code = 'config_invalid';
  /** Further problems found in the same file, each a full sentence with its own location. */
  readonly more: ConfigError[];
  constructor(message: string, options: Omit<ShipproofErrorOptions, 'exitCode'> & { more?: ConfigError[] } = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
    this.more = options.more ?? [];
  }
}

/** A target (server) could not be reached, authenticated or kept connected. Exit 1. */
export class TargetError extends ShipproofError {
  override readonly code: string = 'target_unreachable';
}

/** The server's host key is unknown or has changed. Exit 1; never bypassed silently. */
export class HostKeyError extends TargetError {
  override readonly code: 'host_key_unknown' | 'host_key_changed';
  constructor(kind: 'unknown' | 'changed', message: string, options: ShipproofErrorOptions = {}) {
    super(message, options);
    this.code = kind === 'unknown' ? 'host_key_unknown' : 'host_key_changed';
  }
}

/** The SSH connection dropped while a command was running. */
export class ConnectionLostError extends TargetError {
  override readonly code = 'connection_lost';
}

/** A command ran but exited non-zero (or was killed). Carries no output: output may hold secrets. */
export class CommandFailedError extends ShipproofError {
  override readonly code = 'command_failed';
  constructor(
    message: string,
    readonly exitCode_: number | null,
    readonly signal: string | null,
    options: ShipproofErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A command did not finish within its timeout; the process was killed. */
export class CommandTimeoutError extends ShipproofError {
  override readonly code = 'command_timeout';
}

/** A check ran and its result is a failure. Exit 1. */
export class CheckFailedError extends ShipproofError {
  override readonly code = 'check_failed';
}

export function isShipproofError(e: unknown): e is ShipproofError {
  return e instanceof ShipproofError;
}

/** "file:line:column" for messages. */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}
