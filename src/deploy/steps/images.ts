// Milestones 4 and 5: the key image builds, then every image is built or present; each service's
// exact image (built or published) is kept under a per-release tag, by id, for rollback.
import { parse as parseYaml } from 'yaml';
import { composeBuildCommand, composePullCommand, composeResolvedConfigCommand, inspectImagesCommand } from '../../docker/commands.js';
import { parseImageInspect, type ImageInfo } from '../../docker/parse.js';
import { composeRefused, describeComposeFailure } from '../../docker/compose-error.js';
import { LOCK_FILE_NAME, readImageLock } from '../../pin/lock.js';
import { tagImageCommand } from '../commands.js';
import type { Step, StepContext, StepOutcome } from '../context.js';
import { upsertRelease, type ReleaseRecord } from '../state.js';
import { BUILD_TIMEOUT_MS, keyService, meta, statePut } from './shared.js';

export interface ServiceImage {
  image: string;
  builds: boolean;
}

/** Images by service, from `compose config` (variables resolved). Parsed in memory only: the output may hold env values. */
export async function resolvedImages(ctx: StepContext, release: string): Promise<Record<string, ServiceImage>> {
  const r = await ctx.run(composeResolvedConfigCommand(ctx.composeFor(release)), { timeoutMs: 60_000, read: true });
  if (r.exitCode !== 0) throw composeRefused('config', r);
  const doc = parseYaml(r.stdout) as { services?: Record<string, { image?: string; build?: unknown }> };
  const out: Record<string, ServiceImage> = {};
  for (const [name, s] of Object.entries(doc.services ?? {})) {
    // Compose v1 names unnamed built images <project>_<service>; v2 <project>-<service>.
    const fallback = ctx.composeFor(release).flavor === 'v1' ? `${ctx.config.project}_${name}` : `${ctx.config.project}-${name}`;
    out[name] = { image: s.image ?? fallback, builds: s.build !== undefined };
  }
  return out;
}

/** The tag shipproof keeps for a release's image of one service, so a rollback can restore it. */
export function releaseTag(project: string, service: string, release: string): string {
  return `shipproof-release/${project}-${service}:${release}`.toLowerCase();
}

/** Every ref's image on the host, by ref (one inspect for all; a missing ref is simply absent). */
export async function inspectImages(ctx: StepContext, refs: readonly string[]): Promise<Map<string, ImageInfo>> {
  const out = new Map<string, ImageInfo>();
  if (refs.length === 0) return out;
  const r = await ctx.run(inspectImagesCommand(refs), { timeoutMs: 30_000, read: true });
  let infos: ImageInfo[] = [];
  try {
    infos = r.stdout.trim() ? parseImageInspect(r.stdout) : [];
  } catch {
    infos = [];
  }
  for (const ref of refs) {
    const full = ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
    const hit = infos.find((i) => i.repoTags.includes(full) || i.repoTags.includes(ref) || i.id === ref || i.repoDigests.includes(ref));
    if (hit) out.set(ref, hit);
  }
  return out;
}

/** Published images on the host that differ from what shipproof.lock pins (built images are the release's own). */
async function lockedImageProblems(ctx: StepContext, images: Record<string, ServiceImage>, found: Map<string, ImageInfo>): Promise<string[]> {
  const lock = await readImageLock(ctx.config.rootDir);
  if (lock === undefined) return [];
  const problems: string[] = [];
  for (const entry of lock.images) {
    for (const svc of entry.services) {
      const img = images[svc];
      if (img === undefined || img.builds) continue;
      const info = found.get(img.image);
      const matches = entry.source === 'local' ? info?.id === entry.digest : (info?.repoDigests ?? []).some((d) => d.endsWith(`@${entry.digest}`));
      if (!matches) problems.push(`${svc} runs ${img.image}, which is not the image ${LOCK_FILE_NAME} pins (${entry.pinned}); pull that digest or run \`shipproof pin\` again`);
    }
  }
  return problems;
}

/** A pulled image's repo digest for its own repository (`caddy@sha256:…` for `caddy:2`), if the registry gave one. */
export function repoDigestOf(ref: string, repoDigests: readonly string[]): string | undefined {
  const repo = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref.replace(/:[^/:]+$/, '');
  return repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? repoDigests[0];
}

/** The service milestone 4 built in this run. */
const builtThisRun = new WeakMap<StepContext['bundle'], string>();

