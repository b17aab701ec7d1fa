// What Compose itself rejects once the files are merged: no services, a service with neither
// image nor build, a dependency on a service that does not exist, a depends_on cycle (a service
// depending on itself included), a named volume or a network that is not declared, network_mode
// together with networks.
import path from 'node:path';
import { ConfigError, type SourceLocation } from '../errors.js';
import type { ComposeProject, ComposeService, Dependency } from './model.js';

export function validateProject(project: ComposeProject, all: readonly ComposeService[], first: SourceLocation): ConfigError[] {
  const errors: ConfigError[] = [];
  if (all.length === 0) {
    errors.push(
      new ConfigError(`${path.basename(first.file)} defines no services.`, {
        location: first,
        hint: 'A compose file needs a services: mapping with at least one service (its own, or from an include:).',
      }),
    );
  }
  const volumeNames = new Set(project.volumes.map((v) => v.name));
  // Compose creates `default` itself; any other network must be declared.
  const networkNames = new Set(['default', ...project.networks.map((n) => n.name)]);
  const serviceNames = new Set(all.map((s) => s.name));
  for (const service of all) {
    if (service.image === undefined && service.build === undefined) {
      errors.push(
        new ConfigError(`Service "${service.name}" has neither image: nor build:.`, {
          location: service.location,
          hint: 'Compose v1 and v2 both need one of them to know what to run.',
        }),
      );
    }
    for (const mount of service.volumes) {
      if (mount.type === 'named' && mount.source !== undefined && !mount.source.includes('$') && !volumeNames.has(mount.source)) {
        errors.push(
          new ConfigError(`Service "${service.name}" mounts the volume "${mount.source}", which is not declared under the top-level volumes:.`, {
            location: mount.location,
            hint: `Add "volumes: { ${mount.source}: {} }" at the top level, or write "./${mount.source}" for a folder next to the compose file.`,
          }),
        );
      }
    }
    if (service.networkMode !== undefined && service.networks.length > 0) {
      errors.push(
        new ConfigError(`Service "${service.name}" sets both network_mode: and networks:, which cannot be combined.`, {
          location: service.fieldLocations.network_mode ?? service.location,
          hint: 'Compose v1 and v2 both refuse it: keep network_mode: (host, none, service:…) or the networks: it joins, not both.',
        }),
      );
    }
    for (const network of service.networks) {
      if (!network.name.includes('$') && !networkNames.has(network.name)) {
        errors.push(
          new ConfigError(`Service "${service.name}" uses the network "${network.name}", which is not declared under the top-level networks:.`, {
            location: network.location,
            hint: `Add "networks: { ${network.name}: {} }" at the top level (external: true for one made outside the project). Compose v2 refuses this in config; v1's config lets it pass, but its up fails.`,
          }),
        );
      }
    }
    for (const dependency of service.dependsOn) {
      if (!serviceNames.has(dependency.service)) {
        errors.push(
          new ConfigError(`Service "${service.name}" depends on "${dependency.service}", which is not a service.`, {
            location: dependency.location,
            hint: `Services: ${[...serviceNames].join(', ')}.`,
          }),
        );
      }
    }
  }
  errors.push(...dependencyCycles(all));
  return errors;
}

/** One error per cycle, at the depends_on entry that closes it, naming every service in it. */
export function dependencyCycles(services: readonly ComposeService[]): ConfigError[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const errors: ConfigError[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep.service)) continue;
      if (state.get(dep.service) === 'open') errors.push(cycleError(stack.slice(stack.indexOf(dep.service)), dep));
      else if (!state.has(dep.service)) visit(dep.service);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const s of services) if (!state.has(s.name)) visit(s.name);
  return errors;
}

function cycleError(cycle: string[], closing: Dependency): ConfigError {
  const hint = 'Compose v1 and v2 both refuse to start services that wait for each other; remove one of these depends_on entries.';
  if (cycle.length === 1) return new ConfigError(`Service "${cycle[0]}" depends on itself.`, { location: closing.location, hint });
  return new ConfigError(`Services ${[...cycle, cycle[0]].map((s) => `"${s}"`).join(' -> ')} depend on each other in a cycle.`, { location: closing.location, hint });
}
