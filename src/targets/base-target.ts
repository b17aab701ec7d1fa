// What both targets share: exec, put and get are built on each target's spawn(), so the two
// implementations differ only in how a process is started and killed.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandFailedError, CommandTimeoutError } from '../errors.js';
import { getFileCommand, putFileCommand, removePartialCommand } from './file-commands.js';
import type {
  ExecOptions,
  ExecResult,
  GetOptions,
  PutOptions,
  SpawnOptions,
  SpawnedCommand,
  Target,
  TargetKind,
  TransferResult,
} from './target.js';

const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/** A Transform that hashes and counts what passes through it. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

function collect(stream: Readable, max: number): { done: Promise<Buffer>; truncated: () => boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const done = new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      if (size >= max) {
        truncated = true;
        return;
      }
      const room = max - size;
      if (chunk.length > room) {
        truncated = true;
        chunk = chunk.subarray(0, room);
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  return { done, truncated: () => truncated };
}

/** Describes a command for error messages without its arguments' values (they may be secret-bearing paths or data). */
export function commandLabel(argv: readonly string[]): string {
  return argv[0] === 'sh' && argv[1] === '-c' ? `sh -c (${argv[3] ?? 'script'})` : (argv[0] ?? '');
}

export abstract class BaseTarget implements Target {
  abstract readonly name: string;
  abstract readonly kind: TargetKind;
  abstract readonly description: string;
  abstract spawn(argv: readonly string[], options?: SpawnOptions): Promise<SpawnedCommand>;
  abstract close(): Promise<void>;

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { stdin, reject = true, maxBuffer = DEFAULT_MAX_BUFFER, ...spawnOptions } = options;
    const child = await this.spawn(argv, spawnOptions);
    const out = collect(child.stdout, maxBuffer);
    const err = collect(child.stderr, maxBuffer);
    const feed = feedStdin(child.stdin, stdin);
    const [end, stdout, stderr] = await Promise.all([child.done, out.done, err.done, feed]);
    const result: ExecResult = {
      ...end,
      argv,
      stdout: stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
      truncated: out.truncated() || err.truncated(),
    };
    if (reject) throwIfFailed(this, result);
    return result;
  }

  async putStream(source: Readable, path: string, options: PutOptions = {}): Promise<TransferResult> {
    const argv = putFileCommand(path, options.mode ?? 0o644, options.mkdirs ?? false);
    const child = await this.spawn(argv, pickSpawn(options));
    const hasher = new HashingStream();
    const err = collect(child.stderr, 64 * 1024);
    const out = collect(child.stdout, 64 * 1024);
    let pipeError: unknown;
    const piping = pipeline(source, hasher, child.stdin).catch((e: unknown) => {
      pipeError = e;
      void child.kill();
    });
    const [end] = await Promise.all([child.done, piping, err.done, out.done]);
    if (pipeError !== undefined || end.exitCode !== 0) {
      await this.exec(removePartialCommand(path), { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
      if (pipeError !== undefined && end.exitCode === 0) throw pipeError;
      throwIfFailed(this, { ...end, argv, stdout: '', stderr: (await err.done).toString('utf8'), truncated: false });
      if (pipeError !== undefined) throw pipeError;
    }
    return { bytes: hasher.bytes, sha256: hasher.digest() };
  }

  async getStream(path: string, sink: Writable, options: GetOptions = {}): Promise<TransferResult> {
    const argv = getFileCommand(path);
    const child = await this.spawn(argv, pickSpawn(options));
    child.stdin.end();
    const hasher = new HashingStream();
    const err = collect(child.stderr, 64 * 1024);
    let pipeError: unknown;
    const piping = pipeline(child.stdout, hasher, sink).catch((e: unknown) => {
      pipeError = e;
      void child.kill();
    });
    const [end] = await Promise.all([child.done, piping, err.done]);
    if (end.exitCode !== 0 || end.timedOut || end.aborted) {
      throwIfFailed(this, { ...end, argv, stdout: '', stderr: (await err.done).toString('utf8'), truncated: false });
    }
    if (pipeError !== undefined) throw pipeError;
    return { bytes: hasher.bytes, sha256: hasher.digest() };
  }

  async putFile(localPath: string, path: string, options: PutOptions = {}): Promise<TransferResult> {
    return this.putStream(createReadStream(localPath), path, options);
  }

  async getFile(path: string, localPath: string, options: GetOptions & { mode?: number } = {}): Promise<TransferResult> {
    // Written beside the destination and renamed, so a failed download leaves no complete-looking file.
    const partial = `${localPath}.partial`;
    try {
      const result = await this.getStream(path, createWriteStream(partial, { mode: options.mode ?? 0o600 }), options);
      await rename(partial, localPath);
      return result;
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
  }
}

function pickSpawn(o: { timeoutMs?: number; signal?: AbortSignal }): SpawnOptions {
  const s: SpawnOptions = {};
  if (o.timeoutMs !== undefined) s.timeoutMs = o.timeoutMs;
  if (o.signal !== undefined) s.signal = o.signal;
  return s;
}

async function feedStdin(stdin: Writable, input: ExecOptions['stdin']): Promise<void> {
  // A command that exits without reading its input closes the pipe: that is not our error.
  stdin.on('error', () => undefined);
  if (input === undefined) {
    stdin.end();
    return;
  }
  const source = typeof input === 'string' || Buffer.isBuffer(input) ? Readable.from([Buffer.from(input)]) : input;
  await pipeline(source, stdin).catch(() => undefined);
}

function throwIfFailed(target: Target, r: ExecResult): void {
  const what = commandLabel(r.argv);
  if (r.timedOut) {
    throw new CommandTimeoutError(`${what} on ${target.description} did not finish within its timeout and was killed.`, {
      hint: 'Raise the timeout if the command is expected to take longer.',
    });
  }
  if (r.exitCode === 0) return;
  const firstLine = r.stderr.split('\n').find((l) => l.trim() !== '');
  const how = r.exitCode === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with code ${r.exitCode}`;
  throw new CommandFailedError(`${what} on ${target.description} ${how}.`, r.exitCode, r.signal, {
    hint: firstLine === undefined ? undefined : `It said: ${firstLine.slice(0, 300)}`,
  });
}

