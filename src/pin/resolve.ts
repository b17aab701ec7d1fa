// Reads, on the target, the digest of every image the compose files name: the repository digest
// when the image came from a registry (any host can pull exactly it), else the image id of a
// locally built image (valid on that target only, and the lock says so).
import type { ComposeProject } from '../compose/model.js';
import type { Docker } from '../docker/docker.js';
import type { ImageInfo } from '../docker/parse.js';
import type { SourceLocation } from '../errors.js';
import { normalizeRepository, parseImageRef } from './image-ref.js';
import { normalizeLock, type ImageLock, type LockedImage } from './lock.js';
import { alternativeNames, serviceImages, type ServiceImage } from './service-images.js';

export interface PinProblem {
  services: string[];
  image: string;
  message: string;
  location: SourceLocation;
}

export interface ResolveLockOptions {
  model: ComposeProject;
  /** The compose project name (build-only images are named after it). */
  project: string;
  targetName: string;
  docker: Docker;
  variables: Readonly<Record<string, string>>;
}

export interface ResolveLockResult {
  /** Set only when every image resolved: a partial lock would pin some images and silently not others. */
  lock?: ImageLock;
  images: LockedImage[];
  problems: PinProblem[];
}

/** The lock entry for one image from what `docker image inspect` said about it. */
export function lockedFromInspect(image: string, services: string[], info: ImageInfo, targetName: string): LockedImage {
  const ref = parseImageRef(image);
  const wanted = normalizeRepository(ref.repository);
  const repoDigest =
    info.repoDigests.find((d) => normalizeRepository(parseImageRef(d).repository) === wanted) ?? (ref.digest === undefined ? undefined : `${ref.repository}@${ref.digest}`);
  const digest = repoDigest === undefined ? undefined : parseImageRef(repoDigest).digest;
  if (digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(digest)) {
    const pinned = `${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}@${digest}`;
    return { image, services, source: 'registry', pinned, digest };
  }
  return {
    image,
    services,
    source: 'local',
    pinned: info.id,
    digest: info.id,
    note: `no registry digest (built or loaded locally), so pinned by image id, which exists on target "${targetName}" only`,
  };
}

/** Images grouped by reference, services in compose order. */
export function groupByImage(images: readonly ServiceImage[]): Map<string, ServiceImage[]> {
  const groups = new Map<string, ServiceImage[]>();
  for (const i of images) groups.set(i.image, [...(groups.get(i.image) ?? []), i]);
  return groups;
}

export async function resolveImageLock(o: ResolveLockOptions): Promise<ResolveLockResult> {
  const groups = groupByImage(serviceImages(o.model, o.project, o.variables));
  const images: LockedImage[] = [];
  const problems: PinProblem[] = [];
  await Promise.all(
    [...groups].map(async ([image, uses]) => {
      const first = uses[0] as ServiceImage;
      const services = uses.map((u) => u.service);
      const base = { services, image, location: first.location };
      const unresolved = [...new Set(uses.flatMap((u) => u.unresolved))];
      if (unresolved.length > 0) {
        problems.push({ ...base, message: `The image of ${services.join(', ')} needs ${unresolved.join(', ')}, which ${unresolved.length === 1 ? 'is' : 'are'} not set.` });
        return;
      }
      let info: ImageInfo | undefined;
      for (const name of [image, ...alternativeNames(first, o.project)]) {
        info = (await o.docker.images([name]))[0];
        if (info !== undefined) break;
      }
      if (info === undefined) {
        problems.push({
          ...base,
          message: first.buildOnly
            ? `The image of ${services.join(', ')} has not been built on ${o.targetName} (looked for ${image} and ${alternativeNames(first, o.project).join(', ')}).`
            : `The image ${image} (used by ${services.join(', ')}) is not on ${o.targetName}.`,
        });
        return;
      }
      images.push(lockedFromInspect(image, services, info, o.targetName));
    }),
  );
  images.sort((a, b) => (a.image < b.image ? -1 : 1));
  const lock = problems.length === 0 ? normalizeLock({ version: 1, project: o.project, target: o.targetName, images }) : undefined;
  return { ...(lock === undefined ? {} : { lock }), images, problems };
}
