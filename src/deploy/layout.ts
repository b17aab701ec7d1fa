// Where things live in the app folder on the server. Pure path arithmetic.
//   <appDir>/releases/<release id>/      the bundle of one release, plus .shipproof/release.json
//   <appDir>/current -> releases/<id>    switched only after the health gate passed
//   <appDir>/live -> releases/<id>       the release the stack runs from: compose always runs with this
//                                        stable project folder, so paths do not move with releases
//   <appDir>/mounts/<sha256>-<name>      bind-mounted bundle files and folders, content-addressed:
//                                        a service's config hash changes only when their content does
//   <appDir>/releases/<id>/<env file>    each release's own copy of every env file (0600)
//   <appDir>/.shipproof/state.json       release history: deployed, healthy, last known good
//   <appDir>/.shipproof/lock/            the deploy lock (mkdir is atomic), holder in lock/holder.json
//   <appDir>/.shipproof/uploaded.json    sha256 of each env file shipproof uploaded, by path (0600; env-ownership.ts)
//   <appDir>/<env file>                  where env files are uploaded and checked (milestone 2); copied into the release
import { posix } from 'node:path';

export interface Layout {
  appDir: string;
  releasesDir: string;
  current: string;
  live: string;
  mountsDir: string;
  metaDir: string;
  stateFile: string;
  lockDir: string;
  lockHolder: string;
  releaseDir(id: string): string;
  releaseMeta(id: string): string;
}

export function layout(appDir: string): Layout {
  const a = appDir.replace(/\/+$/, '');
  const metaDir = posix.join(a, '.shipproof');
  return {
    appDir: a,
    releasesDir: posix.join(a, 'releases'),
    current: posix.join(a, 'current'),
    live: posix.join(a, 'live'),
    mountsDir: posix.join(a, 'mounts'),
    metaDir,
    stateFile: posix.join(metaDir, 'state.json'),
    lockDir: posix.join(metaDir, 'lock'),
    lockHolder: posix.join(metaDir, 'lock', 'holder.json'),
    releaseDir: (id) => posix.join(a, 'releases', id),
    releaseMeta: (id) => posix.join(a, 'releases', id, '.shipproof', 'release.json'),
  };
}

/** Where a relative path of the project (compose file, env file) is inside a release. */
export function inRelease(l: Layout, id: string, rel: string): string {
  return posix.join(l.releaseDir(id), rel);
}
