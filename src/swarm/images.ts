// Images for a swarm release: built services are built on the operator's machine and tagged
// `<repo>:sp-<image id 12>` (content-addressed, so one tag per built image of a release); published
// images are pinned to `repo@sha256:<digest>` when the manager knows their digest, else to the same
// kind of tag on the manager. Whatever the manager lacks is streamed `docker save | docker load`.
import path from 'node:path';
import type { ComposeService } from '../compose/model.js';
import type { Target } from '../targets/target.js';
import * as cmd from './commands.js';
import type { Runner } from './runner.js';

export interface PinnedImage {
  ref: string;
  id: string;
  entrypoint: string[];
  cmd: string[];
  how: 'built' | 'digest' | 'tag';
  loaded: boolean;
}

interface Inspected {
  Id: string;
  RepoDigests?: string[];
  Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null };
}

async function inspect(r: Runner, ref: string): Promise<Inspected | undefined> {
  const res = await r.run(cmd.imageInspect(ref), { reject: false });
  if (res.exitCode !== 0) return undefined;
  return JSON.parse(res.stdout) as Inspected;
}

/** `repo` of a reference: without tag or digest. */
export function repoOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function releaseTag(repo: string, imageId: string): string {
  return `${repo}:sp-${imageId.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Streams an image from the operator's engine into the manager's. */
async function carry(local: Target, manager: Runner, ref: string): Promise<void> {
  const save = await local.spawn(cmd.imageSave(ref));
  save.stdin.end();
  const [load, end] = await Promise.all([manager.run(cmd.imageLoad(), { stdin: save.stdout, timeoutMs: 600_000, reject: false }), save.done]);
  if (end.exitCode !== 0 || load.exitCode !== 0) throw new Error(`docker save ${ref} | docker load failed (save exit ${end.exitCode}, load exit ${load.exitCode}): ${load.stderr.trim().slice(0, 200)}`);
}

export async function pinImages(o: { services: ComposeService[]; projectDir: string; project: string; local: Runner; manager: Runner }): Promise<Record<string, PinnedImage>> {
  const out: Record<string, PinnedImage> = {};
  const built = new Map<string, PinnedImage>();
  for (const s of o.services.filter((x) => x.build !== undefined)) {
    const repo = s.image === undefined ? `${o.project}-${s.name}` : repoOf(s.image);
    const b = s.build!;
    const context = path.resolve(o.projectDir, b.context);
    const res = await o.local.run(cmd.imageBuild(context, `${repo}:shipproof-build`, b.dockerfile === undefined ? undefined : path.resolve(context, b.dockerfile), b.target), { timeoutMs: 900_000 });
    const id = res.stdout.trim().split('\n').pop()!.trim();
    const tag = releaseTag(repo, id);
    await o.local.run(cmd.imageTag(id, tag));
    const info = (await inspect(o.local, tag))!;
    const there = await inspect(o.manager, tag);
    let loaded = false;
    if (there?.Id !== info.Id) {
      await carry(o.local.target, o.manager, tag);
      loaded = true;
    }
    const p: PinnedImage = { ref: tag, id: info.Id, entrypoint: info.Config?.Entrypoint ?? [], cmd: info.Config?.Cmd ?? [], how: 'built', loaded };
    out[s.name] = p;
    if (s.image !== undefined) built.set(s.image, p);
  }
  for (const s of o.services.filter((x) => x.build === undefined)) {
    const ref = s.image!;
    const same = built.get(ref);
    if (same !== undefined) {
      out[s.name] = same;
      continue;
    }
    let info = await inspect(o.manager, ref);
    let loaded = false;
    if (info === undefined) {
      if ((await inspect(o.local, ref)) === undefined) throw new Error(`image ${ref} of ${s.name} is neither on the manager nor on this machine`);
      await carry(o.local.target, o.manager, ref);
      loaded = true;
      info = (await inspect(o.manager, ref))!;
    }
    const repo = repoOf(ref);
    const digest = (info.RepoDigests ?? []).find((d) => repoOf(d) === repo);
    let pinned: string;
    if (digest !== undefined) pinned = digest;
    else {
      pinned = releaseTag(repo, info.Id);
      await o.manager.run(cmd.imageTag(info.Id, pinned));
    }
    out[s.name] = { ref: pinned, id: info.Id, entrypoint: info.Config?.Entrypoint ?? [], cmd: info.Config?.Cmd ?? [], how: digest !== undefined ? 'digest' : 'tag', loaded };
  }
  return out;
}
