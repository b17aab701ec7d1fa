// Services that need the database wait for it with `condition: service_healthy`: "started" only
// means the process exists, not that it accepts connections.
import { isDataEngine } from '../classify.js';
import type { LintRule, RuleFinding } from '../types.js';

/** Environment names that say a service talks to a database or cache. */
const DB_CLIENT_NAMES = /^(DATABASE_URL|DB_(HOST|URL|URI)|PGHOST|POSTGRES_(HOST|URL)|MYSQL_(HOST|URL)|MARIADB_(HOST|URL)|REDIS_(URL|HOST)|MONGO(DB)?_(URL|URI|HOST))$/;

export const dependsOnHealthy: LintRule = {
  id: 'depends-on-healthy',
  title: 'Services wait for the database with service_healthy',
  why: 'A service started before its database accepts connections fails its migrations or first queries and crash-loops, or worse, comes up half-working; compose waits properly only with condition: service_healthy.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    const dataServices = ctx.model.services.filter((s) => isDataEngine(ctx.engines.get(s.name))).map((s) => s.name);
    for (const service of ctx.model.services) {
      if (isDataEngine(ctx.engines.get(service.name))) continue;
      for (const dep of service.dependsOn) {
        if (!dataServices.includes(dep.service) || dep.condition === 'service_healthy') continue;
        findings.push({
          severity: 'error',
          service: service.name,
          location: dep.location,
          message: `Service "${service.name}" waits for "${dep.service}" only until it has ${dep.condition === 'service_started' ? 'started' : 'completed'}, not until it is healthy.`,
          fix: `Write \`depends_on: { ${dep.service}: { condition: service_healthy } }\` and give ${dep.service} a healthcheck (pg_isready, redis-cli ping, …).`,
        });
      }
      if (dataServices.length === 0 || service.dependsOn.some((d) => dataServices.includes(d.service))) continue;
      const client = service.environment.find((e) => DB_CLIENT_NAMES.test(e.name));
      if (client === undefined) continue;
      findings.push({
        severity: 'warning',
        service: service.name,
        location: client.location,
        message: `Service "${service.name}" sets ${client.name} but does not wait for ${dataServices.join(' or ')}.`,
        fix: `Add \`depends_on: { ${dataServices[0]}: { condition: service_healthy } }\` to ${service.name}.`,
      });
    }
    return findings;
  },
};
