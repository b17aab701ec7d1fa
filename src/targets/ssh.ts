// A server reached over SSH (ssh2). One TCP connection per target, opened lazily and shared:
// every command is a channel multiplexed on it, at most `maxChannels` at a time. Host keys are
// checked against an OpenSSH known_hosts file; a dropped connection fails the commands in flight
// (never re-running them) and the next command reconnects.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
// ssh2 is loaded on the first connection: a local target or a command that never connects does
// not pay for it at startup.
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { ConnectionLostError, HostKeyError, TargetError } from '../errors.js';
import { shellJoin, shellQuote } from '../shell/quote.js';
import { BaseTarget, commandLabel } from './base-target.js';
import {
  checkHostKey,
  fingerprintSha256,
  keyTypeOf,
  knownHostsLine,
  knownHostsName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type KnownHostEntry,
} from './known-hosts.js';
import { PidMarkerScanner, killProcessGroupCommand, remoteCommandLine } from './remote-command.js';
import type { CommandEnd, SpawnOptions, SpawnedCommand } from './target.js';

const loadSsh2 = async (): Promise<typeof import('ssh2')> => (await import('ssh2')).default;

export interface SshTargetOptions {
  name: string;
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Private key file (unencrypted; an encrypted key belongs in ssh-agent). */
  identityFile?: string;
  /** ssh-agent socket path, or true for $SSH_AUTH_SOCK. */
  agent?: string | boolean;
  knownHostsFile: string;
  /** Record an unknown host's key in knownHostsFile instead of refusing. Never overrides a changed key. Default false. */
  acceptNewHostKey?: boolean;
  /**
   * Concurrent commands on the one connection. Default 8: sshd's MaxSessions default is 10, and
   * up to 2 more channels are kept for kill commands.
   */
  maxChannels?: number;
  /** Limit for TCP connect, key exchange and login together. Default 10000. */
  connectTimeoutMs?: number;
  /** SSH keepalive interval; 3 unanswered keepalives drop the connection. Default 15000. */
  keepaliveIntervalMs?: number;
}

const KEEPALIVE_COUNT_MAX = 3;
/** Extra channels, beyond maxChannels, kept for kill commands so a kill never waits behind the commands it kills. */
const KILL_CHANNELS = 2;
/** How long kill() waits for the PID marker of a command that has only just started. */
const PID_WAIT_MS = 5_000;
/** How long kill() waits for the channel to close once the process group was killed. */
const CLOSE_GRACE_MS = 3_000;
/** Limit for the kill command itself (it sleeps 1 s between TERM and KILL). */
const KILL_COMMAND_TIMEOUT_MS = 10_000;

/** Counts free slots; acquire() waits for one and returns its release function (safe to call twice). */
class Semaphore {
  private readonly waiters: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Passes stderr through, minus the PID marker line, and reports the PID it carried. */
class PidMarkerFilter extends Transform {
  private readonly scanner = new PidMarkerScanner();
  private settle: (pid: number | undefined) => void = () => undefined;
  readonly pid = new Promise<number | undefined>((resolve) => {
    this.settle = resolve;
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out = this.scanner.push(chunk);
    if (this.scanner.done) this.settle(this.scanner.pid);
    if (out.length > 0) this.push(out);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const rest = this.scanner.flush();
    this.settle(this.scanner.pid);
    if (rest.length > 0) this.push(rest);
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.settle(this.scanner.pid);
    cb(err);
  }
}

// ssh2 internals used by sendSignal(); see there.
interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, name: string): void } };
}

/**
 * Sends a signal request on a session channel. ssh2's channel.signal() does nothing once our side
 * sent EOF (it checks `writable`), which is the usual state of a command whose stdin is closed, so
 * then the request goes through the protocol object directly. sshd delivers it with killpg().
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const c = channel as unknown as ChannelInternals;
  try {
    if (channel.writable) channel.signal(name);
    else if (c.outgoing?.state === 'eof') c._client?._protocol?.signal(c.outgoing.id, name);
  } catch {
    // The channel is closing; the process-group kill covers it.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** One TCP connection and the commands running on it. */
class Connection {
  alive = true;
  private lostReason: string | undefined;
  readonly commands = new Set<SshCommand>();
  private readonly closed: Promise<void>;

