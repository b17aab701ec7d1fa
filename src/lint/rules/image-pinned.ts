// Images are pinned by digest, so a deploy runs the bytes that were tested: a digest in the compose
// file, or an entry in shipproof.lock. A tag is a warning; `latest` or no tag is an error.
import { lockedImage } from '../../pin/lock.js';
import { isDigestPinned, parseImageRef } from '../../pin/image-ref.js';
import { serviceImages } from '../../pin/service-images.js';
import type { LintRule, RuleFinding } from '../types.js';

export const imagePinned: LintRule = {
  id: 'image-pinned',
  title: 'Images are pinned by digest',
  why: 'A tag can be moved to other bytes at any time; a redeploy or a restore onto a fresh server then runs an image nobody tested, and a rollback may not return to what ran before.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    const project = ctx.config.project;
    const images = serviceImages(ctx.model, project, ctx.variables);
    // Images this project builds (a service with build:, under its image: name or compose's): the
    // bundle pins their source, and `shipproof pin` records their id. Nothing upstream moves them.
    const built = new Set(images.filter((i) => i.buildOnly || ctx.model.services.find((s) => s.name === i.service)?.build !== undefined).map((i) => i.image));
    for (const image of images) {
      if (built.has(image.image)) continue;
      const base = { service: image.service, location: image.location };
      if (image.unresolved.length > 0) {
        findings.push({
          ...base,
          severity: 'warning',
          message: `Service "${image.service}" takes its image from ${image.unresolved.join(', ')}, which ${image.unresolved.length === 1 ? 'is' : 'are'} not set here, so shipproof cannot tell whether it is pinned.`,
          fix: `Set ${image.unresolved.join(', ')} in the project's .env to a reference with @sha256:…, or run \`shipproof pin\` with the variables set and deploy from shipproof.lock.`,
        });
        continue;
      }
      if (isDigestPinned(image.image)) continue;
      const ref = parseImageRef(image.image);
      // As written, with what it resolved to when variables were involved.
      const shown = image.declared !== undefined && image.declared !== image.image ? `${image.declared} (here: ${image.image})` : image.image;
      const floating = ref.tag === undefined || ref.tag === 'latest';
      const locked = ctx.lock === undefined ? undefined : lockedImage(ctx.lock, image.image);
      if (locked !== undefined) {
        if (!floating) continue;
        findings.push({
          ...base,
          severity: 'warning',
          message: `Service "${image.service}" names ${shown}; shipproof.lock pins it, but the compose file alone would run whatever "latest" is.`,
          fix: `Write a version tag (e.g. ${ref.repository}:<version>) so the compose file says what the lock holds, then re-run \`shipproof pin\`.`,
        });
        continue;
      }
      findings.push({
        ...base,
        severity: floating ? 'error' : 'warning',
        message: floating
          ? `Service "${image.service}" runs ${shown}${ref.tag === undefined ? ' (no tag, so "latest")' : ''}, which moves with every release upstream.`
          : `Service "${image.service}" runs ${shown}, pinned by a tag only.`,
        fix: `Run \`shipproof pin\` to record the digest in shipproof.lock, or write ${ref.repository}${ref.tag === undefined ? ':<version>' : `:${ref.tag}`}@sha256:<digest> in the compose file.`,
      });
    }
    return findings;
  },
};
