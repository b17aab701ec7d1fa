// The image each compose service runs, as `docker compose` would name it: the `image:` with
// `${…}` filled in, or for a service with only `build:` the name compose gives the build.
import type { ComposeProject } from '../compose/model.js';
import type { SourceLocation } from '../errors.js';
import { interpolate } from './image-ref.js';

export interface ServiceImage {
  service: string;
  /** The reference to pin; for build-only services `<project>-<service>` (Compose v2's name). */
  image: string;
  /** As written in the compose file; undefined for build-only services. */
  declared?: string;
  /** The service has `build:` and no `image:`: the image exists only where it was built. */
  buildOnly: boolean;
  /** Variables the reference needs that are not set; the reference is then incomplete. */
  unresolved: string[];
  location: SourceLocation;
}

/** Other names the same image may have on a host: Compose v1 joins project and service with "_". */
export function alternativeNames(image: ServiceImage, project: string): string[] {
  return image.buildOnly ? [`${project}_${image.service}`] : [];
}

export function serviceImages(model: ComposeProject, project: string, vars: Readonly<Record<string, string>>): ServiceImage[] {
  const out: ServiceImage[] = [];
  for (const service of model.services) {
    const location = service.fieldLocations.image ?? service.fieldLocations.build ?? service.location;
    if (service.image === undefined) {
      if (service.build === undefined) continue;
      out.push({ service: service.name, image: `${project}-${service.name}`, buildOnly: true, unresolved: [], location });
      continue;
    }
    const filled = interpolate(service.image, vars);
    out.push({ service: service.name, image: filled.text, declared: service.image, buildOnly: false, unresolved: filled.unresolved, location });
  }
  return out;
}
