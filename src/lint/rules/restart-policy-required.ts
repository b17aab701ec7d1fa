// Every long-running service has a restart policy, so it comes back after a crash or a reboot.
import { isOneShot } from '../classify.js';
import { fieldLocation, type LintRule, type RuleFinding } from '../types.js';

const GOOD = /^(always|unless-stopped|on-failure(:\d+)?)$/;

export const restartPolicyRequired: LintRule = {
  id: 'restart-policy-required',
  title: 'Long-running services have a restart policy',
  why: 'Without a restart policy a crashed service stays down, and after a server reboot the whole stack stays down until someone runs compose by hand.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      if (isOneShot(service, ctx.model)) continue;
      if (service.restart !== undefined && GOOD.test(service.restart)) continue;
      findings.push({
        severity: 'error',
        service: service.name,
        location: service.restart === undefined ? service.location : fieldLocation(service, 'restart'),
        message:
          service.restart === undefined
            ? `Service "${service.name}" has no restart policy.`
            : `Service "${service.name}" has restart: ${service.restart}, so it is not restarted.`,
        fix: `Add \`restart: unless-stopped\` to ${service.name}. If it is a one-shot job, label it \`shipproof.role: job\`.`,
      });
    }
    return findings;
  },
};
