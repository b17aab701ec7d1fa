// Staging files: the compose files and the proxy configuration of the current release are on the
// target, each by presence and sha256 compared with this machine's copy. Never their content.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, posix, resolve } from 'node:path';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { fail, pass, type Observations, type Probe } from './types.js';

const PROXY_CONFIG = /^(Caddyfile|caddy\.json|nginx\.conf|traefik\.ya?ml|haproxy\.cfg)$/i;

/** Local proxy config files bind-mounted into services (e.g. ./deploy/Caddyfile). */
export function proxyConfigFiles(model: ComposeModel | undefined): string[] {
  if (!model) return [];
  const files = new Set<string>();
  for (const s of model.services) {
    for (const v of s.volumes) {
      if (v.type === 'bind' && v.source !== undefined && PROXY_CONFIG.test(basename(v.source))) {
        files.add(isAbsolute(v.source) ? v.source : resolve(model.projectDir, v.source));
      }
    }
  }
  return [...files];
}

export function sha256FilesCommand(paths: readonly string[]): string[] {
  // One line per file: "<sha256>  <path>" or "missing  <path>".
  return ['sh', '-c', 'for f in "$@"; do if [ -f "$f" ]; then sha256sum -- "$f"; else echo "missing  $f"; fi; done', 'shipproof-sha256', ...paths];
}

export interface StagedFile {
  local: string;
  remote: string;
}

export function stagedFiles(appDir: string, rootDir: string, composeFiles: string[], proxyFiles: string[]): StagedFile[] {
  const current = posix.join(appDir, 'current');
  return [...composeFiles, ...proxyFiles].map((local) => {
    const rel = posix.normalize(local.startsWith(rootDir) ? local.slice(rootDir.length).replace(/^\/+/, '') : basename(local));
    return { local, remote: posix.join(current, rel) };
  });
}

export const stagingFilesProbe: Probe = {
  id: 'staging-files',
  title: 'Staging files present',
  reads: 'compose files and proxy configuration in the current release folder: presence and sha256, compared with this copy',
  gate: true,
  neverRecords: ['file contents (proxy configuration, compose files)'],
  plan: (ctx) => [
    {
      where: 'target',
      argv: sha256FilesCommand(stagedFiles(ctx.target.appDir, ctx.config.rootDir, ctx.config.composeFiles, proxyConfigFiles(ctx.compose)).map((f) => f.remote)),
    },
  ],
  async run(ctx) {
    const files = stagedFiles(ctx.target.appDir, ctx.config.rootDir, ctx.config.composeFiles, proxyConfigFiles(ctx.compose));
    const r = await ctx.run(sha256FilesCommand(files.map((f) => f.remote)));
    const remote = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+)\s+(.*)$/.exec(line);
      if (m?.[1] && m[2]) remote.set(m[2], m[1]);
    }
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      files.map(async (f, i) => {
        const local = await readFile(f.local).then((d) => createHash('sha256').update(d).digest('hex'), () => null);
        const there = remote.get(f.remote) ?? 'missing';
        observations[`file${i}.path`] = f.remote;
        observations[`file${i}.present`] = there !== 'missing';
        observations[`file${i}.sha256`] = there === 'missing' ? null : there;
        observations[`file${i}.matchesLocal`] = there === 'missing' || local === null ? null : there === local;
        if (there === 'missing') problems.push(`${f.remote} is missing`);
        else if (local !== null && there !== local) problems.push(`${f.remote} differs from the local copy`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
