// No secret-looking literals in compose files: secrets belong in env files (0600, never committed).
// Findings name the variable or label, never the value.
import { isNonSecretValue } from '../../compose/secret-values.js';
import { findPatternMatches } from '../../redact/index.js';
import { fieldLocation, type LintRule, type RuleFinding } from '../types.js';

export const noSecretLiterals: LintRule = {
  id: 'no-secret-literals',
  title: 'No secret-looking literals in compose files',
  why: 'Compose files are committed and copied to servers and CI; a secret written in one is in the git history for good and readable by everyone with the repository.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      for (const entry of service.environment) {
        if (!entry.looksLikeSecret) continue;
        findings.push({
          severity: 'error',
          service: service.name,
          location: entry.location,
          message: `Service "${service.name}" sets ${entry.name} to a literal value that looks like a secret.`,
          fix: `Move ${entry.name} into an env file (env_file: .env.prod, mode 0600, not committed), or write ${entry.name}: \${${entry.name}:?set in .env.prod}; then rotate the value, as it is in the git history.`,
        });
      }
      for (const label of service.labels) {
        if (credentialMatches(label.value).length === 0) continue;
        findings.push({
          severity: 'error',
          service: service.name,
          location: label.location,
          message: `Service "${service.name}" has a label ${label.name} whose value looks like a credential.`,
          fix: 'Labels are readable by anyone who can run `docker inspect`; take the credential out and rotate it.',
        });
      }
      for (const field of ['command', 'entrypoint'] as const) {
        const value = service[field];
        if (value === undefined) continue;
        const text = typeof value === 'string' ? value : value.join(' ');
        if (credentialMatches(text).length === 0) continue;
        findings.push({
          severity: 'error',
          service: service.name,
          location: fieldLocation(service, field),
          message: `Service "${service.name}" has a ${field} that holds something shaped like a credential.`,
          fix: `Pass it through an environment variable from an env file instead, and rotate it; a ${field} is visible in \`ps\` and \`docker inspect\`.`,
        });
      }
    }
    return findings;
  },
};

/** Pattern matches whose matched value is not a secret file path or an auth mechanism's name. */
function credentialMatches(text: string): ReturnType<typeof findPatternMatches> {
  return findPatternMatches(text).filter((m) => !isNonSecretValue(text.slice(m.start, m.end)));
}
