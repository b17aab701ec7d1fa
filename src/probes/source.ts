// Source state: the git commit and whether the tree is dirty (on the operator's machine), the hash
// of the bundle shipproof would deploy, and the hash of what is deployed on the target.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { pass, type Probe } from './types.js';

/** Where a deploy records the bundle hash of the release it made current. */
export const DEPLOYED_BUNDLE_FILE = 'current/.shipproof/bundle.sha256';

export function deployedBundleCommand(appDir: string): string[] {
  return ['sh', '-c', 'cat -- "$1" 2>/dev/null || echo none', 'shipproof-bundle', `${appDir.replace(/\/$/, '')}/${DEPLOYED_BUNDLE_FILE}`];
}

/** sha256 over the config and compose files, each by relative name and content, in a fixed order. */
export async function localBundleHash(config: ResolvedConfig): Promise<string> {
  const files = [...(config.configPath ? [config.configPath] : []), ...config.composeFiles].sort();
  const h = createHash('sha256');
  for (const f of files) {
    const data = await readFile(f);
    h.update(`${relative(config.rootDir, f)}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}

export const sourceProbe: Probe = {
  id: 'source',
  title: 'Source state',
  reads: 'git commit and dirty-tree count here; the bundle hash here and on the target',
  gate: false,
  neverRecords: ['file contents', 'uncommitted diffs'],
  plan: (ctx) => [
    { where: 'operator', argv: ['git', '-C', ctx.config.rootDir, 'rev-parse', 'HEAD'] },
    { where: 'operator', argv: ['git', '-C', ctx.config.rootDir, 'status', '--porcelain'] },
    { where: 'target', argv: deployedBundleCommand(ctx.target.appDir) },
  ],
  async run(ctx) {
    const [head, status, deployed, bundle] = await Promise.all([
      ctx.runLocal(['git', '-C', ctx.config.rootDir, 'rev-parse', 'HEAD']),
      ctx.runLocal(['git', '-C', ctx.config.rootDir, 'status', '--porcelain']),
      ctx.run(deployedBundleCommand(ctx.target.appDir)),
      localBundleHash(ctx.config),
    ]);
    const commit = head.exitCode === 0 ? head.stdout.trim() : null;
    const dirtyFiles = status.exitCode === 0 ? status.stdout.split('\n').filter((l) => l.trim() !== '').length : null;
    const deployedHash = deployed.stdout.trim() === 'none' || deployed.exitCode !== 0 ? null : deployed.stdout.trim().slice(0, 64);
    return pass(
      {
        commit,
        gitRepository: commit !== null,
        dirtyFiles,
        bundleSha256: bundle,
        deployedBundleSha256: deployedHash,
        deployedMatches: deployedHash === null ? null : deployedHash === bundle,
      },
      deployedHash === null ? 'nothing deployed yet' : deployedHash === bundle ? 'the deployed bundle matches' : 'the deployed bundle differs',
    );
  },
};
