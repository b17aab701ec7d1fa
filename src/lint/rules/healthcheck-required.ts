// Every long-running service has a healthcheck, so "running" can be told from "working".
import { isOneShot } from '../classify.js';
import { fieldLocation, type LintRule, type RuleFinding } from '../types.js';

export const healthcheckRequired: LintRule = {
  id: 'healthcheck-required',
  title: 'Long-running services have a healthcheck',
  why: 'Without a healthcheck Docker reports a hung or crash-looping service as "running", the health gate cannot see it, and dependants cannot wait for it with service_healthy.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      if (isOneShot(service, ctx.model)) continue;
      const check = service.healthcheck;
      if (check !== undefined && !check.disabled) continue;
      findings.push({
        severity: 'warning',
        service: service.name,
        location: check === undefined ? service.location : fieldLocation(service, 'healthcheck'),
        message:
          check === undefined
            ? `Service "${service.name}" has no healthcheck in the compose file.`
            : `Service "${service.name}" disables its healthcheck.`,
        ...(check === undefined ? { why: 'A HEALTHCHECK in the image would count, but the compose file does not show one, so shipproof cannot confirm it. ' + healthcheckRequired.why } : {}),
        fix: `Add a healthcheck to ${service.name}, e.g. \`healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:<port>/healthz"], interval: 10s, retries: 5 }\` (pg_isready for PostgreSQL, redis-cli ping for Redis).`,
      });
    }
    return findings;
  },
};
