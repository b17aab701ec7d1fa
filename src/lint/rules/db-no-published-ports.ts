// Databases and caches publish no ports: they serve the stack over the compose network only.
import { familyOfImage } from '../../backup/engines/catalogue.js';
import { describePort, isDataEngine, isLoopback } from '../classify.js';
import type { LintRule, RuleFinding } from '../types.js';

export const dbNoPublishedPorts: LintRule = {
  id: 'db-no-published-ports',
  title: 'Databases and caches publish no ports',
  why: 'A published database or cache port is reachable from the internet (Docker bypasses ufw), inviting password guessing and exploits; the app reaches it over the compose network anyway.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      const image = ctx.images.get(service.name) ?? service.image;
      const family = image === undefined ? undefined : familyOfImage(image);
      // The catalogue knows data stores whose backup is a file archive too (Elasticsearch, SQL Server, …).
      const dataStore = isDataEngine(ctx.engines.get(service.name)) || (family?.dataStore === true && ctx.config.stateful[service.name] !== false);
      if (!dataStore) continue;
      const engine = family?.label ?? ctx.engines.get(service.name);
      for (const port of service.ports) {
        const loopback = isLoopback(port);
        findings.push({
          severity: loopback ? 'warning' : 'error',
          service: service.name,
          location: port.location,
          message: loopback
            ? `Service "${service.name}" (${engine}) publishes ${describePort(port)} on this machine only.`
            : `Service "${service.name}" (${engine}) publishes ${describePort(port)} on every address.`,
          ...(loopback ? { why: 'Bound to 127.0.0.1 it is not public, but every local user and process can reach it, and it is easy to widen by mistake.' } : {}),
          fix: `Remove the mapping from "ports:"; other services reach ${service.name} at ${service.name}:${port.target}. For one-off access use \`docker compose exec ${service.name} …\` or an SSH tunnel.`,
        });
      }
    }
    return findings;
  },
};
