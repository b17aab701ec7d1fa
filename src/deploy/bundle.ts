// The bundle of a release: exactly the files a deploy needs on the server — the compose files,
// each build context, bind-mounted config files, shipproof.yaml and shipproof.lock — never env files (their values
// stay on the server) and never .git or the evidence folder. Its sha256 names the release, so the
// same source always makes the same release (idempotent re-deploys).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import dockerignoreModule from '@balena/dockerignore';
import { ConfigError } from '../errors.js';

export interface BundleFile {
  /** Path relative to the project root, with forward slashes. */
  rel: string;
  abs: string;
  mode: number;
  size: number;
  sha256: string;
}

export interface Bundle {
  root: string;
  files: BundleFile[];
  /** sha256 over every file's path, mode and content, in path order. */
  sha256: string;
  /** The release id: a short form of the bundle hash. */
  releaseId: string;
}

const ALWAYS_EXCLUDED_DIRS = new Set(['.git', '.hg', '.svn', '.shipproof']);

/** Env files hold secrets: they never travel in a bundle. Examples and templates do. */
export function isSecretEnvFile(name: string): boolean {
  if (/\.(example|sample|template|dist)$/i.test(name)) return false;
  return /^\.env(\..+)?$/.test(name) || /\.env$/.test(name);
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

type Ignore = (relToContext: string) => boolean;

/**
 * The context's ignore file with Docker's own matching rules (@balena/dockerignore mirrors them):
 * BuildKit's `<Dockerfile>.dockerignore` beside the Dockerfile wins over `.dockerignore`.
 */
async function dockerIgnore(dir: string, dockerfile = 'Dockerfile'): Promise<Ignore> {
  const specific = await readFile(`${path.resolve(dir, dockerfile)}.dockerignore`, 'utf8').catch(() => undefined);
  const text = specific ?? (await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => ''));
  const ig = dockerignoreModule.default({}).add(text);
  return (rel) => rel !== '' && ig.ignores(rel);
}

const NOTHING_IGNORED: Ignore = () => false;

async function walk(root: string, dir: string, out: Map<string, string>, excludedAbs: Set<string>, ignored: Ignore, base: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (excludedAbs.has(abs)) continue;
    const relToContext = path.relative(base, abs).split(path.sep).join('/');
    if (entry.isDirectory()) {
      if (ALWAYS_EXCLUDED_DIRS.has(entry.name)) continue;
      // A folder is walked even when ignored: a later `!pattern` may bring back files inside it.
      await walk(root, abs, out, excludedAbs, ignored, base);
    } else if (entry.isFile()) {
      if (isSecretEnvFile(entry.name) || ignored(relToContext)) continue;
      out.set(path.relative(root, abs).split(path.sep).join('/'), abs);
    }
    // Symlinks and special files are left out: a release holds plain files only.
  }
}

export interface BundleInput {
  config: ResolvedConfig;
  compose: ComposeModel;
  /**
   * Keyed fingerprints (HMAC) of what shapes a release without travelling in it, such as the
   * local env files that are uploaded beside it: a changed env file makes a new release.
   */
  fingerprints?: string[];
}

export async function computeBundle({ config, compose, fingerprints = [] }: BundleInput): Promise<Bundle> {
  const root = config.rootDir;
  const files = new Map<string, string>();
  const excluded = new Set([config.evidenceDir]);
  const inside = (abs: string, what: string): string => {
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new ConfigError(`${what} ${abs} is outside the project folder ${root}, so it cannot be part of a release.`, {
        hint: 'Keep compose files, build contexts and mounted config files inside the folder that holds shipproof.yaml.',
      });
    }
    return rel.split(path.sep).join('/');
  };
  for (const f of config.composeFiles) files.set(inside(f, 'The compose file'), f);
  if (config.configPath) files.set(inside(config.configPath, 'shipproof.yaml'), config.configPath);
  // The image lock decides what runs: a changed lock is a new release.
  const lockFile = path.join(root, 'shipproof.lock');
  if (await stat(lockFile).then((x) => x.isFile(), () => false)) files.set('shipproof.lock', lockFile);
  for (const s of compose.services) {
    if (s.build) {
      const ctx = path.resolve(compose.projectDir, s.build.context);
      inside(ctx, `The build context of ${s.name}`);
      await walk(root, ctx, files, excluded, await dockerIgnore(ctx, s.build.dockerfile), ctx);
      // Docker always sends the Dockerfile and its ignore files, whatever they say.
      const dockerfile = s.build.dockerfile ?? 'Dockerfile';
      for (const always of [dockerfile, `${dockerfile}.dockerignore`, '.dockerignore']) {
        const abs = path.resolve(ctx, always);
        if (await stat(abs).then((x) => x.isFile(), () => false)) files.set(inside(abs, 'The Dockerfile'), abs);
      }
    }
    for (const v of s.volumes) {
      if (v.type !== 'bind' || v.source === undefined || v.source.includes('$')) continue;
      const abs = path.resolve(compose.projectDir, v.source);
      const st = await stat(abs).catch(() => undefined);
      if (st === undefined) continue; // compose creates missing bind sources as folders; nothing to ship
      const rel = path.relative(root, abs);
      if (rel.startsWith('..')) continue; // host paths such as /var/run/docker.sock are the server's own
      if (st.isDirectory()) await walk(root, abs, files, excluded, NOTHING_IGNORED, abs);
      else if (!isSecretEnvFile(path.basename(abs))) files.set(rel.split(path.sep).join('/'), abs);
    }
  }
  const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: BundleFile[] = [];
  const total = createHash('sha256');
  const rootReal = await realpath(root).catch(() => root);
  for (const [rel, abs] of sorted) {
    // Every file must really live inside the project: a link (or a linked folder above it) to
    // /etc/shadow would otherwise be read here and sent to the server. `check` names the setting.
    const real = await realpath(abs);
    const realRel = path.relative(rootReal, real);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
      throw new ConfigError(`${rel} is a symbolic link (or lies under one) to ${real}, outside the project folder, so it cannot be part of a release.`, {
        hint: 'Copy the file into the project. Run `shipproof check` to see which setting names it.',
      });
    }
    // Links inside the project travel as the plain file they point at.
    const st = await stat(abs);
    const sha256 = await hashFile(abs);
    const mode = st.mode & 0o777;
    out.push({ rel, abs, mode, size: st.size, sha256 });
    total.update(`${rel}\0${mode.toString(8)}\0${sha256}\n`);
  }
  const sha256 = total.digest('hex');
  const identity = fingerprints.length === 0 ? sha256 : createHash('sha256').update([sha256, ...fingerprints].join('\n')).digest('hex');
  return { root, files: out, sha256, releaseId: `r-${identity.slice(0, 12)}` };
}
