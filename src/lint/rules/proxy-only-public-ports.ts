// Only the reverse proxy publishes 80/443; other services are reached through it.
import { coversPort, describePort, isDataEngine, isLoopback, isProxy } from '../classify.js';
import type { LintRule, RuleFinding } from '../types.js';

const WEB_PORTS = [80, 443];

export const proxyOnlyPublicPorts: LintRule = {
  id: 'proxy-only-public-ports',
  title: 'Only the proxy publishes 80/443',
  why: 'The reverse proxy terminates TLS and is the one door in; a service published beside it serves plain HTTP, skips the proxy\'s headers and limits, and fights it for the port.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      // Databases have their own rule; the proxy may publish what it likes.
      if (isProxy(service, ctx.settings, ctx.images.get(service.name)) || isDataEngine(ctx.engines.get(service.name))) continue;
      for (const port of service.ports) {
        if (isLoopback(port)) continue;
        const web = WEB_PORTS.some((n) => coversPort(port, n));
        findings.push({
          severity: web ? 'error' : 'warning',
          service: service.name,
          location: port.location,
          message: web
            ? `Service "${service.name}" publishes ${describePort(port)}, but it is not the reverse proxy.`
            : `Service "${service.name}" publishes ${describePort(port)} on every address, beside the reverse proxy.`,
          fix: web
            ? `Remove "ports:" from ${service.name} and route to it from the proxy (Caddy: \`reverse_proxy ${service.name}:${port.target}\`). If ${service.name} is the proxy, name it under lint.proxy in shipproof.verify.yaml or label it shipproof.role=proxy.`
            : `Use "expose:" and route through the proxy, or bind it to this machine only ("127.0.0.1:${port.published ?? port.target}:${port.target}").`,
        });
      }
    }
    return findings;
  },
};
