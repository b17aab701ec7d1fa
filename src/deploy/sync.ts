// Uploads a bundle as one tar stream: local `tar` reads exactly the bundle's files, the server
// unpacks into <release>.partial and renames it into place. Streamed end to end.
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { ShipproofError } from '../errors.js';
import type { Target } from '../targets/target.js';
import type { Bundle } from './bundle.js';
import { unpackReleaseCommand } from './commands.js';

/** The local tar command: file names come NUL-separated on stdin (no argv length limit, any name). */
export function localTarCommand(root: string): string[] {
  // --dereference: a link inside the project (bundle.ts refused those leading out) travels as the file it names.
  return ['tar', '-c', '--dereference', '-f', '-', '-C', root, '--null', '--no-recursion', '-T', '-'];
}

/**
 * Uploads once: a failed or cut-off upload is a failed milestone 1 (the unpack works in
 * <release>.partial, so the next deploy starts it cleanly), never re-run blindly here.
 */
export async function uploadBundle(host: Target, bundle: Bundle, releaseDir: string, timeoutMs = 10 * 60_000): Promise<void> {
  // The receiving end first: local tar starts only once something reads what it writes (started
  // before a slow SSH spawn returned, its output could be gone: "0 bytes were sent").
  const remote = await host.spawn(unpackReleaseCommand(releaseDir), { timeoutMs });
  const [file, ...args] = localTarCommand(bundle.root);
  const tar = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (d: Buffer) => (tarErr += d.toString()));
  // Parent folders first so the archive recreates them; --no-recursion keeps it to our list.
  const dirs = new Set<string>();
  for (const f of bundle.files) {
    const parts = f.rel.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  tar.stdin.end([...[...dirs].sort(), ...bundle.files.map((f) => f.rel)].map((r) => `${r}\0`).join(''));
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', resolve));
  let remoteErr = '';
  remote.stderr.on('data', (d: Buffer) => (remoteErr += d.toString()));
  remote.stdout.resume();
  let sent = 0;
  tar.stdout.on('data', (c: Buffer) => (sent += c.length));
  let pipeErr: unknown;
  await pipeline(tar.stdout, remote.stdin).catch((e: unknown) => (pipeErr = e));
  const [tarCode, end] = await Promise.all([tarDone, remote.done]);
  if (tarCode !== 0) throw new ShipproofError(`Packing the release failed (tar exited with ${tarCode}).`, { hint: tarErr.trim().slice(0, 300) });
  if (end.exitCode !== 0) {
    throw new ShipproofError(`Unpacking the release on ${host.description} failed${end.timedOut ? ' (timed out)' : ''}.`, {
      hint: `${remoteErr.trim().slice(0, 300) || 'Is there free disk space, and may this user write to the app folder?'} (${sent} bytes were sent${pipeErr === undefined ? '' : `; the stream broke: ${String(pipeErr)}`})`,
    });
  }
}

/** Parses `sha256sum` lines ("<hash>  ./<rel>") into rel -> hash. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?\.\/(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out.set(m[2], m[1]);
  }
  return out;
}

/** Files that are missing or differ on the server, by relative path. */
export function checksumMismatches(bundle: Bundle, remote: Map<string, string>): string[] {
  return bundle.files.filter((f) => remote.get(f.rel) !== f.sha256).map((f) => f.rel);
}
