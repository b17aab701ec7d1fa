// Every long-running service has a healthcheck, so "running" can be told from "working".
import { familyOfImage } from '../../backup/engines/catalogue.js';
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
        fix: healthcheckFix(service.name, ctx.images.get(service.name) ?? service.image),
      });
    }
    return findings;
  },
};

/** An engine's own readiness command when the catalogue knows the image, else an HTTP check that fails on errors. */
export function healthcheckFix(name: string, image: string | undefined): string {
  const family = image === undefined ? undefined : familyOfImage(image);
  if (family?.healthcheck !== undefined) {
    return `Add a healthcheck that asks ${family.label} itself: \`healthcheck: { test: ["CMD-SHELL", ${JSON.stringify(family.healthcheck)}], interval: 10s, retries: 5 }\`.`;
  }
  return `Add a healthcheck to ${name}, e.g. \`healthcheck: { test: ["CMD", "curl", "-fsS", "http://127.0.0.1:<port>/healthz"], interval: 10s, retries: 5 }\` (curl -f fails on HTTP errors; without it a 500 passes).`;
}
