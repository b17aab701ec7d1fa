// The one interface for everything that touches a server. Two implementations: LocalTarget
// (child processes on this machine) and SshTarget (ssh2, one multiplexed connection per host).
// Commands are argv arrays; implementations quote them with src/shell/quote.ts, never by hand.
import type { Readable, Writable } from 'node:stream';

export interface SpawnOptions {
  /** Working directory on the target. */
  cwd?: string;
  /**
   * Extra environment for the command. Non-secret values only: over SSH they travel on the
   * remote command line, which other users of the server can see in `ps`. Secrets go by stdin
   * or by an env file on the server.
   */
  env?: Record<string, string>;
  /** Kill the command (its whole process group) after this many milliseconds. */
  timeoutMs?: number;
  /** Kill the command when this signal aborts. */
  signal?: AbortSignal;
}

export interface ExecOptions extends SpawnOptions {
  /** Data written to the command's stdin, then stdin is closed. Default: stdin closed at once. */
  stdin?: string | Buffer | Readable;
  /** Throw CommandFailedError when the exit code is not 0. Default true. */
  reject?: boolean;
  /** Bytes of stdout and of stderr kept in memory, each; the rest is dropped and `truncated` set. Default 16 MiB. */
  maxBuffer?: number;
}

export interface CommandEnd {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

export interface ExecResult extends CommandEnd {
  argv: readonly string[];
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export interface SpawnedCommand {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves when the command has ended; never rejects for a non-zero exit. Rejects with ConnectionLostError if the connection drops. */
  readonly done: Promise<CommandEnd>;
  /** Kills the command and every process it started (its process group). */
  kill(): Promise<void>;
}

export interface PutOptions {
  /** File mode on the target, e.g. 0o600. Default 0o644. */
  mode?: number;
  /** Create missing parent folders (mode 0700). Default false. */
  mkdirs?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TransferResult {
  bytes: number;
  /** sha256 (hex) of the bytes that went through this side of the transfer. */
  sha256: string;
}

export interface GetOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type TargetKind = 'local' | 'ssh';

export interface Target {
  /** The target's name in shipproof.yaml, e.g. "local" or "prod". */
  readonly name: string;
  readonly kind: TargetKind;
  /** For people: "this machine" or "deploy@203.0.113.10:22". */
  readonly description: string;

  /** Starts a command with its three streams. */
  spawn(argv: readonly string[], options?: SpawnOptions): Promise<SpawnedCommand>;
  /** Runs a command to the end and buffers its output. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /** Streams `source` into a file on the target, written as `<path>.partial`, synced, then renamed. */
  putStream(source: Readable, path: string, options?: PutOptions): Promise<TransferResult>;
  /** Streams a file from the target into `sink`. */
  getStream(path: string, sink: Writable, options?: GetOptions): Promise<TransferResult>;
  putFile(localPath: string, path: string, options?: PutOptions): Promise<TransferResult>;
  getFile(path: string, localPath: string, options?: GetOptions & { mode?: number }): Promise<TransferResult>;

  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}
