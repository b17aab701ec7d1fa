// Whether shipproof.lock and the compose files agree: every image a service runs is locked for
// that service, nothing locked is unused, and a digest written in the compose file matches the
// lock's. Offline: reads files only.
import type { ResolvedConfig } from '../config/load.js';
import type { ComposeProject } from '../compose/model.js';
import type { SourceLocation } from '../errors.js';
import { interpolationVariables, parseImageRef } from './image-ref.js';
import { LOCK_FILE_NAME, lockPath, readImageLock, type ImageLock } from './lock.js';
import { groupByImage, type PinProblem } from './resolve.js';
import { serviceImages } from './service-images.js';

export interface LockCheck {
  ok: boolean;
  /** Absolute path of shipproof.lock. */
  lockFile: string;
  lock?: ImageLock;
  problems: PinProblem[];
}

/** Pure comparison of a lock with what the compose model names. */
export function compareLock(lock: ImageLock | undefined, model: ComposeProject, project: string, vars: Readonly<Record<string, string>>, lockLocation: SourceLocation): PinProblem[] {
  const groups = groupByImage(serviceImages(model, project, vars));
  if (lock === undefined) {
    return [
      {
        services: [...groups.values()].flat().map((i) => i.service),
        image: '',
        message: `${LOCK_FILE_NAME} does not exist, so no image is pinned.`,
        location: lockLocation,
      },
    ];
  }
  const problems: PinProblem[] = [];
  if (lock.project !== project) {
    problems.push({ services: [], image: '', message: `${LOCK_FILE_NAME} was written for project "${lock.project}", not "${project}".`, location: lockLocation });
  }
  for (const [image, uses] of groups) {
    const first = uses[0];
    if (first === undefined) continue;
    const services = uses.map((u) => u.service);
    const base = { services, image, location: first.location };
    const unresolved = [...new Set(uses.flatMap((u) => u.unresolved))];
    if (unresolved.length > 0) {
      problems.push({ ...base, message: `The image of ${services.join(', ')} needs ${unresolved.join(', ')}, which ${unresolved.length === 1 ? 'is' : 'are'} not set, so it cannot be matched with the lock.` });
      continue;
    }
    const entry = lock.images.find((i) => i.image === image);
    if (entry === undefined) {
      problems.push({ ...base, message: `${services.join(', ')} ${services.length === 1 ? 'runs' : 'run'} ${image}, which ${LOCK_FILE_NAME} does not pin.` });
      continue;
    }
    const missing = services.filter((s) => !entry.services.includes(s));
    const extra = entry.services.filter((s) => !services.includes(s));
    if (missing.length > 0 || extra.length > 0) {
      problems.push({
        ...base,
        message: `${LOCK_FILE_NAME} pins ${image} for ${entry.services.join(', ')}, but the compose files use it for ${services.join(', ')}.`,
      });
    }
    const written = parseImageRef(image).digest;
    if (written !== undefined && written !== entry.digest) {
      problems.push({ ...base, message: `The compose files pin ${image}, but ${LOCK_FILE_NAME} holds ${entry.digest} for it.` });
    }
  }
  for (const entry of lock.images) {
    if (groups.has(entry.image)) continue;
    problems.push({
      services: entry.services,
      image: entry.image,
      message: `${LOCK_FILE_NAME} pins ${entry.image} for ${entry.services.join(', ')}, but no service runs it any more.`,
      location: lockLocation,
    });
  }
  return problems;
}

/** Reads shipproof.lock next to shipproof.yaml and compares it with the compose model. */
export async function checkImageLock(config: ResolvedConfig, model: ComposeProject, o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LockCheck> {
  const lockFile = lockPath(config.rootDir);
  const lock = await readImageLock(config.rootDir, o.cwd);
  const vars = await interpolationVariables(model.projectDir, o.env);
  const problems = compareLock(lock, model, config.project, vars, { file: lockFile });
  return { ok: problems.length === 0, lockFile, ...(lock === undefined ? {} : { lock }), problems };
}
