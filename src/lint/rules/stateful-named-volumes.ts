// Stateful services keep their data in named volumes: they outlive the container, and backups and
// restores find them by name.
import { fieldLocation, type LintRule, type RuleFinding } from '../types.js';

export const statefulNamedVolumes: LintRule = {
  id: 'stateful-named-volumes',
  title: 'Stateful services keep data in named volumes',
  why: 'Data written inside the container or to an anonymous volume is lost when the container is recreated or the stack is taken down with -v; named volumes survive, and shipproof backs them up by name.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      const engine = ctx.engines.get(service.name);
      // "volume" means the service already has named volumes (that is how it was detected).
      if (engine === undefined || engine === 'volume') continue;
      if (service.volumes.some((v) => v.type === 'named')) continue;
      const bind = service.volumes.find((v) => v.type === 'bind');
      const where = service.volumes.length > 0 ? fieldLocation(service, 'volumes') : service.location;
      findings.push({
        severity: bind === undefined ? 'error' : 'warning',
        service: service.name,
        location: bind?.location ?? where,
        message:
          bind === undefined
            ? `Service "${service.name}" (${engine}) keeps its data in no named volume, so it is lost when the container is recreated.`
            : `Service "${service.name}" (${engine}) keeps its data in a bind-mounted folder, not a named volume.`,
        ...(bind === undefined
          ? {}
          : { why: 'A host folder survives, but its ownership and permissions follow the host, it is left out of volume backups, and a move to a new server needs a manual copy.' }),
        fix: `Mount a named volume at the data folder (e.g. \`volumes: ["${service.name}_data:<data dir>"]\`) and declare it under the top-level volumes:.`,
      });
    }
    return findings;
  },
};
