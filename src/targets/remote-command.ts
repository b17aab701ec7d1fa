// Pure pieces of running a command over SSH: the remote command line, the process-group kill
// command, and the scanner that takes the PID marker out of stderr.
import { shellJoin, shellQuote } from '../shell/quote.js';

/** The marker line the remote shell prints first on stderr, before it execs the command. */
export const PID_MARKER_PREFIX = 'SHIPPROOF-PID ';

// A fixed fragment, not built from input. sshd starts a non-pty session's command as a session
// leader (setsid), so the shell's $$ is the process group id, and `exec` keeps that pid.
const PRINT_PID = `printf '${PID_MARKER_PREFIX}%s\\n' "$$" >&2`;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RemoteCommandOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * The command line sent to sshd for `argv`: print the PID marker, `cd` to cwd, then `exec` the
 * argv (through `env K=V` when env is given). Every piece of input is quoted by shellQuote.
 */
export function remoteCommandLine(argv: readonly string[], options: RemoteCommandOptions = {}): string {
  const [program] = argv;
  if (program === undefined) throw new Error('remoteCommandLine: empty argv');
  // `exec` and `env` would read these as options or assignments instead of the program.
  if (program === '' || program.startsWith('-')) throw new Error(`remoteCommandLine: invalid program name ${JSON.stringify(program)}`);
  const parts = [PRINT_PID];
  if (options.cwd !== undefined) parts.push(`cd -- ${shellQuote(options.cwd)}`);
  const envPairs = Object.entries(options.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`remoteCommandLine: invalid environment variable name ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });
  if (envPairs.length > 0 && program.includes('=')) {
    throw new Error(`remoteCommandLine: program name ${JSON.stringify(program)} contains "=", which env would read as a variable`);
  }
  parts.push(`exec ${shellJoin(envPairs.length > 0 ? ['env', ...envPairs, ...argv] : argv)}`);
  return parts.join(' && ');
}

/**
 * Kills a remote process group: TERM, a second's grace, then KILL. Errors are silenced and the
 * exit status is always 0, because the group may already be gone. `kill -s SIG -- -PGID` is the
 * form both bash and dash accept (dash rejects `kill -TERM -- -PGID`).
 */
export function killProcessGroupCommand(pid: number): string[] {
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`killProcessGroupCommand: invalid pid ${pid}`);
  return [
    'sh',
    '-c',
    'kill -s TERM -- "-$1" 2>/dev/null; sleep 1; kill -s KILL -- "-$1" 2>/dev/null; exit 0',
    'shipproof-kill',
    String(pid),
  ];
}

/** Lines longer than this before the marker mean it is not coming; the scanner gives up and passes everything on. */
const MAX_PENDING = 64 * 1024;

/**
 * Finds the `SHIPPROOF-PID <pid>` line in a stderr byte stream and removes it. The marker may
 * arrive split across chunks, and lines before it (e.g. from a login script) are passed on.
 * After the marker, or after giving up, chunks pass through untouched.
 */
export class PidMarkerScanner {
  private pending: Buffer = Buffer.alloc(0);
  private finished = false;
  pid: number | undefined;

  /** True once the marker was found or the scanner gave up. */
  get done(): boolean {
    return this.finished;
  }

  /** Takes the next chunk; returns the bytes to pass on. */
  push(chunk: Buffer): Buffer {
    if (this.finished) return chunk;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl === -1) break;
      const line = buf.subarray(0, nl).toString('latin1');
      const m = /^SHIPPROOF-PID ([0-9]+)$/.exec(line);
      if (m?.[1] !== undefined) {
        this.pid = Number(m[1]);
        this.finished = true;
        this.pending = Buffer.alloc(0);
        out.push(buf.subarray(nl + 1));
        return Buffer.concat(out);
      }
      out.push(buf.subarray(0, nl + 1));
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > MAX_PENDING) {
      this.finished = true;
      this.pending = Buffer.alloc(0);
      out.push(buf);
    } else {
      this.pending = Buffer.from(buf);
    }
    return Buffer.concat(out);
  }

  /** At the end of the stream: whatever was held back waiting for a newline. */
  flush(): Buffer {
    this.finished = true;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }
}