  constructor(
    readonly client: SshClient,
    private readonly onLost: (conn: Connection) => void,
  ) {
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('error', (err: Error) => this.lost(err.message === 'Keepalive timeout' ? 'the server stopped answering keepalives' : err.message));
    client.on('end', () => this.lost('the server closed it'));
    client.on('close', () => this.lost('the server closed it'));
  }

  /** Marks the connection dead and fails the commands in flight. */
  lost(reason: string, destroy = true): void {
    if (!this.alive) return;
    this.alive = false;
    this.lostReason = reason;
    this.onLost(this);
    for (const cmd of [...this.commands]) cmd.connectionLost(reason);
    if (destroy) this.client.destroy();
  }

  get reason(): string {
    return this.lostReason ?? 'unknown reason';
  }

  /** Opens a session channel running `line`. */
  exec(line: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.client.exec(line, (err, channel) => (err ? reject(err) : resolve(channel)));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Ends the connection politely, then forcefully if the server does not close it soon. */
  async end(): Promise<void> {
    this.lost('shipproof closed it', false);
    this.client.end();
    await Promise.race([this.closed, delay(2_000)]);
    this.client.destroy();
  }
}

/** What SshCommand needs from its target. */
interface CommandHost {
  readonly description: string;
  /** Runs the process-group kill for `pid` on a reserved channel of `conn`. */
  killGroup(conn: Connection, pid: number): Promise<void>;
}

/** One command on one channel. */
class SshCommand implements SpawnedCommand {
  readonly stdin: ClientChannel;
  readonly stdout: ClientChannel;
  readonly stderr: PidMarkerFilter;
  readonly done: Promise<CommandEnd>;
  private resolveDone: (end: CommandEnd) => void = () => undefined;
  private rejectDone: (e: Error) => void = () => undefined;
  private readonly started = Date.now();
  private exitCode: number | null = null;
  private exitSignal: string | null = null;
  private timedOut = false;
  private aborted = false;
  private channelClosed = false;
  private settled = false;
  private killing: Promise<void> | undefined;
  private killFinished = false;
  private readonly closedPromise: Promise<void>;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => {
    this.aborted = true;
    void this.kill();
  };

  constructor(
    private readonly host: CommandHost,
    private readonly conn: Connection,
    private readonly channel: ClientChannel,
    private readonly argv: readonly string[],
    private readonly options: SpawnOptions,
    private readonly releaseSlot: () => void,
  ) {
    this.stdin = channel;
    this.stdout = channel;
    this.stderr = new PidMarkerFilter();
    channel.stderr.on('error', (e: Error) => this.stderr.destroy(e));
    channel.stderr.pipe(this.stderr);
    // A command whose stdin is closed early is not an error of ours (as with a child process).
    channel.on('error', () => undefined);

    this.done = new Promise<CommandEnd>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that only read the streams must not crash the process with an unhandled rejection.
    this.done.catch(() => undefined);

    channel.on('exit', (code: number | null, signal?: string) => {
      this.exitCode = code;
      this.exitSignal = code === null ? (signal ?? null) : null;
    });
    this.closedPromise = new Promise((resolve) => channel.once('close', () => resolve()));
    channel.once('close', () => {
      this.channelClosed = true;
      // A channel closed by the connection's teardown carries no result.
      if (!this.conn.alive) this.connectionLost(this.conn.reason);
      else this.maybeFinish();
    });

    conn.commands.add(this);
    this.timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            this.timedOut = true;
            void this.kill();
          }, options.timeoutMs);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.signal?.aborted) this.onAbort();
  }

  kill(): Promise<void> {
    this.killing ??= this.runKill().finally(() => {
      this.killFinished = true;
      this.maybeFinish();
    });
    return this.killing;
  }

  private async runKill(): Promise<void> {
    // After the command ended its process group id may be reused: killing it then could hit strangers.
    if (this.channelClosed || !this.conn.alive) return;
    sendSignal(this.channel, 'KILL');
    const pid = await Promise.race([this.stderr.pid, delay(PID_WAIT_MS).then(() => undefined)]);
    // Children that left the group are out of reach; those in it are caught even if the signal request was refused.
    if (pid !== undefined && this.conn.alive) await this.host.killGroup(this.conn, pid).catch(() => undefined);
    if (!this.channelClosed) {
      try {
        this.channel.close();
      } catch {
        // already closing
      }
      await Promise.race([this.closedPromise, delay(CLOSE_GRACE_MS)]);
    }
    if (!this.channelClosed) {
      // Neither the signal nor the group kill reached the command (sshd may refuse signal requests,
      // and the kill needs a free channel): report the end we know and end our side of the
      // streams rather than hang. The server closes the channel whenever the command does end.
      this.channelClosed = true;
      this.channel.push(null);
      this.channel.stderr.push(null);
    }
  }

  private maybeFinish(): void {
    if (this.settled || !this.channelClosed) return;
    // A command we are killing ends when its process group is gone, not when its leader is.
    if (this.killing !== undefined && !this.killFinished) return;
    this.settle();
    this.resolveDone({
      exitCode: this.exitCode,
      signal: this.exitSignal,
      timedOut: this.timedOut,
      aborted: this.aborted,
      durationMs: Date.now() - this.started,
    });
  }

  connectionLost(reason: string): void {
    if (this.settled) return;
    this.settle();
    this.rejectDone(
      new ConnectionLostError(
        `The SSH connection to ${this.host.description} was lost (${reason}) while ${commandLabel(this.argv)} was running.`,
        {
          hint: 'The command was not re-run and may or may not have finished on the server: check there before running it again. The next command reconnects.',
        },
      ),
    );
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.conn.commands.delete(this);
    this.releaseSlot();
  }
}

