// Source state: the git commit and whether the tree is dirty (on the operator's machine), the hash
// of the bundle shipproof would deploy, and the hash of what is deployed on the target.
import type { ResolvedConfig } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { computeBundle } from '../deploy/bundle.js';
import { pass, type Probe } from './types.js';

/** Where a deploy records the bundle hash of the release it made current. */
export const DEPLOYED_BUNDLE_FILE = 'current/.shipproof/bundle.sha256';

export function deployedBundleCommand(appDir: string): string[] {
  return ['sh', '-c', 'cat -- "$1" 2>/dev/null || echo none', 'shipproof-bundle', `${appDir.replace(/\/$/, '')}/${DEPLOYED_BUNDLE_FILE}`];
}

/** The hash of the bundle a deploy of this source would upload (the same computation deploy uses). */
export async function localBundleHash(config: ResolvedConfig, compose: ComposeModel | undefined): Promise<string | null> {
  if (compose === undefined) return null;
  return (await computeBundle({ config, compose })).sha256;
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
      localBundleHash(ctx.config, ctx.compose),
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
        deployedMatches: deployedHash === null || bundle === null ? null : deployedHash === bundle,
      },
      deployedHash === null ? 'nothing deployed yet' : deployedHash === bundle ? 'the deployed bundle matches' : 'the deployed bundle differs',
    );
  },
};
