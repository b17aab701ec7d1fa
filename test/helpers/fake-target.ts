// A recording fake target: every argv (and its stdin) is recorded; replies are canned by rules,
// with a small in-memory server behind the commands shipproof's own bookkeeping uses (files put
// and read, the lock folder, symlinks), so deploy decisions are tested without Docker or SSH.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { BaseTarget } from '../../src/targets/base-target.js';
import type { CommandEnd, SpawnOptions, SpawnedCommand, TargetKind } from '../../src/targets/target.js';

export interface FakeReply {
  stdout?: string | Buffer;
  stderr?: string;
  exitCode?: number;
}

export interface FakeCall {
  argv: string[];
  stdin: string;
}

type Matcher = string | RegExp | ((argv: readonly string[]) => boolean);
type Reply = FakeReply | ((argv: readonly string[], stdin: string, t: FakeTarget) => FakeReply);

function matches(m: Matcher, argv: readonly string[]): boolean {
  if (typeof m === 'function') return m(argv);
  const line = argv.join(' ');
  return typeof m === 'string' ? line.startsWith(m) : m.test(line);
}

export class FakeTarget extends BaseTarget {
  readonly name = 'fake';
  readonly kind: TargetKind = 'ssh';
  readonly description = 'fake-host';
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>();
  readonly links = new Map<string, string>();
  private readonly rules: { m: Matcher; reply: Reply }[] = [];

  /** Adds a canned reply; later rules win over earlier ones and over the built-in server. */
  on(m: Matcher, reply: Reply): this {
    this.rules.unshift({ m, reply });
    return this;
  }

  /** Calls whose argv line starts with / matches `m`. */
  ran(m: Matcher): FakeCall[] {
    return this.calls.filter((c) => matches(m, c.argv));
  }

  private builtin(argv: readonly string[], stdin: string): FakeReply {
    const tag = argv[0] === 'sh' && argv[1] === '-c' ? argv[3] : undefined;
    const a = argv.slice(4);
    switch (tag) {
      case 'shipproof-put':
        this.files.set(a[0]!, stdin);
        return {};
      case 'shipproof-read':
        return { stdout: this.files.get(a[0]!) ?? '' };
      case 'shipproof-hash': {
        const content = this.files.get(a[0]!);
        return { stdout: content === undefined ? 'absent\n' : `${createHash('sha256').update(content).digest('hex')}  ${a[0]}\n` };
      }
      case 'shipproof-lock':
        if (this.dirs.has(a[0]!)) return { exitCode: 17 };
        this.dirs.add(a[0]!);
        return {};
      case 'shipproof-switch':
        this.links.set(a[1]!, a[0]!);
        return {};
      case 'shipproof-readlink':
        return { stdout: this.links.has(a[0]!) ? `${this.links.get(a[0]!)}\n` : '' };
      default:
        break;
    }
    if (argv[0] === 'cat' && argv[1] === '--') return this.files.has(argv[2]!) ? { stdout: this.files.get(argv[2]!)! } : { exitCode: 1, stderr: 'No such file' };
    if (argv[0] === 'test' && argv[1] === '-d') return { exitCode: this.dirs.has(argv[2]!) ? 0 : 1 };
    if (argv[0] === 'rm' && argv[1] === '-rf') {
      for (const p of argv.slice(3)) {
        for (const d of [...this.dirs]) if (d === p || d.startsWith(`${p}/`)) this.dirs.delete(d);
        for (const f of [...this.files.keys()]) if (f.startsWith(`${p}/`)) this.files.delete(f);
      }
      return {};
    }
    return {};
  }

  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<SpawnedCommand> {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const chunks: Buffer[] = [];
    stdin.on('data', (c: Buffer) => chunks.push(c));
    const started = Date.now();
    const done = new Promise<CommandEnd>((resolve) => {
      const finish = (): void => {
        const input = Buffer.concat(chunks).toString('utf8');
        this.calls.push({ argv: [...argv], stdin: input });
        const rule = this.rules.find((r) => matches(r.m, argv));
        const reply = rule ? (typeof rule.reply === 'function' ? rule.reply(argv, input, this) : rule.reply) : this.builtin(argv, input);
        const aborted = options.signal?.aborted === true;
        stdout.end(reply.stdout ?? '');
        stderr.end(reply.stderr ?? '');
        resolve({ exitCode: aborted ? null : (reply.exitCode ?? 0), signal: aborted ? 'SIGTERM' : null, timedOut: false, aborted, durationMs: Date.now() - started });
      };
      stdin.on('finish', finish);
    });
    return { stdin, stdout, stderr, done, kill: async () => undefined };
  }

  async close(): Promise<void> {}
}

/** Canned `docker version` / compose replies for a healthy v1 host. */
export function dockerHost(t: FakeTarget): FakeTarget {
  return t
    .on('docker version', { stdout: JSON.stringify({ Client: { Version: '24.0.0' }, Server: { Version: '24.0.0', ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' } }) })
    .on('docker compose version', { exitCode: 1, stderr: 'unknown command' })
    .on('docker-compose version', { stdout: '1.29.2\n' });
}

/** `docker container inspect` JSON for containers of a compose project. */
export function containerJson(project: string, list: { id: string; service: string; imageId?: string; state?: string; health?: string; configHash?: string; exitCode?: number }[]): string {
  return JSON.stringify(
    list.map((c) => ({
      Id: c.id,
      Name: `/${project}_${c.service}_1`,
      Image: c.imageId ?? 'sha256:img',
      RestartCount: 0,
      State: { Status: c.state ?? 'running', ExitCode: c.exitCode ?? 0, ...(c.health ? { Health: { Status: c.health } } : {}) },
      Config: { Image: 'x', Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': c.service, ...(c.configHash ? { 'com.docker.compose.config-hash': c.configHash } : {}) } },
      NetworkSettings: { Ports: {} },
    })),
  );
}

function holePattern(planned: string): RegExp {
  const parts = planned.split(/<[^<>]+>/).map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]+?')}$`);
}

/** Does `argv` match a planned argv? `<…>` stands for one or more arguments only the server knows. */
export function matchesPlanned(planned: readonly string[], argv: readonly string[]): boolean {
  const isHole = (s: string): boolean => /^<[^>]*>$/.test(s);
  const go = (i: number, j: number): boolean => {
    if (i === planned.length) return j === argv.length;
    if (j === argv.length) return false;
    const p = planned[i]!;
    if (isHole(p)) {
      for (let k = j + 1; k <= argv.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    // An argument with a hole inside (e.g. "shipproof-release/web:<release>", a pipeline script naming
    // "<container of db>") matches one argument equal to it with each hole standing for some text.
    // Shell quotes are left out of the comparison: a script quotes an argument with a hole ('<…>') that the real value does not need.
    if (/<[^>]+>/.test(p)) return holePattern(p.replace(/'/g, '')).test(argv[j]!.replace(/'/g, '')) && go(i + 1, j + 1);
    return p === argv[j] && go(i + 1, j + 1);
  };
  return go(0, 0);
}