export class SshTarget extends BaseTarget {
  readonly kind = 'ssh' as const;
  readonly name: string;
  readonly description: string;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string;
  private readonly options: SshTargetOptions;
  private readonly slots: Semaphore;
  private readonly killSlots = new Semaphore(KILL_CHANNELS);
  private conn: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private opened = 0;

  constructor(options: SshTargetOptions) {
    super();
    const maxChannels = options.maxChannels ?? 8;
    if (!Number.isInteger(maxChannels) || maxChannels < 1) throw new RangeError(`maxChannels must be a positive integer, got ${maxChannels}`);
    this.options = options;
    this.name = options.name;
    this.host = options.host;
    this.port = options.port ?? 22;
    this.user = options.user;
    this.description = `${this.user}@${this.host}:${this.port}`;
    this.slots = new Semaphore(maxChannels);
  }

  /** TCP connections this target has opened (each connect attempt counts). */
  get connectionsOpened(): number {
    return this.opened;
  }

  /** Waits for a free channel first; timeoutMs counts from the moment the command starts. */
  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<SpawnedCommand> {
    const line = remoteCommandLine(argv, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const release = await this.slots.acquire();
    let conn: Connection;
    let channel: ClientChannel;
    try {
      conn = await this.connection();
      channel = await this.openChannel(conn, line, argv);
    } catch (e) {
      release();
      throw e;
    }
    const host: CommandHost = { description: this.description, killGroup: (c, pid) => this.killGroup(c, pid) };
    return new SshCommand(host, conn, channel, argv, options, release);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    await conn?.end();
  }

  /** Runs the process-group kill on its own channel, from the reserve kept for kills. */
  private async killGroup(conn: Connection, pid: number): Promise<void> {
    const release = await this.killSlots.acquire();
    try {
      if (!conn.alive) return;
      const channel = await conn.exec(shellJoin(killProcessGroupCommand(pid)));
      channel.on('error', () => undefined);
      channel.stderr.resume();
      channel.resume();
      channel.end();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          channel.close();
          resolve();
        }, KILL_COMMAND_TIMEOUT_MS);
        channel.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    } finally {
      release();
    }
  }

  private async openChannel(conn: Connection, line: string, argv: readonly string[]): Promise<ClientChannel> {
    try {
      return await conn.exec(line);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (!conn.alive) {
        throw new ConnectionLostError(`The SSH connection to ${this.description} was lost (${conn.reason}) while starting ${commandLabel(argv)}.`, {
          hint: 'The command may or may not have started on the server; it was not re-run. The next command reconnects.',
          cause: e,
        });
      }
      throw new TargetError(`Could not start ${commandLabel(argv)} on ${this.description}: ${why}.`, {
        hint: 'The server may allow fewer sessions per connection than maxChannels (sshd MaxSessions); lower maxChannels for this target.',
        cause: e,
      });
    }
  }

  /** The live connection, opening one if needed; concurrent callers share one attempt. */
  private connection(): Promise<Connection> {
    if (this.conn?.alive) return Promise.resolve(this.conn);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private get hostPort(): string {
    return `${this.host}:${this.port}`;
  }

  private async connect(): Promise<Connection> {
    const auth = await this.authConfig();
    const file = this.options.knownHostsFile;
    const knownHostsText = await readKnownHostsFile(file);
    const entries = parseKnownHosts(knownHostsText, file);
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const { Client } = await loadSsh2();
    const client = new Client();
    this.opened++;

    return new Promise<Connection>((resolve, reject) => {
      let settled = false;
      let hostKeyError: TargetError | undefined;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        client.destroy();
        reject(e);
      };
      // ssh2's readyTimeout covers TCP connect, key exchange and login; this guards our own async steps too.
      const guard = setTimeout(() => fail(this.timeoutError(timeoutMs)), timeoutMs + 1_000);
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        const conn = new Connection(client, (c) => {
          if (this.conn === c) this.conn = undefined;
        });
        this.conn = conn;
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        fail(hostKeyError ?? this.connectError(err, timeoutMs, auth.label));
      });
      client.on('close', () => {
        fail(hostKeyError ?? new TargetError(`The SSH server at ${this.hostPort} closed the connection during login.`));
      });
      const config: ConnectConfig = {
        host: this.host,
        port: this.port,
        username: this.user,
        ...auth.config,
        readyTimeout: timeoutMs,
        keepaliveInterval: this.options.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(entries, this.host, this.port) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
        // No hostHash: the verifier gets the raw key blob to compare with known_hosts.
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
          this.verifyHostKey(key, entries, knownHostsText).then(
            () => verify(true),
            (e: unknown) => {
              hostKeyError = e instanceof TargetError ? e : new TargetError(`Could not check the host key of ${this.hostPort}: ${String(e)}`);
              verify(false);
            },
          );
        },
      };
      try {
        client.connect(config);
      } catch (e) {
        fail(new TargetError(`Could not connect to ${this.description}: ${e instanceof Error ? e.message : String(e)}.`, { cause: e }));
      }
    });
  }

  /** Reads the identity file (checking it can be used) and resolves the agent socket. */
  private async authConfig(): Promise<{ config: Pick<ConnectConfig, 'privateKey' | 'agent'>; label: string }> {
    const config: Pick<ConnectConfig, 'privateKey' | 'agent'> = {};
    const labels: string[] = [];
    const { identityFile, agent } = this.options;
    if (identityFile !== undefined) {
      let key: Buffer;
      try {
        key = await readFile(identityFile);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new TargetError(
          code === 'ENOENT'
            ? `The identity file ${identityFile} for ${this.description} does not exist.`
            : `The identity file ${identityFile} for ${this.description} cannot be read (${code ?? String(e)}).`,
          { hint: 'Check identityFile for this target in shipproof.yaml, or use ssh-agent (agent: true).' },
        );
      }
      const parsed = (await loadSsh2()).utils.parseKey(key);
      if (parsed instanceof Error) {
        const encrypted = /encrypted/i.test(parsed.message);
        throw new TargetError(
          encrypted
            ? `The identity file ${identityFile} is encrypted, and shipproof does not ask for passphrases.`
            : `The identity file ${identityFile} is not a private key shipproof can read (${parsed.message}).`,
          { hint: encrypted ? 'Add the key to ssh-agent (ssh-add) and set agent: true for this target.' : 'Point identityFile at an OpenSSH or PEM private key.' },
        );
      }
      config.privateKey = key;
      labels.push(`identity file ${identityFile}`);
    }
    if (agent !== undefined && agent !== false) {
      const socket = agent === true ? process.env.SSH_AUTH_SOCK : agent;
      if (socket === undefined || socket === '') {
        throw new TargetError(`The target ${this.name} uses ssh-agent, but SSH_AUTH_SOCK is not set.`, {
          hint: 'Start ssh-agent and add your key (eval "$(ssh-agent)"; ssh-add), or set identityFile instead.',
        });
      }
      config.agent = socket;
      labels.push(`the keys in ssh-agent (${socket})`);
    }
    if (labels.length === 0) {
      throw new TargetError(`The target ${this.name} has neither an identity file nor ssh-agent to log in with.`, {
        hint: 'Set identityFile, or agent: true to use ssh-agent.',
      });
    }
    return { config, label: labels.join(' or ') };
  }

  private async verifyHostKey(key: Buffer, entries: readonly KnownHostEntry[], knownHostsText: string): Promise<void> {
    const file = this.options.knownHostsFile;
    const verdict = checkHostKey(entries, this.host, this.port, key);
    const fp = fingerprintSha256(key);
    const type = keyTypeOf(key);
    switch (verdict.status) {
      case 'known':
        return;
      case 'revoked':
        throw new HostKeyError(
          'changed',
          `The host key ${type} ${fp} offered by ${this.hostPort} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect.`,
          { hint: 'A revoked key must never be accepted. Ask the server administrator which key the server should have.' },
        );
      case 'changed':
        throw new HostKeyError(
          'changed',
          `WARNING: the host key of ${this.hostPort} has CHANGED since ${verdict.entry.file}:${verdict.entry.line} was recorded (it now offers ${type} ${fp}); someone may be intercepting the connection (a man-in-the-middle attack), so shipproof refuses to connect.`,
          {
            hint:
              `If the server was reinstalled or its key replaced on purpose, confirm ${fp} with its administrator, ` +
              `remove the old entry (${shellJoin(['ssh-keygen', '-R', knownHostsName(this.host, this.port), '-f', verdict.entry.file])}) ` +
              'and connect again with --accept-new-host-key. --accept-new-host-key never replaces a changed key by itself.',
          },
        );
      case 'unknown':
        if (this.options.acceptNewHostKey !== true) {
          throw new HostKeyError(
            'unknown',
            `The host key of ${this.hostPort} (${type} ${fp}) is not in ${file}; refusing to connect to an unverified server.`,
            {
              hint:
                `Check that ${fp} is the server's key (on the server: ssh-keygen -lf ${shellQuote(hostKeyPathHint(type))}), ` +
                'then set acceptNewHostKey: true for this target or pass --accept-new-host-key to record it.',
            },
          );
        }
        try {
          await appendKnownHost(file, knownHostsText, knownHostsLine(this.host, this.port, key));
        } catch (e) {
          throw new TargetError(`Could not record the host key of ${this.hostPort} in ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
            hint: 'Check that the known_hosts file and its folder are writable.',
          });
        }
    }
  }

  private timeoutError(timeoutMs: number): TargetError {
    return new TargetError(`Could not connect to ${this.hostPort}: no answer within ${timeoutMs} ms.`, {
      hint: 'Check the host name, the port, and that a firewall lets SSH through; raise connectTimeoutMs for slow links.',
    });
  }

  private connectError(err: Error & { level?: string; code?: string }, timeoutMs: number, authLabel: string): TargetError {
    if (err.level === 'client-authentication') {
      return new TargetError(`Could not log in to ${this.description} with ${authLabel}.`, {
        hint: `Check that the matching public key is in ~/.ssh/authorized_keys of ${this.user} on the server, and that the user name is right.`,
        cause: err,
      });
    }
    if (err.level === 'client-timeout') return this.timeoutError(timeoutMs);
    const reasons: Record<string, string> = {
      ECONNREFUSED: 'connection refused (is sshd running on that port?)',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      ETIMEDOUT: 'connection timed out',
      ENOTFOUND: 'host name not found',
      EAI_AGAIN: 'host name lookup failed',
      ECONNRESET: 'connection reset by the server',
    };
    const reason = (err.code !== undefined ? reasons[err.code] : undefined) ?? err.message;
    return new TargetError(`Could not connect to ${this.hostPort}: ${reason}.`, {
      hint: 'Check the host name and port of this target, and that the server is up and reachable from here.',
      cause: err,
    });
  }
}

async function readKnownHostsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new TargetError(`The known_hosts file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
      hint: 'Check knownHostsFile for this target and its permissions.',
    });
  }
}

/** Appends a line, creating the file 0600 (and its folder 0700) when missing. */
async function appendKnownHost(file: string, currentText: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const sep = currentText === '' || currentText.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${sep}${line}\n`, { mode: 0o600 });
}

/** Where OpenSSH keeps a host key of this type, for the fingerprint-check hint. */
function hostKeyPathHint(type: string): string {
  const short = type === 'ssh-ed25519' ? 'ed25519' : type.startsWith('ecdsa-') ? 'ecdsa' : type === 'ssh-rsa' ? 'rsa' : '*';
  return `/etc/ssh/ssh_host_${short}_key.pub`;
}
