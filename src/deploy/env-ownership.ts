// Env files on the server: shipproof replaces one only if it uploaded it and nobody changed it
// since. The record is a sidecar in the app's meta folder (0600): the sha256 of each file as
// shipproof wrote it, by path. The server holds the files themselves, so the record tells it
// nothing new; it never leaves the server and is never put in evidence.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import { putFileCommand } from '../targets/file-commands.js';
import type { ResolvedConfig } from '../config/load.js';
import { envFilePath } from '../probes/env-files.js';
import { readFileCommand } from './commands.js';
import type { RunOpts } from './context.js';
import type { Layout } from './layout.js';

type Run = (argv: readonly string[], o?: RunOpts) => Promise<{ exitCode: number | null; stdout: string }>;

export function uploadedRecordPath(l: Layout): string {
  return posix.join(l.metaDir, 'uploaded.json');
}

/** What is at `path`: `absent`, `unreadable`, or the sha256 of its content. */
export function fileHashCommand(path: string): string[] {
  return ['sh', '-c', 'if [ -e "$1" ] || [ -L "$1" ]; then sha256sum -- "$1" 2>/dev/null || echo unreadable; else echo absent; fi', 'shipproof-hash', path];
}

export function readUploadedCommand(l: Layout): string[] {
  return readFileCommand(uploadedRecordPath(l));
}

export function writeUploadedCommand(l: Layout): string[] {
  return putFileCommand(uploadedRecordPath(l), 0o600, true);
}

export function parseUploaded(text: string): Map<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return new Map();
    return new Map(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && /^[0-9a-f]{64}$/.test(e[1])));
  } catch {
    return new Map();
  }
}

export function serializeUploaded(m: ReadonlyMap<string, string>): string {
  return `${JSON.stringify(Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b))), null, 2)}\n`;
}

/** The pure rule: a file may be replaced when nothing is there, or it is exactly what shipproof last uploaded there. */
export function mayReplace(existing: string, recorded: string | undefined): boolean {
  if (existing === 'absent') return true;
  return /^[0-9a-f]{64}$/.test(existing) && existing === recorded;
}

export function parseHash(stdout: string): string {
  const first = stdout.trim().split(/\s+/)[0] ?? '';
  return first === 'absent' || /^[0-9a-f]{64}$/.test(first) ? first : 'unreadable';
}

export function foreignEnvFileError(shownPath: string, remotePath: string): UsageError {
  return new UsageError(`The env file ${shownPath} exists on the server at ${remotePath}, and shipproof did not upload it (or it was changed there since): shipproof does not replace it.`, {
    hint: 'Compare it with your local source and merge by hand, or pass --overwrite to replace it with the local source.',
  });
}

/**
 * Before a deploy changes anything: every env file with a `source:` whose upload would replace a
 * file shipproof did not write is refused (exit 2), unless `overwrite`. Reads only.
 */
export async function refuseForeignEnvFiles(o: { config: ResolvedConfig; appDir: string; layout: Layout; run: Run; overwrite?: boolean }): Promise<void> {
  if (o.overwrite === true) return;
  const sources = o.config.envFiles.filter((e) => e.source !== undefined);
  if (sources.length === 0) return;
  const recorded = parseUploaded((await o.run(readUploadedCommand(o.layout), { timeoutMs: 30_000, read: true })).stdout);
  for (const e of sources) {
    const path = envFilePath(o.appDir, e.path);
    const existing = parseHash((await o.run(fileHashCommand(path), { timeoutMs: 30_000, read: true })).stdout);
    // The same bytes as the source need no upload at all: milestone 2 compares first.
    if (!mayReplace(existing, recorded.get(path)) && !(await sameAsSource(existing, e.source!))) throw foreignEnvFileError(e.path, path);
  }
}

async function sameAsSource(existing: string, source: string): Promise<boolean> {
  const bytes = await readFile(source).catch(() => undefined);
  return bytes !== undefined && createHash('sha256').update(bytes).digest('hex') === existing;
}

/** Records what shipproof uploaded (after the upload), so a later deploy may replace it. */
export async function recordUploaded(l: Layout, run: Run, entries: ReadonlyMap<string, string>): Promise<void> {
  if (entries.size === 0) return;
  const current = parseUploaded((await run(readUploadedCommand(l), { timeoutMs: 30_000, read: true })).stdout);
  for (const [p, h] of entries) current.set(p, h);
  const r = await run(writeUploadedCommand(l), { timeoutMs: 30_000, stdin: serializeUploaded(current) });
  if (r.exitCode !== 0) throw new Error(`could not record the uploaded env files in ${uploadedRecordPath(l)}`);
}