function buildOutput(ctx: StepContext, r: { stdout: string; stderr: string }): void {
  ctx.show(`build output (last lines):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
}

export const keyImageBuilds: Step = {
  ...meta(4),
  changes: true,
  plan: (ctx) => {
    const svc = keyService(ctx);
    return svc
      ? [
          { argv: composeBuildCommand(ctx.composeFor(ctx.release), [svc]) },
          { argv: composeResolvedConfigCommand(ctx.composeFor(ctx.release)), note: 'image names only; output never shown or stored' },
          { argv: inspectImagesCommand(['<image of each service>']), serverOnly: true },
        ]
      : [];
  },
  async run(ctx): Promise<StepOutcome> {
    const svc = keyService(ctx);
    if (svc === undefined) return { status: 'skipped', reason: 'no service builds an image (all use published images)', observations: {} };
    await ctx.confirm(`build the image of ${svc} on ${ctx.host.description}`);
    ctx.log(`building ${svc} (this can take minutes)`);
    const r = await ctx.run(composeBuildCommand(ctx.composeFor(ctx.release), [svc]), { timeoutMs: BUILD_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      buildOutput(ctx, r);
      return { status: 'fail', reason: describeComposeFailure('build', r, `the build of ${svc} failed`), observations: { service: svc } };
    }
    const images = await resolvedImages(ctx, ctx.release);
    const ref = images[svc]?.image;
    const found = ref ? await inspectImages(ctx, [ref]) : new Map<string, ImageInfo>();
    if (!ref || !found.has(ref)) return { status: 'fail', reason: `the image ${ref ?? ''} is not on the host after the build`, observations: { service: svc } };
    builtThisRun.set(ctx.bundle, svc);
    return { status: 'pass', observations: { service: svc, image: ref, imageId: found.get(ref)!.id, buildMs: r.durationMs } };
  },
};

export const allImagesBuild: Step = {
  ...meta(5),
  changes: true,
  plan: (ctx) => {
    const built = ctx.compose.services.filter((s) => s.build !== undefined).map((s) => s.name);
    const onlyKey = built.length === 1 && built[0] === keyService(ctx);
    return [
      ...(built.length ? [{ argv: composeBuildCommand(ctx.composeFor(ctx.release)), ...(onlyKey ? { when: 'unless milestone 4 built the only built image in this run' } : {}) }] : []),
      { argv: composeResolvedConfigCommand(ctx.composeFor(ctx.release)), note: 'image names only; output never shown or stored' },
      { argv: inspectImagesCommand(['<image of each service>']), serverOnly: true },
      { argv: composePullCommand(ctx.composeFor(ctx.release), ['<services whose image is missing>']), serverOnly: true, when: 'only for published images missing on the host' },
      ...ctx.compose.services.map((s) => ({ argv: tagImageCommand(`<image id of ${s.name}>`, releaseTag(ctx.config.project, s.name, ctx.release)), serverOnly: true })),
      statePut(ctx),
    ];
  },
  async run(ctx): Promise<StepOutcome> {
    let images = await resolvedImages(ctx, ctx.release);
    const built = Object.entries(images).filter(([, v]) => v.builds);
    // When the key image was the only one to build and milestone 4 just built it, do not build it twice.
    const onlyKeyBuilt = built.length === 1 && built[0]![0] === builtThisRun.get(ctx.bundle);
    if (built.length > 0 && !onlyKeyBuilt) {
      await ctx.confirm(`build ${built.length} image(s) on ${ctx.host.description}`);
      ctx.log(`building ${built.map(([k]) => k).join(', ')}`);
      const r = await ctx.run(composeBuildCommand(ctx.composeFor(ctx.release)), { timeoutMs: BUILD_TIMEOUT_MS });
      if (r.exitCode !== 0) {
        buildOutput(ctx, r);
        return { status: 'fail', reason: describeComposeFailure('build', r), observations: {} };
      }
      images = await resolvedImages(ctx, ctx.release);
    }
    const refs = [...new Set(Object.values(images).map((v) => v.image))];
    let found = await inspectImages(ctx, refs);
    const missingServices = Object.entries(images).filter(([, v]) => !v.builds && !found.has(v.image)).map(([k]) => k);
    if (missingServices.length) {
      // Published images not on the host yet: pull them (fails without a registry).
      await ctx.confirm(`pull ${missingServices.join(', ')}`);
      await ctx.run(composePullCommand(ctx.composeFor(ctx.release), missingServices), { timeoutMs: BUILD_TIMEOUT_MS });
      found = await inspectImages(ctx, refs);
    }
    const missing = refs.filter((r) => !found.has(r)).sort();
    if (missing.length) return { status: 'fail', reason: `image(s) not available on the host: ${missing.join(', ')}`, observations: { missing } };
    // shipproof.lock (from `shipproof pin`): a published image must be the very one pinned.
    const lockProblems = await lockedImageProblems(ctx, images, found);
    if (lockProblems.length) return { status: 'fail', reason: lockProblems.join('; '), observations: { lockFile: LOCK_FILE_NAME } };
    // Keep every service's exact image (by id) under this release's tag, so a rollback brings back these bytes.
    const kept: ReleaseRecord['images'] = {};
    const tagged = await Promise.all(
      Object.entries(images).map(async ([svc, v]) => {
        const id = found.get(v.image)!.id;
        const tag = releaseTag(ctx.config.project, svc, ctx.release);
        const repoDigest = v.builds ? undefined : repoDigestOf(v.image, found.get(v.image)!.repoDigests);
        kept[svc] = { ref: v.image, releaseTag: tag, id, built: v.builds, ...(repoDigest ? { repoDigest } : {}) };
        return (await ctx.run(tagImageCommand(id, tag))).exitCode === 0 ? undefined : `could not keep the image of ${svc} under ${tag}`;
      }),
    );
    const untagged = tagged.filter((x): x is string => x !== undefined);
    if (untagged.length) return { status: 'fail', reason: untagged.join('; '), observations: {} };
    const rec = ctx.state().releases.find((r) => r.id === ctx.release);
    if (rec) await ctx.saveState(upsertRelease(ctx.state(), { ...rec, images: kept }));
    return {
      status: 'pass',
      observations: {
        images: Object.entries(kept).map(([k, v]) => `${k}: ${v.ref} ${v.id ?? ''}${v.built ? ' (built)' : ''}`),
        releaseTags: Object.values(kept).map((t) => t.releaseTag),
      },
    };
  },
};
