// A release's identity: its bundle (files and env fingerprints) AND the image id each published
// image resolves to on the target. A moved tag (`:latest` re-pointed, a re-pull) therefore makes
// a new release that the plan shows, instead of a silent "nothing to change". Services pinned by
// shipproof.lock are covered by the lock file, which is part of the bundle: the lock wins.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ResolvedConfig } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { inspectImagesCommand } from '../docker/commands.js';
import { parseImageInspect } from '../docker/parse.js';
import { interpolationVariables } from '../pin/image-ref.js';
import { readImageLock } from '../pin/lock.js';
import { serviceImages } from '../pin/service-images.js';
import { parseEnvValues } from '../redact/index.js';
import type { Target } from '../targets/target.js';
import type { Bundle } from './bundle.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** `docker pull <ref>`: the one way shipproof fetches a published image before deciding the release. */
export function pullImageCommand(ref: string): string[] {
  return ['docker', 'pull', '--quiet', ref];
}

/** Published images by service (built ones are covered by the bundle; locked ones by the lock file). */
export async function publishedImages(config: ResolvedConfig, compose: ComposeModel): Promise<Map<string, string>> {
  const vars = await interpolationVariables(compose.projectDir);
  // The env file uploaded as the server's .env fills image names the way compose will there.
  const dotenv = config.envFiles.find((e) => e.path === '.env' && e.source !== undefined);
  if (dotenv) {
    const text = await readFile(dotenv.source!, 'utf8').catch(() => '');
    for (const e of parseEnvValues(text)) if (e.values[0] !== undefined && process.env[e.key] === undefined) vars[e.key] = e.values[0];
  }
  const lock = await readImageLock(config.rootDir).catch(() => undefined);
  const locked = new Set(lock?.images.flatMap((i) => i.services) ?? []);
  const all = serviceImages(compose, config.project, vars);
  const builds = (service: string): boolean => compose.services.find((s) => s.name === service)?.build !== undefined;
  // An image another service builds (a worker running web's image) is the release's own, not published.
  const built = new Set(all.filter((i) => builds(i.service)).map((i) => i.image));
  const out = new Map<string, string>();
  for (const img of all) {
    if (img.buildOnly || builds(img.service) || built.has(img.image) || locked.has(img.service) || img.unresolved.length) continue;
    out.set(img.service, img.image);
  }
  return out;
}

/** Each published image's id on the target (undefined when missing), pulling first as the policy says. */
export async function resolveImageIds(host: Target, images: ReadonlyMap<string, string>, pull: PullPolicy, mayPull: boolean, log: (l: string) => void): Promise<Map<string, string | undefined>> {
  const refs = [...new Set(images.values())];
  const inspect = async (): Promise<Map<string, string>> => {
    const byRef = new Map<string, string>();
    if (refs.length === 0) return byRef;
    const r = await host.exec(inspectImagesCommand(refs), { reject: false, timeoutMs: 30_000 });
    const infos = r.stdout.trim() ? (() => { try { return parseImageInspect(r.stdout); } catch { return []; } })() : [];
    for (const ref of refs) {
      const full = /:[^/]+$|@/.test(ref) ? ref : `${ref}:latest`;
      const hit = infos.find((i) => i.repoTags.includes(full) || i.repoTags.includes(ref) || i.repoDigests.includes(ref));
      if (hit) byRef.set(ref, hit.id);
    }
    return byRef;
  };
  let ids = await inspect();
  const toPull = pull === 'never' || !mayPull ? [] : refs.filter((r) => pull === 'always' || !ids.has(r));
  if (toPull.length) {
    for (const ref of toPull) {
      log(`pulling ${ref} (deploy.pull: ${pull})`);
      const r = await host.exec(pullImageCommand(ref), { reject: false, timeoutMs: 30 * 60_000 });
      if (r.exitCode !== 0) log(`  could not pull ${ref}; using the image on the host, if any`);
    }
    ids = await inspect();
  }
  return new Map([...images].map(([svc, ref]) => [svc, ids.get(ref)]));
}

/** The release id: the bundle's identity, extended by the published images' ids when there are any. Pure. */
export function releaseId(bundle: Pick<Bundle, 'releaseId'>, ids: ReadonlyMap<string, string | undefined>): string {
  if (ids.size === 0) return bundle.releaseId;
  const lines = [...ids].sort(([a], [b]) => a.localeCompare(b)).map(([svc, id]) => `${svc}=${id ?? 'missing'}`);
  return `r-${createHash('sha256').update([bundle.releaseId, ...lines].join('\n')).digest('hex').slice(0, 12)}`;
}
